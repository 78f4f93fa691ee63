"""Table-driven tests of the pure output converters (transport answers -> LangChain)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk

from langchain_modelslab._outputs import (
    StreamState,
    completion_to_result,
    delta_to_chunk,
    parse_tool_calls,
    usage_metadata,
)
from modelslab_transport import Completion, StreamDelta, Usage
from modelslab_transport._openai import parse_completion

pytestmark = pytest.mark.usefixtures("no_network")


def usage(inp: int = 5, out: int = 3, **details: int) -> Usage:
    base = Usage(
        input_tokens=inp,
        output_tokens=out,
        total_tokens=inp + out,
        cache_read_tokens=0,
        cache_creation_tokens=0,
        reasoning_tokens=0,
    )
    base.update(details)  # type: ignore[typeddict-item]
    return base


def completion(**overrides: Any) -> Completion:
    base = Completion(
        id="cmpl-1",
        model="served-model",
        text="hello",
        reasoning=None,
        tool_calls=[],
        finish_reason="stop",
        usage=usage(),
        raw={},
        choices=[],
    )
    base.update(overrides)  # type: ignore[typeddict-item]
    if not base["choices"]:  # one choice: the answer fields
        keys = ("text", "reasoning", "tool_calls", "finish_reason", "logprobs")
        first = {k: base[k] for k in keys if k in base}  # type: ignore[literal-required]
        base["choices"] = [{"index": 0, **first}]  # type: ignore[typeddict-item]
    return base


USAGE_CASES = [
    ("plain", usage(), {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8}),
    (
        "cache + reasoning details",
        usage(10, 4, cache_read_tokens=6, cache_creation_tokens=2, reasoning_tokens=3),
        {
            "input_tokens": 10,
            "output_tokens": 4,
            "total_tokens": 14,
            "input_token_details": {"cache_read": 6, "cache_creation": 2},
            "output_token_details": {"reasoning": 3},
        },
    ),
    (
        "only cache creation",
        usage(1, 1, cache_creation_tokens=1),
        {
            "input_tokens": 1,
            "output_tokens": 1,
            "total_tokens": 2,
            "input_token_details": {"cache_creation": 1},
        },
    ),
]


@pytest.mark.parametrize(
    ("wire", "expected"), [c[1:] for c in USAGE_CASES], ids=[c[0] for c in USAGE_CASES]
)
def test_usage_metadata(wire: Usage, expected: dict[str, Any]) -> None:
    assert usage_metadata(wire) == expected


TOOL_CALL_CASES = [
    ("valid", '{"a": 1}', [{"a": 1}], []),
    ("empty arguments mean no arguments", "", [{}], []),
    ("whitespace", "  ", [{}], []),
    ("unicode", '{"name": "你好"}', [{"name": "你好"}], []),
    ("control characters tolerated", '{"t": "a\tb"}', [{"t": "a\tb"}], []),
    ("invalid json", '{"a": ', [], ["not valid JSON"]),
    ("not an object", "[1, 2]", [], ["not a JSON object"]),
]


@pytest.mark.parametrize(
    ("arguments", "valid", "errors"),
    [c[1:] for c in TOOL_CALL_CASES],
    ids=[c[0] for c in TOOL_CALL_CASES],
)
def test_parse_tool_calls(arguments: str, valid: list[dict[str, Any]], errors: list[str]) -> None:
    calls, invalid = parse_tool_calls([{"id": "c1", "name": "f", "arguments": arguments}])
    assert [c["args"] for c in calls] == valid
    assert all(c["id"] == "c1" and c["name"] == "f" and c["type"] == "tool_call" for c in calls)
    assert len(invalid) == len(errors)
    for bad, needle in zip(invalid, errors, strict=True):
        assert needle in (bad["error"] or "")
        assert bad["args"] == arguments
        assert bad["id"] == "c1"


def test_completion_to_result_text_reasoning_usage() -> None:
    result = completion_to_result(completion(reasoning="because"), model="asked")
    (generation,) = result.generations
    msg = generation.message
    assert msg.content == "hello"
    assert msg.id == "cmpl-1"
    assert msg.additional_kwargs == {"reasoning_content": "because"}
    assert msg.usage_metadata == {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8}
    assert msg.response_metadata == {
        "model_name": "served-model",
        "finish_reason": "stop",
        "model_provider": "modelslab",
        "id": "cmpl-1",
    }
    assert [b["type"] for b in msg.content_blocks] == ["reasoning", "text"]
    assert result.llm_output is not None
    assert result.llm_output["model_name"] == "served-model"


def test_completion_to_result_tool_calls_and_fallbacks() -> None:
    calls = [
        {"id": "a", "name": "good", "arguments": '{"x": 1}'},
        {"id": "b", "name": "bad", "arguments": "{oops"},
    ]
    result = completion_to_result(
        completion(text=None, model=None, tool_calls=calls, usage=None, finish_reason="tool_calls"),
        model="asked",
    )
    msg = result.generations[0].message
    assert msg.content == ""
    assert msg.response_metadata["model_name"] == "asked"
    assert msg.usage_metadata is None
    assert [c["name"] for c in msg.tool_calls] == ["good"]
    assert [c["name"] for c in msg.invalid_tool_calls] == ["bad"]


def test_completion_to_result_has_a_generation_per_choice() -> None:
    raw = {
        "choices": [
            {"message": {"content": "one"}},
            {
                "message": {
                    "content": "two",
                    "reasoning": "r2",
                    "tool_calls": [{"id": "t", "function": {"name": "f", "arguments": {"k": 1}}}],
                },
                "finish_reason": "tool_calls",
            },
            "garbage",
        ]
    }
    # The transport reads every choice; each becomes a generation.
    result = completion_to_result(parse_completion(raw), model="m")
    assert [g.message.content for g in result.generations] == ["one", "two"]
    second = result.generations[1].message
    assert second.additional_kwargs == {"reasoning_content": "r2"}
    assert second.tool_calls[0]["args"] == {"k": 1}
    assert second.usage_metadata is None  # usage is counted once, on the first


def test_delta_to_chunk_nothing_to_say() -> None:
    state = StreamState("asked")
    assert delta_to_chunk({"model": "served", "id": "x"}, state) is None
    assert state.model == "served"


def test_usage_dropped_when_stream_usage_off() -> None:
    state = StreamState("m", stream_usage=False)
    assert delta_to_chunk({"usage": usage()}, state) is None


STREAM: list[StreamDelta] = [
    {"id": "c1", "model": "served", "reasoning": "th"},
    {"reasoning": "ink"},
    {"text": "Hel"},
    {"text": "lo"},
    {"tool_calls": [{"index": 0, "id": "call_1", "name": "get_weather", "arguments": '{"city": '}]},
    {"tool_calls": [{"index": 0, "id": None, "name": None, "arguments": '"巴黎"}'}]},
    {"tool_calls": [{"index": 1, "id": "call_2", "name": "noop", "arguments": ""}]},
    {"finish_reason": "tool_calls"},
    {"usage": usage()},
]


def _aggregate() -> tuple[list[AIMessageChunk], AIMessageChunk]:
    state = StreamState("asked")
    chunks = [c.message for d in STREAM if (c := delta_to_chunk(d, state)) is not None]
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    return chunks, total  # type: ignore[return-value]


def test_stream_aggregates_to_one_message() -> None:
    chunks, total = _aggregate()
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert sum(1 for c in chunks if "model_name" in c.response_metadata) == 1
    assert sum(1 for c in chunks if "finish_reason" in c.response_metadata) == 1
    assert total.content == "Hello"
    assert total.additional_kwargs == {"reasoning_content": "think"}
    assert total.id == "c1"
    assert total.response_metadata == {
        "model_provider": "modelslab",
        "finish_reason": "tool_calls",
        "model_name": "served",
        "id": "c1",
    }
    assert total.tool_calls == [
        {"name": "get_weather", "args": {"city": "巴黎"}, "id": "call_1", "type": "tool_call"},
        {"name": "noop", "args": {}, "id": "call_2", "type": "tool_call"},
    ]
    assert total.usage_metadata == {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8}
    assert [b["type"] for b in total.content_blocks] == [
        "reasoning",
        "text",
        "tool_call",
        "tool_call",
    ]
