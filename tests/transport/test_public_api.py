"""The public surface: ``__all__`` is pinned, and the package stands alone."""

from __future__ import annotations

import subprocess
import sys

import modelslab_transport

CONTRACT = {
    # types
    "ApiFormat",
    "ChatMessage",
    "ChatRequest",
    "Completion",
    "ContentPart",
    "ModelEntry",
    "StreamDelta",
    "ToolCall",
    "ToolCallDelta",
    "ToolSpec",
    "Usage",
    # catalog
    "DEFAULT_MODEL",
    "ModelInfo",
    "context_window",
    "default_max_tokens",
    "estimate_cost",
    "get_model_info",
    "list_catalog",
    "register_model",
    # clients
    "DEFAULT_BASE_URL",
    "__version__",
    "ModelsLabClient",
    "AsyncModelsLabClient",
    "Stream",
    "AsyncStream",
    "ClientCache",
    "ClientOwner",
    "CLIENT_SETTINGS",
    "without_fields",
    "parse_json",
    "EmptyResponseError",
    # errors
    "ModelsLabError",
    "ConfigurationError",
    "APIError",
    "APIStatusError",
    "BadRequestError",
    "ContextWindowExceededError",
    "AuthenticationError",
    "InsufficientCreditsError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RequestTooLargeError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "StreamError",
    "StreamTruncatedError",
    "StreamInterruptedError",
    "MalformedResponseError",
    "ServerStreamError",
}
# Wire types the adapters also import (additive to the contract).
EXTRA = {
    "JSON",
    "FinishReason",
    "FunctionSpec",
    "ImageURL",
    "ToolCallFunction",
    "ToolChoice",
    "WireToolCall",
}
# The concurrency budget's default (additive).
BUDGET = {"DEFAULT_MAX_CONCURRENCY"}
# The request rules both adapters share (one builder, one tool-choice rule, one refusal).
SEMANTICS = {
    "CALL_OPTIONS",
    "Choice",
    "RequestTimeoutError",
    "UnsupportedContentError",
    "build_chat_request",
    "call_options",
    "check_call_settings",
    "check_capabilities",
    "check_init_arguments",
    "has_images",
    "resolve_tool_choice",
    "wire_tool_call",
}
# The request route a test double installs (``modelslab_pytest``): every client follows it.
ROUTING = {"RequestRoute", "active_route", "route_requests"}


def test_all_is_exactly_the_contract_plus_wire_types() -> None:
    assert set(modelslab_transport.__all__) == CONTRACT | EXTRA | BUDGET | SEMANTICS | ROUTING
    assert len(modelslab_transport.__all__) == len(set(modelslab_transport.__all__))
    for name in modelslab_transport.__all__:
        assert hasattr(modelslab_transport, name), name


def test_constants() -> None:
    assert modelslab_transport.DEFAULT_BASE_URL == "https://modelslab.com/api/v7/llm"
    assert modelslab_transport.DEFAULT_MAX_CONCURRENCY == 5
    assert isinstance(modelslab_transport.__version__, str)
    assert modelslab_transport.__version__


def test_imports_without_any_framework() -> None:
    # Poison the framework packages: importing the transport must not touch them.
    code = (
        "import sys\n"
        "for name in ('langchain', 'langchain_core', 'llama_index', 'llama_index.core',"
        " 'starlette', 'uvicorn', 'modelslab_local'):\n"
        "    sys.modules[name] = None\n"
        "import modelslab_transport\n"
        "client = modelslab_transport.ModelsLabClient('k')\n"
        "client.close()\n"
        "bad = [m for m, mod in sys.modules.items() if mod is not None and m.split('.')[0] in"
        " ('langchain_core', 'llama_index', 'langchain_modelslab', 'llama_index_modelslab')]\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
