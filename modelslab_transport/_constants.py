"""Every default and limit of the transport, in one place.

The modules that use a value import it from here, so a default is changed once and the
documentation (README "Configuration", ``docs/modelslab-api.md``) has one source to match.
"""

from __future__ import annotations

__all__ = [
    "ANTHROPIC_VERSION",
    "CHAT_COMPLETIONS_PATH",
    "COUNT_TOKENS_PATH",
    "DEFAULT_BASE_URL",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT",
    "DISCOVERY_DEADLINE",
    "DRAIN_GRACE",
    "DRAIN_LIMIT",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "ENV_MAX_CONCURRENCY",
    "INITIAL_RETRY_DELAY",
    "MAX_DEPTH",
    "MAX_LINE_CHARS",
    "MAX_REPORTED_CONTEXT",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "MAX_SECONDS",
    "MESSAGES_PATH",
    "MIN_REPORTED_CONTEXT",
    "MODELS_FALLBACK_PATH",
    "MODELS_PATH",
    "POOL_CONNECTIONS",
    "POOL_KEEPALIVE",
    "RETRYABLE_STATUSES",
    "RETRY_JITTER",
    "UNKNOWN_CONTEXT_WINDOW",
    "UNKNOWN_MAX_OUTPUT",
    "is_retryable_status",
]

# ------------------------------------------------------------------------- where and who

DEFAULT_BASE_URL = "https://modelslab.com/api/v7/llm"
ENV_API_KEY = "MODELSLAB_API_KEY"
ENV_BASE_URL = "MODELSLAB_BASE_URL"
ENV_MAX_CONCURRENCY = "MODELSLAB_MAX_CONCURRENCY"
ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MODEL = "baidu-ernie-4.5-vl-28b-a3b"

CHAT_COMPLETIONS_PATH = "/chat/completions"
MESSAGES_PATH = "/v1/messages"
COUNT_TOKENS_PATH = "/v1/messages/count_tokens"
MODELS_PATH = "/v1/models"
# The docs' OpenAI-SDK example (base URL + ``/models``) implies this path too; tried on 404.
MODELS_FALLBACK_PATH = "/models"

# ------------------------------------------------------------------------------ time

DEFAULT_TIMEOUT = 120.0
DEFAULT_CONNECT_TIMEOUT = 10.0
# The longest any duration setting means (a year). Sockets refuse a timeout past what the
# platform's ``time_t`` holds (``timeout=1e10`` raised ``OverflowError``); "a very long time"
# is what such a value asks for, so it is capped, not refused.
MAX_SECONDS = 365 * 24 * 3600.0
# The longest a model object waits, once, to learn an unknown model's context length.
DISCOVERY_DEADLINE = 5.0

# ---------------------------------------------------------------------------- retries

DEFAULT_MAX_RETRIES = 2
# Worth repeating: a timeout, a conflict, a rate limit; 5xx too (see is_retryable_status).
RETRYABLE_STATUSES = frozenset({408, 409, 429})
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
RETRY_JITTER = 0.25

# ------------------------------------------------------------------------ concurrency

# The smallest plan's queue: a client with the default never causes a 429 on its own.
DEFAULT_MAX_CONCURRENCY = 5
# httpx's own defaults, kept when the budget is smaller.
POOL_CONNECTIONS = 100
POOL_KEEPALIVE = 20

# --------------------------------------------------------------------------- streams

# Bytes a finished stream may still read (the end of the chunked body) to keep its connection.
DRAIN_LIMIT = 64 * 1024
# How long a finished stream waits for the end of its body to arrive after the end marker.
# Servers usually send the final empty chunk a moment after ``[DONE]`` (measured on loopback:
# most of the time in a later read); waiting this long keeps the connection for the next
# request, and a server that holds the body open costs no more than this before it is closed.
DRAIN_GRACE = 0.02
# The longest line accepted before a line break (16 Mi characters): a real event is far
# shorter, and a body that never breaks its lines must not grow memory without bound.
MAX_LINE_CHARS = 16 * 1024 * 1024
# Deeper than any answer has (an answer is about 6 levels deep; tool arguments are strings).
MAX_DEPTH = 100

# ---------------------------------------------------------------------------- catalog

# An id the catalog does not list (on a server that does not report its context length), or
# a listed model whose window is not known: small enough for the small models local servers
# run (llama.cpp's default context), and an explicit max_tokens like the API's own default.
UNKNOWN_CONTEXT_WINDOW = 4096
# A context length a server reports outside these bounds is ignored (the default above is used):
# ``context_length: 1`` made every RAG query fail in LlamaIndex's prompt helper, and no model
# has a window of a billion tokens.
MIN_REPORTED_CONTEXT = 256
MAX_REPORTED_CONTEXT = 100_000_000
UNKNOWN_MAX_OUTPUT = 1000


def is_retryable_status(status: int) -> bool:
    """Whether an error status is worth repeating: 408, 409, 429 and 5xx."""
    return status in RETRYABLE_STATUSES or status >= 500
