"""Messages format: a thinking block's signature and redacted thinking survive a round trip.

The answer's ``signature`` (whole, or streamed as ``signature_delta`` pieces) and each
``redacted_thinking`` block's ``data`` are read, and sent back unchanged on the next turn;
the Chat Completions body carries neither.
"""

from __future__ import annotations

import json

from modelslab_transport import ChatMessage, ChatRequest
from modelslab_transport._anthropic import parse_message
from modelslab_transport._anthropic_request import build_body
from modelslab_transport._openai import build_body as openai_body
from modelslab_transport._stream import StreamParser

from .signed_answers import ANSWER, CALL, MODEL, REDACTED, SENT_BACK, SIGNATURE, SSE, THINKING


def _replayed(reasoning: str, signature: str, redacted: list[str]) -> ChatRequest:
    arguments = json.dumps(CALL["input"])
    assistant: ChatMessage = {
        "role": "assistant",
        "content": None,
        "reasoning_content": reasoning,
        "thinking_signature": signature,
        "redacted_thinking": redacted,
        "tool_calls": [
            {
                "id": CALL["id"],
                "type": "function",
                "function": {"name": CALL["name"], "arguments": arguments},
            }
        ],
    }
    return {
        "model": MODEL,
        "max_tokens": 64,
        "messages": [
            {"role": "user", "content": "Weather?"},
            assistant,
            {"role": "tool", "tool_call_id": CALL["id"], "content": "sunny"},
        ],
    }


def test_answer_keeps_signature_and_redacted_thinking() -> None:
    completion = parse_message(ANSWER)
    assert completion["reasoning"] == THINKING
    assert completion["thinking_signature"] == SIGNATURE
    assert completion["redacted_thinking"] == [REDACTED]
    assert completion["choices"][0]["thinking_signature"] == SIGNATURE


def test_stream_keeps_signature_pieces_and_redacted_thinking() -> None:
    parser = StreamParser("anthropic")
    deltas = [*parser.feed(SSE), *parser.finish()]
    signature = "".join(d.get("thinking_signature", "") for d in deltas)
    redacted = [r for d in deltas for r in d.get("redacted_thinking", [])]
    assert signature == SIGNATURE
    assert redacted == [REDACTED]


def test_signature_and_redacted_thinking_are_sent_back_unchanged() -> None:
    body = build_body(_replayed(THINKING, SIGNATURE, [REDACTED]), stream=False)
    assert body["messages"][1] == {"role": "assistant", "content": SENT_BACK}


def test_without_signature_the_thinking_block_is_sent_as_before() -> None:
    body = build_body(_replayed(THINKING, "", []), stream=False)
    assert body["messages"][1]["content"][0] == {"type": "thinking", "thinking": THINKING}


def test_chat_completions_body_carries_neither() -> None:
    body = openai_body(_replayed(THINKING, SIGNATURE, [REDACTED]), stream=False)
    assistant = body["messages"][1]
    assert "thinking_signature" not in assistant
    assert "redacted_thinking" not in assistant
    assert assistant["reasoning_content"] == THINKING
