"""An Anthropic Messages answer with a signed thinking block, redacted thinking and a tool call.

The thinking-signature tests of the transport and of both adapters read this one answer (whole,
or as its standard event stream) and check that the next request sends back ``SENT_BACK``.
"""

from __future__ import annotations

import json
from typing import Any

MODEL = "openai-o3-mini-high"
CALL: dict[str, Any] = {"id": "toolu_1", "name": "get", "input": {"city": "Paris"}}
THINKING = "Let me see."
SIGNATURE = "sig-A=="
REDACTED = "opaque-1"
SENT_BACK: list[dict[str, Any]] = [
    {"type": "thinking", "thinking": THINKING, "signature": SIGNATURE},
    {"type": "redacted_thinking", "data": REDACTED},
    {"type": "tool_use", **CALL},
]
ANSWER: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": SENT_BACK,
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 3, "output_tokens": 4},
}
FINAL: dict[str, Any] = {
    "id": "msg_2",
    "type": "message",
    "role": "assistant",
    "content": [{"type": "text", "text": "Sunny."}],
    "stop_reason": "end_turn",
}


def _delta(index: int, kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": {"type": kind, **fields}}


def _start(index: int, **block: Any) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


# The signature arrives in two pieces, as ModelsLab streams it; the pieces join to SIGNATURE.
EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 3}}},
    _start(0, type="thinking"),
    _delta(0, "thinking_delta", thinking=THINKING),
    _delta(0, "signature_delta", signature=SIGNATURE[:4]),
    _delta(0, "signature_delta", signature=SIGNATURE[4:]),
    {"type": "content_block_stop", "index": 0},
    _start(1, type="redacted_thinking", data=REDACTED),
    {"type": "content_block_stop", "index": 1},
    _start(2, type="tool_use", **{**CALL, "input": {}}),
    _delta(2, "input_json_delta", partial_json=json.dumps(CALL["input"])),
    {"type": "content_block_stop", "index": 2},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 4}},
    {"type": "message_stop"},
]
# The same events framed as the Messages endpoint sends them (``event:`` + ``data:`` lines).
SSE = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in EVENTS).encode()
# A Chat Completions answer, for the checks that this format carries neither field.
CHAT_ANSWER: dict[str, Any] = {
    "id": "c",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
}
