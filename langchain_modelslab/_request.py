"""Model settings + per-call arguments -> one :class:`ChatRequest`. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import LangSmithParams

from modelslab_transport import ChatMessage, ChatRequest

__all__ = ["CALL_OPTIONS", "MODEL_SETTINGS", "REQUEST_KEYS", "build_request", "ls_params"]

# The model fields that are request settings (sent when not None).
MODEL_SETTINGS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
    "stop",
    "seed",
    "n",
)

# ChatRequest members a model setting or a call argument may fill.
REQUEST_KEYS = frozenset(
    {
        "model",
        "max_tokens",
        "temperature",
        "top_p",
        "top_k",
        "frequency_penalty",
        "presence_penalty",
        "repetition_penalty",
        "stop",
        "seed",
        "n",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "stream_usage",
        "user",
    }
)
# Call arguments that steer the call itself rather than the request body.
CALL_OPTIONS = frozenset({"api_format", "timeout", "deadline", "stream", "extra_body"})
# Tracing-only arguments LangChain normally strips itself; never send them.
_TRACING = frozenset({"ls_structured_output_format", "structured_output_format"})
# Only meaningful together with tools; a bare tool_choice is rejected by the API.
_NEEDS_TOOLS = ("tool_choice", "parallel_tool_calls")


def build_request(
    settings: Mapping[str, Any],
    call: Mapping[str, Any],
    messages: list[ChatMessage],
    extra_body: Mapping[str, Any],
) -> ChatRequest:
    """Merge model ``settings`` with ``call`` arguments (the call wins) into a request.

    Args:
        settings: The model's non-``None`` request settings.
        call: Per-call arguments (``invoke(..., temperature=0)``, bound tools, ...). Names the
            request does not know are passed through in ``extra_body``.
        messages: The converted conversation.
        extra_body: The model's own pass-through parameters (``model_kwargs``/``extra_body``).

    Returns:
        The request; ``None`` values and empty ``stop`` / ``tools`` lists are left out.
    """
    request: dict[str, Any] = {**settings}
    extra: dict[str, Any] = {**extra_body}
    for key, value in call.items():
        if key in REQUEST_KEYS:
            request[key] = value
        elif key == "extra_body":
            extra.update(value or {})
        elif key not in CALL_OPTIONS and key not in _TRACING:
            extra[key] = value
    for key in [k for k, v in request.items() if v is None or v == []]:
        del request[key]
    if "tools" not in request:
        for key in _NEEDS_TOOLS:
            request.pop(key, None)
    request["messages"] = messages
    if extra:
        request["extra_body"] = extra
    return request  # type: ignore[return-value]


def ls_params(
    settings: Mapping[str, Any], stop: list[str] | None, call: Mapping[str, Any]
) -> LangSmithParams:
    """LangSmith's standard parameters for one call (per-call ``model`` etc. win)."""
    merged = {**settings, **{k: v for k, v in call.items() if v is not None}}
    params = LangSmithParams(
        ls_provider="modelslab", ls_model_name=merged["model"], ls_model_type="chat"
    )
    if merged.get("temperature") is not None:
        params["ls_temperature"] = merged["temperature"]
    if merged.get("max_tokens") is not None:
        params["ls_max_tokens"] = merged["max_tokens"]
    stops = stop or merged.get("stop")
    if stops:
        params["ls_stop"] = stops
    return params
