"""Small pure helpers shared by the two wire formats."""

from __future__ import annotations

import json
from typing import Any

from ._error_map import error_fields, infer_status
from ._errors import MalformedResponseError, ServerStreamError
from ._json import parse_json
from ._types import JSON, Choice, Completion, Usage

__all__ = [
    "arguments_text",
    "as_object",
    "as_text",
    "completion",
    "is_error_payload",
    "load_event_json",
    "make_usage",
    "normalize_finish_reason",
    "server_stream_error",
    "to_int",
]

# Everything is normalized to OpenAI's vocabulary; unknown values pass through unchanged.
_FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "eos": "stop",
    "max_tokens": "length",
    "model_length": "length",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "refusal": "content_filter",
}


def as_object(value: Any) -> JSON:
    """``value`` if it is a JSON object, else an empty one (a field of the wrong shape)."""
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str | None:
    """``value`` if it is a non-empty string, else ``None`` (a field of the wrong type)."""
    return value if isinstance(value, str) and value else None


def normalize_finish_reason(reason: Any) -> str | None:
    """Map a finish/stop reason of either format onto OpenAI's words."""
    if not reason or not isinstance(reason, str):
        return None
    return _FINISH_REASONS.get(reason, reason)


def to_int(value: Any) -> int:
    """A token count from a possibly missing / null / float / string field."""
    if type(value) is int:  # the usual case, and not a bool (a subclass of int)
        return value
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        return 0


def make_usage(
    input_tokens: int,
    output_tokens: int,
    *,
    total: int = 0,
    cache_read: int = 0,
    cache_creation: int = 0,
    reasoning: int = 0,
) -> Usage:
    """Build a :class:`Usage`; ``total`` defaults to input + output."""
    return Usage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total or input_tokens + output_tokens,
        cache_read_tokens=cache_read,
        cache_creation_tokens=cache_creation,
        reasoning_tokens=reasoning,
    )


def arguments_text(arguments: Any) -> str:
    """Tool-call arguments as a JSON string (some servers send an object, not a string)."""
    if arguments is None:
        return ""
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)


def load_event_json(data: str) -> JSON:
    """Parse one SSE ``data`` payload that must be a JSON object."""
    try:
        value = parse_json(data)
    except ValueError:
        raise MalformedResponseError(
            f"Stream event data is not JSON: {data[:200]!r}", body=data
        ) from None
    if not isinstance(value, dict):
        raise MalformedResponseError(
            f"Stream event data is not a JSON object: {data[:200]!r}", body=value
        )
    return value


def is_error_payload(payload: JSON) -> bool:
    """Whether a stream event's JSON is an error report rather than a chunk of the answer.

    Besides the two formats' own error events, ModelsLab may put its site-wide shape
    (``{"status": "error", "message"|"messege": ...}``) or a bare ``{"error": ...}`` in a
    ``data:`` line; treating those as chunks would end the stream as a silent success.
    """
    return (
        payload.get("error") is not None
        or payload.get("type") == "error"
        or payload.get("status") in ("error", "failed")
    )


def server_stream_error(payload: JSON) -> ServerStreamError:
    """The exception for an error event inside a stream (either format)."""
    message, err_type, code = error_fields(payload)
    if message is None:
        message = f"The server sent an error event: {json.dumps(payload)[:300]}"
    status = infer_status(payload, err_type, code, message)
    return ServerStreamError(message, status_code=status, body=payload)


def completion(
    choices: list[Choice], *, id: Any, model: Any, usage: Usage | None, raw: JSON
) -> Completion:
    """A :class:`Completion` whose answer fields are the first of ``choices``."""
    first = choices[0]
    out = Completion(
        id=as_text(id),
        model=as_text(model),
        text=first["text"],
        reasoning=first["reasoning"],
        tool_calls=first["tool_calls"],
        finish_reason=first["finish_reason"],
        usage=usage,
        raw=raw,
        choices=choices,
    )
    for key in ("logprobs", "thinking_signature", "redacted_thinking"):
        if key in first:
            out[key] = first[key]
    return out
