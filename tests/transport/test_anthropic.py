"""Messages format, response side: answers and the standard event sequence (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from modelslab_transport import (
    EmptyResponseError,
    MalformedResponseError,
    ServerStreamError,
    StreamDelta,
    StreamTruncatedError,
)
from modelslab_transport._anthropic import is_message, parse_message
from modelslab_transport._stream import StreamParser

from .conftest import anthropic_sse


def test_parse_message() -> None:
    body = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m-1",
        "content": [
            {"type": "thinking", "thinking": "Hmm.", "signature": "s"},
            {"type": "text", "text": "Let me check. "},
            {"type": "tool_use", "id": "toolu_1", "name": "get", "input": {"city": "Paris"}},
            {"type": "text", "text": "Done."},
        ],
        "stop_reason": "tool_use",
        "usage": {
            "input_tokens": 10,
            "output_tokens": 5,
            "cache_read_input_tokens": 100,
            "cache_creation_input_tokens": 20,
        },
    }
    result = parse_message(body)
    assert result["text"] == "Let me check. Done."
    assert result["reasoning"] == "Hmm."
    assert result["tool_calls"] == [
        {"id": "toolu_1", "name": "get", "arguments": '{"city": "Paris"}'}
    ]
    assert result["finish_reason"] == "tool_calls"
    assert result["usage"] == {
        "input_tokens": 130,
        "output_tokens": 5,
        "total_tokens": 135,
        "cache_read_tokens": 100,
        "cache_creation_tokens": 20,
        "reasoning_tokens": 0,
    }
    assert result["raw"] is body


@pytest.mark.parametrize(
    ("stop", "expected"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
    ],
)
def test_stop_reasons(stop: str | None, expected: str | None) -> None:
    body: dict[str, Any] = {"type": "message", "content": [], "stop_reason": stop}
    result = parse_message(body)
    assert result["finish_reason"] == expected
    assert result["text"] is None


def test_no_content_and_no_stop_reason_is_not_an_answer() -> None:
    with pytest.raises(EmptyResponseError, match="no content blocks and no stop_reason"):
        parse_message({"type": "message", "content": [], "stop_reason": None})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"type": "message", "content": []}, True),
        ({"content": [{"type": "text"}]}, True),
        ({"type": "error", "error": {}}, False),
        ({"status": "error"}, False),
        ([], False),
    ],
)
def test_is_message(body: Any, expected: bool) -> None:
    assert is_message(body) is expected


# ------------------------------------------------------------------------ streaming


def parse_stream(raw: bytes) -> list[StreamDelta]:
    parser = StreamParser("anthropic")
    return [*parser.feed(raw), *parser.finish()]


START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m-1",
        "content": [],
        "usage": {"input_tokens": 12, "output_tokens": 1, "cache_read_input_tokens": 3},
    },
}
STOP = {"type": "message_stop"}


def block_start(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def block_delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def message_delta(stop: str, output: int) -> dict[str, Any]:
    return {
        "type": "message_delta",
        "delta": {"stop_reason": stop},
        "usage": {"output_tokens": output},
    }


USAGE = {
    "input_tokens": 15,
    "output_tokens": 9,
    "total_tokens": 24,
    "cache_read_tokens": 3,
    "cache_creation_tokens": 0,
    "reasoning_tokens": 0,
}


def test_full_event_sequence() -> None:
    raw = anthropic_sse(
        START,
        {"type": "ping"},
        block_start(0, {"type": "thinking", "thinking": ""}),
        block_delta(0, {"type": "thinking_delta", "thinking": "Hmm"}),
        block_delta(0, {"type": "signature_delta", "signature": "sig"}),
        {"type": "content_block_stop", "index": 0},
        block_start(1, {"type": "text", "text": ""}),
        block_delta(1, {"type": "text_delta", "text": "Hel"}),
        block_delta(1, {"type": "text_delta", "text": "lo"}),
        {"type": "content_block_stop", "index": 1},
        block_start(2, {"type": "tool_use", "id": "toolu_1", "name": "get", "input": {}}),
        block_delta(2, {"type": "input_json_delta", "partial_json": '{"city":'}),
        block_delta(2, {"type": "input_json_delta", "partial_json": ' "Paris"}'}),
        {"type": "content_block_stop", "index": 2},
        block_start(3, {"type": "tool_use", "id": "toolu_2", "name": "put", "input": {}}),
        block_delta(3, {"type": "input_json_delta", "partial_json": "{}"}),
        message_delta("tool_use", 9),
        STOP,
    )
    assert parse_stream(raw) == [
        {"id": "msg_1", "model": "m-1"},
        {"reasoning": "Hmm"},
        {"thinking_signature": "sig"},
        {"text": "Hel"},
        {"text": "lo"},
        {"tool_calls": [{"index": 0, "id": "toolu_1", "name": "get", "arguments": ""}]},
        {"tool_calls": [{"index": 0, "id": None, "name": None, "arguments": '{"city":'}]},
        {"tool_calls": [{"index": 0, "id": None, "name": None, "arguments": ' "Paris"}'}]},
        {"tool_calls": [{"index": 1, "id": "toolu_2", "name": "put", "arguments": ""}]},
        {"tool_calls": [{"index": 1, "id": None, "name": None, "arguments": "{}"}]},
        {"finish_reason": "tool_calls", "usage": USAGE},
    ]


def test_usage_is_emitted_once_even_without_message_delta_usage() -> None:
    raw = anthropic_sse(
        START,
        block_delta(0, {"type": "text_delta", "text": "x"}),
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}},
        STOP,
    )
    deltas = parse_stream(raw)
    usages = [d["usage"] for d in deltas if "usage" in d]
    assert len(usages) == 1
    assert (usages[0]["input_tokens"], usages[0]["output_tokens"]) == (15, 1)
    assert deltas[-2] == {"finish_reason": "stop"}


def test_message_delta_with_input_counts_overrides_message_start() -> None:
    raw = anthropic_sse(
        START,
        {
            "type": "message_delta",
            "delta": {"stop_reason": "max_tokens"},
            "usage": {"input_tokens": 20, "output_tokens": 4},
        },
        STOP,
    )
    assert parse_stream(raw)[-1] == {
        "finish_reason": "length",
        "usage": {
            "input_tokens": 20,
            "output_tokens": 4,
            "total_tokens": 24,
            "cache_read_tokens": 0,
            "cache_creation_tokens": 0,
            "reasoning_tokens": 0,
        },
    }


def test_eof_after_stop_reason_is_accepted_and_done_marker_tolerated() -> None:
    body = anthropic_sse(
        START, block_delta(0, {"type": "text_delta", "text": "x"}), message_delta("end_turn", 2)
    )
    assert parse_stream(body)[-1]["finish_reason"] == "stop"
    assert parse_stream(body + b"data: [DONE]\n\n")[-1]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        anthropic_sse(START),
        anthropic_sse(START, block_delta(0, {"type": "text_delta", "text": "x"})),
        anthropic_sse(START) + b"data: [DONE]\n\n",
    ],
    ids=["empty", "start-only", "mid-answer", "done-before-stop"],
)
def test_truncated(raw: bytes) -> None:
    with pytest.raises(StreamTruncatedError):
        parse_stream(raw)


def test_error_event_and_malformed_data() -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(ServerStreamError, match="Overloaded") as info:
        parse_stream(anthropic_sse(START, error))
    assert info.value.status_code == 529
    assert info.value.retryable
    with pytest.raises(MalformedResponseError):
        parse_stream(anthropic_sse(START) + b"event: content_block_delta\ndata: {oops\n\n")


def test_unknown_events_and_event_name_fallback() -> None:
    raw = anthropic_sse(START, {"type": "future_event", "x": 1})
    raw += b'event: message_delta\ndata: {"delta": {"stop_reason": "end_turn"}}\n\n'
    raw += b"event: message_stop\ndata: {}\n\n"
    deltas = parse_stream(raw)
    assert {"finish_reason": "stop"} in deltas
    assert deltas[-1]["usage"]["output_tokens"] == 1  # from message_start, sent at message_stop
