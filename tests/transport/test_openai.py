"""Chat Completions: request bodies, answers and streamed chunks (pure functions)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelslab_transport import (
    ChatRequest,
    MalformedResponseError,
    ServerStreamError,
    StreamDelta,
    StreamTruncatedError,
    default_max_tokens,
)
from modelslab_transport._openai import build_body, is_completion, parse_completion
from modelslab_transport._stream import StreamParser

from .conftest import chunk, completion_body, sse

MESSAGES: list[Any] = [{"role": "user", "content": "Hi"}]


def request(**fields: Any) -> ChatRequest:
    return {"model": "m-1", "messages": MESSAGES, **fields}  # type: ignore[typeddict-item]


BODIES = [
    pytest.param(
        request(),
        False,
        {"model": "m-1", "messages": MESSAGES, "max_tokens": default_max_tokens("m-1")},
        id="minimal",
    ),
    pytest.param(
        request(max_tokens=50, temperature=1.7, top_p=0.9, stop=["x"], seed=3),
        False,
        {
            "model": "m-1",
            "messages": MESSAGES,
            "max_tokens": 50,
            "temperature": 1.7,
            "top_p": 0.9,
            "stop": ["x"],
            "seed": 3,
        },
        id="sampling",
    ),
    pytest.param(
        request(max_tokens=5, temperature=None, top_k=None),
        False,
        {"model": "m-1", "messages": MESSAGES, "max_tokens": 5},
        id="none-omitted",
    ),
    pytest.param(
        request(max_tokens=5),
        True,
        {
            "model": "m-1",
            "messages": MESSAGES,
            "max_tokens": 5,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        id="stream",
    ),
    pytest.param(
        request(max_tokens=5, stream_usage=False),
        True,
        {"model": "m-1", "messages": MESSAGES, "max_tokens": 5, "stream": True},
        id="stream-no-usage",
    ),
    pytest.param(
        request(
            max_tokens=5,
            tools=[{"type": "function", "function": {"name": "f"}}],
            tool_choice="required",
            parallel_tool_calls=False,
            response_format={"type": "json_object"},
            user="u",
            n=1,
        ),
        False,
        {
            "model": "m-1",
            "messages": MESSAGES,
            "max_tokens": 5,
            "tools": [{"type": "function", "function": {"name": "f"}}],
            "tool_choice": "required",
            "parallel_tool_calls": False,
            "response_format": {"type": "json_object"},
            "user": "u",
            "n": 1,
        },
        id="tools-and-format",
    ),
    pytest.param(
        request(
            max_tokens=5, temperature=0.1, extra_body={"temperature": 0.2, "enable_thinking": False}
        ),
        False,
        {
            "model": "m-1",
            "messages": MESSAGES,
            "max_tokens": 5,
            "temperature": 0.2,
            "enable_thinking": False,
        },
        id="extra-body-last",
    ),
]


@pytest.mark.parametrize(("req", "stream", "expected"), BODIES)
def test_build_body(req: ChatRequest, stream: bool, expected: dict[str, Any]) -> None:
    assert build_body(req, stream=stream) == expected


def test_default_max_tokens_comes_from_the_catalog() -> None:
    body = build_body({"model": "baidu-ernie-4.5-vl-28b-a3b", "messages": []}, stream=False)
    assert body["max_tokens"] == default_max_tokens("baidu-ernie-4.5-vl-28b-a3b") == 1000


def test_completion_text_usage_and_raw() -> None:
    body = completion_body(
        "Hello!",
        usage={
            "prompt_tokens": 10,
            "completion_tokens": 4,
            "total_tokens": 14,
            "prompt_tokens_details": {"cached_tokens": 6},
            "completion_tokens_details": {"reasoning_tokens": 3},
        },
        extra_field="kept",
    )
    result = parse_completion(body)
    assert result["text"] == "Hello!"
    assert (result["id"], result["model"]) == ("chatcmpl-1", "m-1")
    assert result["finish_reason"] == "stop"
    assert result["usage"] == {
        "input_tokens": 10,
        "output_tokens": 4,
        "total_tokens": 14,
        "cache_read_tokens": 6,
        "cache_creation_tokens": 0,
        "reasoning_tokens": 3,
    }
    assert result["raw"] is body


def message_completion(message: dict[str, Any], finish: str | None = "stop") -> dict[str, Any]:
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish}]}


@pytest.mark.parametrize(
    ("message", "field", "expected"),
    [
        ({"content": None}, "text", None),
        ({"content": ""}, "text", ""),
        ({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}, "text", "ab"),
        ({"content": "x", "reasoning_content": "think"}, "reasoning", "think"),
        ({"content": "x", "reasoning": "alt"}, "reasoning", "alt"),
        (
            {"content": "x", "reasoning_content": "first", "reasoning": "second"},
            "reasoning",
            "first",
        ),
        ({"content": "x"}, "reasoning", None),
        ({"content": "x"}, "usage", None),
    ],
)
def test_completion_fields(message: dict[str, Any], field: str, expected: Any) -> None:
    assert parse_completion(message_completion(message))[field] == expected  # type: ignore[literal-required]


def test_tool_calls_with_string_and_object_arguments() -> None:
    message = {
        "content": None,
        "tool_calls": [
            {
                "id": "call_a",
                "type": "function",
                "function": {"name": "get", "arguments": '{"city": "Paris"}'},
            },
            {"type": "function", "function": {"name": "put", "arguments": {"k": [1, "é"]}}},
        ],
    }
    result = parse_completion(message_completion(message, "tool_calls"))
    assert result["text"] is None
    assert result["finish_reason"] == "tool_calls"
    assert result["tool_calls"] == [
        {"id": "call_a", "name": "get", "arguments": '{"city": "Paris"}'},
        {
            "id": "call_1",
            "name": "put",
            "arguments": json.dumps({"k": [1, "é"]}, ensure_ascii=False),
        },
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (completion_body(), True),
        ({"choices": []}, True),
        ({"status": "error"}, False),
        ({"choices": None}, False),
        ([], False),
        ("text", False),
    ],
)
def test_is_completion(body: Any, expected: bool) -> None:
    assert is_completion(body) is expected


# ------------------------------------------------------------------------- streaming


def parse_stream(raw: bytes) -> list[StreamDelta]:
    parser = StreamParser("openai")
    return [*parser.feed(raw), *parser.finish()]


USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
NORMAL_USAGE = {
    "input_tokens": 3,
    "output_tokens": 2,
    "total_tokens": 5,
    "cache_read_tokens": 0,
    "cache_creation_tokens": 0,
    "reasoning_tokens": 0,
}


def test_text_stream_with_usage_chunk() -> None:
    raw = sse(
        chunk(role="assistant"),
        chunk("Hel"),
        chunk("lo"),
        chunk(finish="stop"),
        {"id": "chatcmpl-1", "choices": [], "usage": USAGE},
        "[DONE]",
    )
    assert parse_stream(raw) == [
        {"id": "chatcmpl-1", "model": "m-1"},
        {"text": "Hel"},
        {"text": "lo"},
        {"finish_reason": "stop"},
        {"usage": NORMAL_USAGE},
    ]


def test_usage_repeated_on_every_chunk_is_emitted_once_at_the_end() -> None:
    raw = sse(
        {**chunk("a"), "usage": {**USAGE, "completion_tokens": 1}},
        {**chunk("b", finish="stop"), "usage": USAGE},
        "[DONE]",
    )
    deltas = parse_stream(raw)
    assert [d for d in deltas if "usage" in d] == [{"usage": NORMAL_USAGE}]
    assert deltas[-1] == {"usage": NORMAL_USAGE}


def test_reasoning_and_tool_call_fragments() -> None:
    raw = sse(
        chunk(reasoning_content="Let me think"),
        chunk(reasoning="... more"),
        chunk(
            tool_calls=[
                {
                    "index": 0,
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get", "arguments": ""},
                }
            ]
        ),
        chunk(tool_calls=[{"index": 0, "function": {"arguments": '{"c":'}}]),
        chunk(
            tool_calls=[
                {"index": 1, "id": "call_2", "function": {"name": "put", "arguments": {"x": 1}}}
            ]
        ),
        chunk(tool_calls=[{"index": 0, "function": {"arguments": "1}"}}]),
        chunk(finish="tool_calls"),
        "[DONE]",
    )
    deltas = parse_stream(raw)
    assert deltas[:2] == [
        {"id": "chatcmpl-1", "model": "m-1", "reasoning": "Let me think"},
        {"reasoning": "... more"},
    ]
    assert [d["tool_calls"] for d in deltas if "tool_calls" in d] == [
        [{"index": 0, "id": "call_1", "name": "get", "arguments": ""}],
        [{"index": 0, "id": None, "name": None, "arguments": '{"c":'}],
        [{"index": 1, "id": "call_2", "name": "put", "arguments": '{"x": 1}'}],
        [{"index": 0, "id": None, "name": None, "arguments": "1}"}],
    ]
    assert deltas[-1] == {"finish_reason": "tool_calls"}


@pytest.mark.parametrize(
    ("finish", "expected"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("content_filter", "content_filter"),
        ("end_turn", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("function_call", "tool_calls"),
        ("weird", "weird"),
    ],
)
def test_finish_reasons_are_normalized(finish: str, expected: str) -> None:
    assert parse_stream(sse(chunk("x", finish=finish), "[DONE]"))[-1]["finish_reason"] == expected


def test_comments_keepalives_and_empty_data_are_ignored() -> None:
    raw = b": OPENROUTER PROCESSING\n\ndata:\n\n" + sse(chunk("x", finish="stop"), "[DONE]")
    assert parse_stream(raw) == [
        {"id": "chatcmpl-1", "model": "m-1", "text": "x", "finish_reason": "stop"}
    ]


def test_events_after_done_are_ignored() -> None:
    raw = sse(chunk("x", finish="stop"), "[DONE]", "not json at all")
    assert parse_stream(raw)[-1]["finish_reason"] == "stop"


def test_eof_after_finish_reason_without_done_is_accepted() -> None:
    raw = sse(chunk("x"), chunk(finish="stop"), {"choices": [], "usage": USAGE})
    assert parse_stream(raw)[-2:] == [{"finish_reason": "stop"}, {"usage": NORMAL_USAGE}]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        sse(chunk("partial")),
        sse(chunk("partial")) + b'data: {"choices": [{"delta": {"content": "cut',
    ],
    ids=["empty", "no-finish", "cut-mid-event"],
)
def test_truncated_streams(raw: bytes) -> None:
    with pytest.raises(StreamTruncatedError):
        parse_stream(raw)


@pytest.mark.parametrize("data", ["{not json", "[1, 2]", '"text"'])
def test_malformed_data(data: str) -> None:
    with pytest.raises(MalformedResponseError):
        parse_stream(sse(chunk("a"), data))


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        (sse({"error": {"message": "Upstream overloaded", "code": 503}}), 503, "overloaded"),
        (sse({"error": {"message": "Rate limited", "type": "rate_limit_error"}}), 429, "Rate"),
        (sse({"message": "boom"}, event_names=["error"]), None, "boom"),
        (sse({"error": "plain"}), None, "plain"),
    ],
)
def test_error_events(raw: bytes, status: int | None, words: str) -> None:
    with pytest.raises(ServerStreamError, match=words) as info:
        parse_stream(sse(chunk("a")) + raw)
    assert info.value.status_code == status
