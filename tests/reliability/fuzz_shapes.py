"""What the property tests share: wire-shaped random JSON and the "only our errors" rule.

Inputs are random but shaped like the real thing (dictionary keys and ``type`` values are drawn
from the wire vocabulary), so the parsers' deep branches are reached, not just their first
``isinstance`` check.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import modelslab_transport as mt

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The wire's dictionary keys ("messege" is how some ModelsLab error pages spell it).
KEYS = [
    "id", "model", "object", "choices", "index", "delta", "message", "content", "role",
    "reasoning_content", "reasoning", "tool_calls", "function", "name", "arguments",
    "finish_reason", "usage", "prompt_tokens", "completion_tokens", "total_tokens",
    "prompt_tokens_details", "cached_tokens", "error", "type", "code", "status", "messege",
    "retry_after", "detail", "text", "content_block", "stop_reason", "stop_sequence", "input",
    "partial_json", "thinking", "signature", "input_tokens", "output_tokens",
    "cache_read_input_tokens", "data", "input_json", "status_code",
]  # fmt: skip
# The wire's ``type`` and status values.
WORDS = [
    "text", "image_url", "tool_use", "tool_result", "thinking", "text_delta",
    "input_json_delta", "thinking_delta", "signature_delta", "message_start",
    "content_block_start", "content_block_delta", "content_block_stop", "message_delta",
    "message_stop", "ping", "error", "stop", "length", "tool_calls", "end_turn", "max_tokens",
    "function", "assistant", "success", "processing", "rate_limit_error", "429", "[DONE]",
]  # fmt: skip
DELTA_TYPES = WORDS[5:9]  # the Messages format's delta types
EVENT_TYPES = WORDS[9:16]  # the Messages format's event types
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(WORDS)
)
wire_json = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3), inner, max_size=5)
    ),
    max_leaves=16,
)
wire_object = st.dictionaries(st.sampled_from(KEYS), wire_json, max_size=6)


def only_typed(call: Any, *args: Any) -> Any:
    """Call; a ``ModelsLabError`` is fine, anything else fails the property."""
    try:
        return call(*args)
    except mt.ModelsLabError:
        return None


def split_at(raw: bytes, cuts: list[int]) -> list[bytes]:
    """``raw`` cut into pieces at the given offsets (taken modulo its length + 1)."""
    points = sorted({c % (len(raw) + 1) for c in cuts})
    return [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
