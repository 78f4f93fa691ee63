"""Pure converters, response side: transport Completion -> ChatResponse -> CompletionResponse."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    ThinkingBlock,
    ToolCallBlock,
)

from llama_index_modelslab._responses import (
    chat_to_completion_response,
    completion_to_chat_response,
    parse_arguments,
    usage_kwargs,
)

USAGE: Any = {
    "input_tokens": 10,
    "output_tokens": 5,
    "total_tokens": 15,
    "cache_read_tokens": 0,
    "cache_creation_tokens": 0,
    "reasoning_tokens": 2,
}


def completion(**overrides: Any) -> Any:
    base = {
        "id": "r1",
        "model": "baidu-ernie-4.5-vl-28b-a3b",
        "text": "hello",
        "reasoning": None,
        "tool_calls": [],
        "finish_reason": "stop",
        "usage": USAGE,
        "raw": {"usage": {"prompt_tokens": 10, "completion_tokens": 5}},
    }
    return {**base, **overrides}


def test_completion_to_chat_response_text_and_usage() -> None:
    response = completion_to_chat_response("m", completion())
    assert response.message.role == MessageRole.ASSISTANT
    assert response.message.content == "hello"
    assert response.raw == {"usage": {"prompt_tokens": 10, "completion_tokens": 5}}
    extra = response.additional_kwargs
    assert (extra["prompt_tokens"], extra["completion_tokens"], extra["total_tokens"]) == (
        10,
        5,
        15,
    )
    assert extra["usage"]["reasoning_tokens"] == 2
    assert extra["finish_reason"] == "stop"
    # ERNIE 28B: $0.14 / $0.56 per million tokens.
    assert extra["cost"] == pytest.approx((10 * 0.14 + 5 * 0.56) / 1e6)


def test_completion_to_chat_response_tools_and_reasoning() -> None:
    calls = [
        {"id": "a", "name": "add", "arguments": '{"x": 1}'},
        {"id": "b", "name": "bad", "arguments": "{not json"},
    ]
    response = completion_to_chat_response(
        "m", completion(text=None, reasoning="think", tool_calls=calls, usage=None)
    )
    blocks = response.message.blocks
    assert [type(b) for b in blocks] == [ThinkingBlock, ToolCallBlock, ToolCallBlock]
    assert blocks[1].tool_kwargs == {"x": 1}
    assert blocks[2].tool_kwargs == "{not json"
    assert response.message.content is None
    assert [c["function"]["name"] for c in response.message.additional_kwargs["tool_calls"]] == [
        "add",
        "bad",
    ]
    assert "prompt_tokens" not in response.additional_kwargs


def test_empty_answer_has_empty_content() -> None:
    response = completion_to_chat_response("m", completion(text=None))
    assert response.message.content == ""


def test_unknown_model_has_no_cost() -> None:
    assert "cost" not in usage_kwargs("no-such-model", USAGE)
    assert usage_kwargs("m", None) == {}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [('{"a": 1}', {"a": 1}), ("", {}), ("[1]", "[1]"), ('{"a": ', '{"a": ')],
)
def test_parse_arguments(arguments: str, expected: Any) -> None:
    assert parse_arguments(arguments) == expected


def test_chat_to_completion_response_does_not_mutate() -> None:
    chat = ChatResponse(
        message=ChatMessage(role="assistant", content="x", additional_kwargs={"k": 1}),
        additional_kwargs={"prompt_tokens": 3},
        delta="x",
        raw={"r": 1},
    )
    out = chat_to_completion_response(chat)
    assert (out.text, out.delta, out.raw) == ("x", "x", {"r": 1})
    assert out.additional_kwargs == {"k": 1, "prompt_tokens": 3}
    assert chat.message.additional_kwargs == {"k": 1}
