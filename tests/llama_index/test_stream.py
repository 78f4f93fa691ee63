"""The cumulative stream accumulator, fed with recorded normalized event sequences."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import ChatResponse, TextBlock, ThinkingBlock, ToolCallBlock

from llama_index_modelslab._stream import StreamAccumulator
from llama_index_modelslab._tools import tool_selections

USAGE: Any = {
    "input_tokens": 7,
    "output_tokens": 3,
    "total_tokens": 10,
    "cache_read_tokens": 0,
    "cache_creation_tokens": 0,
    "reasoning_tokens": 0,
}


def run(events: list[Any], model: str = "baidu-ernie-4.5-vl-28b-a3b") -> list[ChatResponse]:
    acc = StreamAccumulator(model)
    return [acc.feed(e) for e in events]


def test_text_is_cumulative_and_delta_is_new() -> None:
    out = run(
        [
            {"id": "r", "model": "baidu-ernie-4.5-vl-28b-a3b"},
            {"text": "Hel"},
            {"text": "lo"},
            {"finish_reason": "stop"},
            {"usage": USAGE},
        ]
    )
    assert [r.delta for r in out] == ["", "Hel", "lo", "", ""]
    assert [r.message.content for r in out] == ["", "Hel", "Hello", "Hello", "Hello"]
    # Exactly one growing text block (``content`` joins several blocks with newlines).
    assert [type(b) for b in out[-1].message.blocks] == [TextBlock]
    last = out[-1]
    assert last.additional_kwargs["prompt_tokens"] == 7
    assert last.additional_kwargs["completion_tokens"] == 3
    assert last.additional_kwargs["finish_reason"] == "stop"
    assert last.additional_kwargs["cost"] > 0
    assert last.raw["usage"]["input_tokens"] == 7


def test_usage_stays_in_raw_after_the_usage_event() -> None:
    out = run([{"text": "a"}, {"usage": USAGE}, {"finish_reason": "stop"}])
    assert out[-1].raw["usage"]["input_tokens"] == 7
    assert out[-1].raw["finish_reason"] == "stop"
    assert "usage" not in out[0].raw


def test_reasoning_becomes_thinking_block_and_thinking_delta() -> None:
    out = run([{"reasoning": "Let me "}, {"reasoning": "think."}, {"text": "42"}])
    assert out[0].additional_kwargs["thinking_delta"] == "Let me "
    assert out[1].additional_kwargs["thinking_delta"] == "think."
    assert "thinking_delta" not in out[2].additional_kwargs
    blocks = out[-1].message.blocks
    assert isinstance(blocks[0], ThinkingBlock)
    assert blocks[0].content == "Let me think."
    assert out[-1].message.content == "42"


def frag(index: int, arguments: str, id: str | None = None, name: str | None = None) -> Any:
    return {"index": index, "id": id, "name": name, "arguments": arguments}


def test_tool_calls_split_interleaved_and_late_ids() -> None:
    out = run(
        [
            {"tool_calls": [frag(0, "", "call_a", "add")]},
            {"tool_calls": [frag(0, '{"a": 1,'), frag(1, '{"q"', None, "search")]},
            {"tool_calls": [frag(1, ': "x"}', "call_b")]},
            {"tool_calls": [frag(0, ' "b": 2}')]},
            {"finish_reason": "tool_calls"},
        ]
    )
    mid = out[2]
    assert mid.message.content is None  # no text: no empty text block
    calls = [b for b in mid.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(c.tool_call_id, c.tool_name, c.tool_kwargs) for c in calls] == [
        ("call_a", "add", '{"a": 1,'),
        ("call_b", "search", '{"q": "x"}'),
    ]
    # Partial JSON is readable while streaming.
    selections = tool_selections(mid, error_on_no_tool_call=True)
    assert [s.tool_kwargs for s in selections] == [{"a": 1}, {"q": "x"}]
    final = out[-1]
    calls = [b for b in final.message.blocks if isinstance(b, ToolCallBlock)]
    assert [c.tool_kwargs for c in calls] == [{"a": 1, "b": 2}, {"q": "x"}]
    wire = final.message.additional_kwargs["tool_calls"]
    assert wire == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
        },
        {
            "id": "call_b",
            "type": "function",
            "function": {"name": "search", "arguments": '{"q": "x"}'},
        },
    ]


def test_text_and_tool_call_in_one_turn() -> None:
    out = run(
        [
            {"text": "Let me check."},
            {"tool_calls": [frag(0, "{}", "c", "now")]},
            {"finish_reason": "tool_calls"},
        ]
    )
    blocks = out[-1].message.blocks
    assert [type(b) for b in blocks] == [TextBlock, ToolCallBlock]
    assert out[-1].message.content == "Let me check."
    assert blocks[1].tool_kwargs == {}


def test_each_response_is_independent() -> None:
    acc = StreamAccumulator("m")
    first = acc.feed({"text": "a", "tool_calls": [frag(0, "{", "c", "t")]})
    acc.feed({"text": "b", "tool_calls": [frag(0, "}")]})
    assert first.message.content == "a"
    assert first.message.blocks[1].tool_kwargs == "{"
    assert first.message.additional_kwargs["tool_calls"][0]["function"]["arguments"] == "{"
