"""Pure converters, response side: transport Completion -> ChatResponse -> CompletionResponse."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    MessageRole,
    ThinkingBlock,
    ToolCallBlock,
)

from llama_index_modelslab import ModelsLabLLM
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
    out = {**base, **overrides}
    keys = ("text", "reasoning", "tool_calls", "finish_reason", "logprobs")
    out.setdefault("choices", [{"index": 0, **{k: out[k] for k in keys if k in out}}])
    return out


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


# ---------------------------------------------------------------------------- cost

ERNIE = "baidu-ernie-4.5-vl-28b-a3b"  # $0.14 / $0.56 per million input / output tokens
GPT_OSS = "openai-gpt-oss-120b"  # $0.039 / $0.18
ERNIE_COST = (1000 * 0.14 + 500 * 0.56) / 1e6
GPT_OSS_COST = (1000 * 0.039 + 500 * 0.18) / 1e6
OPENAI_COUNTS = {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500}
COUNTS = {"input_tokens": 1000, "output_tokens": 500}


def answer(extra: dict[str, Any] | None = None, raw: Any = None) -> ChatResponse:
    message = ChatMessage(role="assistant", content="hi")
    return ChatResponse(message=message, additional_kwargs=extra or {}, raw=raw)


@pytest.mark.parametrize(
    ("model", "response", "expected"),
    [
        (ERNIE, answer({"cost": 0.25, **OPENAI_COUNTS}), 0.25),
        (ERNIE, answer({"usage": COUNTS}), ERNIE_COST),
        (ERNIE, answer(OPENAI_COUNTS), ERNIE_COST),
        (ERNIE, answer(raw={"usage": OPENAI_COUNTS}), ERNIE_COST),
        (ERNIE, answer(raw={"model": GPT_OSS, "usage": COUNTS}), GPT_OSS_COST),
        (ERNIE, answer(raw={"model": "not-in-the-catalog", "usage": COUNTS}), ERNIE_COST),
        (ERNIE, answer(raw=SimpleNamespace(usage=OPENAI_COUNTS)), ERNIE_COST),
        (ERNIE, CompletionResponse(text="hi", additional_kwargs=OPENAI_COUNTS), ERNIE_COST),
        (ERNIE, answer(raw={"id": "r1"}), None),
        ("not-in-the-catalog", answer(OPENAI_COUNTS), None),
    ],
    ids=[
        "stored-cost-wins",
        "normalized-usage",
        "flat-counts",
        "raw-openai-usage",
        "raw-names-served-model",
        "raw-model-unpriced",
        "raw-object",
        "completion-response",
        "no-usage",
        "model-unpriced",
    ],
)
def test_estimate_cost_from_usage_and_catalog(
    model: str, response: Any, expected: float | None
) -> None:
    assert ModelsLabLLM(model=model).estimate_cost(response) == pytest.approx(expected)
