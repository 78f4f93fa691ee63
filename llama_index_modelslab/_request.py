"""What ``ModelsLabLLM`` sends: its environment defaults and each call's request.

The request itself is built by the transport's ``build_chat_request`` (one rule for both
frameworks); this module gathers the LLM's settings and converts the messages.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.bridge.pydantic import SecretStr

from modelslab_transport import ChatRequest, build_chat_request, call_options

from ._convert import NOT_SENT, to_wire_messages
from ._messages import as_chat_messages

if TYPE_CHECKING:
    from ._llm import ModelsLabLLM

__all__ = ["chat_request", "env_base_url", "env_key", "prompt_messages"]


def env_key() -> SecretStr | None:
    """The key in ``MODELSLAB_API_KEY`` (``None`` when unset or blank)."""
    key = os.environ.get("MODELSLAB_API_KEY", "").strip()
    return SecretStr(key) if key else None


def env_base_url() -> str | None:
    """The base URL in ``MODELSLAB_BASE_URL`` (``None`` when unset or blank)."""
    return os.environ.get("MODELSLAB_BASE_URL", "").strip() or None


def chat_request(
    llm: ModelsLabLLM, messages: Sequence[ChatMessage], kwargs: dict[str, Any], stream: bool
) -> tuple[ChatRequest, dict[str, Any]]:
    """The request for one call, and the transport's per-call options (endpoint, timeout)."""
    options = call_options(kwargs, llm.api_format)
    defaults: dict[str, Any] = {
        "temperature": llm.temperature,
        "max_tokens": llm.max_tokens,
        "reasoning_effort": llm.reasoning_effort,
        "thinking": llm.thinking,
        **llm.additional_kwargs,
    }
    if stream:
        defaults["stream_usage"] = llm.stream_usage
    wire = to_wire_messages(as_chat_messages(messages))
    return build_chat_request(llm.model, wire, defaults, kwargs, ignore=NOT_SENT), options


def prompt_messages(llm: ModelsLabLLM, prompt: str, formatted: bool) -> list[ChatMessage]:
    """A prompt as the one user message it is sent as (``completion_to_prompt`` applied)."""
    to_prompt = llm.completion_to_prompt
    text = prompt if formatted or to_prompt is None else to_prompt(prompt)
    return [ChatMessage(role=MessageRole.USER, content=text)]
