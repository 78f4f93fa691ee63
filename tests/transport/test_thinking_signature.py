"""Messages format: a thinking block's signature and redacted thinking survive a round trip.

The answer's ``signature`` (whole, or streamed as ``signature_delta`` pieces) and each
``redacted_thinking`` block's ``data`` are read, and sent back unchanged on the next turn;
the Chat Completions body carries neither.
"""

from __future__ import annotations

from typing import Any

from modelslab_transport import ChatMessage, ChatRequest
from modelslab_transport._anthropic import parse_message
from modelslab_transport._anthropic_request import build_body
from modelslab_transport._openai import build_body as openai_body
from modelslab_transport._stream import StreamParser

from .conftest import anthropic_sse

ANSWER: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "m-1",
    "content": [
        {"type": "thinking", "thinking": "Let me see.", "signature": "sig-A=="},
        {"type": "redacted_thinking", "data": "opaque-1"},
        {"type": "tool_use", "id": "toolu_1", "name": "get", "input": {"city": "Paris"}},
    ],
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 3, "output_tokens": 4},
}


def _replayed(reasoning: str, signature: str, redacted: list[str]) -> ChatRequest:
    assistant: ChatMessage = {
        "role": "assistant",
        "content": None,
        "reasoning_content": reasoning,
        "thinking_signature": signature,
        "redacted_thinking": redacted,
        "tool_calls": [
            {
                "id": "toolu_1",
                "type": "function",
                "function": {"name": "get", "arguments": '{"city": "Paris"}'},
            }
        ],
    }
    return {
        "model": "m-1",
        "max_tokens": 64,
        "messages": [
            {"role": "user", "content": "Weather?"},
            assistant,
            {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"},
        ],
    }


EXPECTED_TURN = [
    {"type": "thinking", "thinking": "Let me see.", "signature": "sig-A=="},
    {"type": "redacted_thinking", "data": "opaque-1"},
    {"type": "tool_use", "id": "toolu_1", "name": "get", "input": {"city": "Paris"}},
]


def test_answer_keeps_signature_and_redacted_thinking() -> None:
    completion = parse_message(ANSWER)
    assert completion["reasoning"] == "Let me see."
    assert completion["thinking_signature"] == "sig-A=="
    assert completion["redacted_thinking"] == ["opaque-1"]
    assert completion["choices"][0]["thinking_signature"] == "sig-A=="


def test_stream_keeps_signature_pieces_and_redacted_thinking() -> None:
    events = [
        {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 3}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking"}},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Let me see."},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "sig-"},
        },
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "A=="},
        },
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {"type": "redacted_thinking", "data": "opaque-1"},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 4},
        },
        {"type": "message_stop"},
    ]
    parser = StreamParser("anthropic")
    deltas = [*parser.feed(anthropic_sse(*events)), *parser.finish()]
    signature = "".join(d.get("thinking_signature", "") for d in deltas)
    redacted = [r for d in deltas for r in d.get("redacted_thinking", [])]
    assert signature == "sig-A=="
    assert redacted == ["opaque-1"]


def test_signature_and_redacted_thinking_are_sent_back_unchanged() -> None:
    body = build_body(_replayed("Let me see.", "sig-A==", ["opaque-1"]), stream=False)
    assert body["messages"][1] == {"role": "assistant", "content": EXPECTED_TURN}


def test_without_signature_the_thinking_block_is_sent_as_before() -> None:
    body = build_body(_replayed("Let me see.", "", []), stream=False)
    assert body["messages"][1]["content"][0] == {"type": "thinking", "thinking": "Let me see."}


def test_chat_completions_body_carries_neither() -> None:
    body = openai_body(_replayed("Let me see.", "sig-A==", ["opaque-1"]), stream=False)
    assistant = body["messages"][1]
    assert "thinking_signature" not in assistant
    assert "redacted_thinking" not in assistant
    assert assistant["reasoning_content"] == "Let me see."
