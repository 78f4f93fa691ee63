"""ModelsLabLLM over a scripted ``httpx.MockTransport``: exact requests, responses, errors."""

from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import AsyncGenerator, Generator
from typing import Any

import httpx
import pytest
from li_fakes import (
    KEY,
    MODEL,
    MODES,
    chat,
    chunk,
    complete,
    completion_body,
    sse,
    stream_chat,
    stream_complete,
    user,
)
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock, ToolCallBlock

from llama_index_modelslab import ModelsLabLLM
from modelslab_transport import (
    AuthenticationError,
    ConfigurationError,
    InsufficientCreditsError,
    ServerStreamError,
    StreamTruncatedError,
)

pytestmark = pytest.mark.parametrize("mode", MODES)

STREAM = sse(
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Hel"}),
    chunk({"content": "lo"}),
    chunk({}, finish="stop"),
    chunk(None, usage={"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}),
)


async def test_chat_request_and_response(fake: Any, mode: str) -> None:
    llm, api = fake(completion_body("Hi there"))
    response = await chat(llm, mode, user("hello"))
    [request] = api.requests
    assert request.url.path == "/api/v7/llm/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    # No temperature unless set; max_tokens always explicit (the catalog default).
    assert api.bodies == [
        {"model": MODEL, "messages": [{"role": "user", "content": "hello"}], "max_tokens": 1000}
    ]
    assert response.message.content == "Hi there"
    assert response.raw["usage"]["prompt_tokens"] == 12
    assert response.additional_kwargs["prompt_tokens"] == 12
    assert response.additional_kwargs["completion_tokens"] == 3
    # $0.14 / $0.56 per million input / output tokens for the default model.
    assert llm.estimate_cost(response) == pytest.approx((12 * 0.14 + 3 * 0.56) / 1e6)


async def test_settings_and_call_kwargs_reach_the_body(fake: Any, mode: str) -> None:
    llm, api = fake(
        completion_body(),
        temperature=0.2,
        max_tokens=64,
        additional_kwargs={"top_p": 0.9, "safety": "off"},
    )
    await chat(llm, mode, user("x"), stop=["END"], seed=7)
    [body] = api.bodies
    assert body["temperature"] == 0.2
    assert body["max_tokens"] == 64
    assert body["top_p"] == 0.9
    assert body["safety"] == "off"
    assert body["stop"] == ["END"]
    assert body["seed"] == 7


async def test_stream_chat_is_cumulative(fake: Any, mode: str) -> None:
    llm, api = fake(STREAM)
    responses = await stream_chat(llm, mode, user("hi"))
    [body] = api.bodies
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    texts = [r.message.content for r in responses]
    assert texts[-1] == "Hello"
    assert "".join(r.delta or "" for r in responses) == "Hello"
    assert all(a in b for a, b in itertools.pairwise(texts) if a)
    last = responses[-1]
    assert last.additional_kwargs["prompt_tokens"] == 9
    assert last.raw["usage"]["input_tokens"] == 9


async def test_stream_usage_can_be_turned_off(fake: Any, mode: str) -> None:
    llm, api = fake(STREAM, stream_usage=False)
    await stream_chat(llm, mode, user("hi"))
    assert "stream_options" not in api.bodies[0]


async def test_complete_and_stream_complete(fake: Any, mode: str) -> None:
    llm, api = fake(completion_body("done"), STREAM)
    response = await complete(llm, mode, "say done")
    assert response.text == "done"
    assert response.additional_kwargs["total_tokens"] == 15
    streamed = await stream_complete(llm, mode, "say hello")
    assert [r.text for r in streamed][-1] == "Hello"
    assert "".join(r.delta or "" for r in streamed) == "Hello"
    assert streamed[-1].additional_kwargs["completion_tokens"] == 2
    assert [b["messages"] for b in api.bodies] == [
        [{"role": "user", "content": "say done"}],
        [{"role": "user", "content": "say hello"}],
    ]


async def test_reasoning_and_tool_calls_non_streamed(fake: Any, mode: str) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 2}'},
    }
    llm, _ = fake(completion_body(None, tool_calls=[call], reasoning_content="think"))
    response = await chat(llm, mode, user("add"))
    thinking, tool = response.message.blocks
    assert isinstance(thinking, ThinkingBlock)
    assert thinking.content == "think"
    assert isinstance(tool, ToolCallBlock)
    assert (tool.tool_call_id, tool.tool_name, tool.tool_kwargs) == ("call_1", "add", {"a": 2})
    assert response.message.additional_kwargs["tool_calls"][0]["id"] == "call_1"


async def test_streamed_reasoning_surfaces_as_thinking_delta(fake: Any, mode: str) -> None:
    body = sse(
        chunk({"reasoning_content": "Hmm. "}),
        chunk({"reasoning": "Yes."}),
        chunk({"content": "42"}, finish="stop"),
    )
    llm, _ = fake(body)
    responses = await stream_chat(llm, mode, user("q"))
    assert [r.additional_kwargs.get("thinking_delta") for r in responses] == ["Hmm. ", "Yes.", None]
    assert responses[-1].message.blocks[0].content == "Hmm. Yes."  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthenticationError), (402, InsufficientCreditsError)]
)
async def test_http_errors_are_typed_and_never_show_the_key(
    fake: Any, mode: str, status: int, error: type[Exception]
) -> None:
    answer = httpx.Response(status, json={"status": "error", "message": f"bad key {KEY}"})
    llm, _ = fake(answer)
    with pytest.raises(error) as info:
        await chat(llm, mode, user("x"))
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)
    with pytest.raises(error):
        await stream_chat(llm, mode, user("x"))


async def test_error_mid_stream(fake: Any, mode: str) -> None:
    body = sse(chunk({"content": "a"}), {"error": {"message": "upstream died"}}, done=False)
    llm, _ = fake(body)
    with pytest.raises(ServerStreamError, match="upstream died"):
        await stream_chat(llm, mode, user("x"))


async def test_truncated_stream(fake: Any, mode: str) -> None:
    llm, _ = fake(sse(chunk({"content": "a"}), done=False))
    with pytest.raises(StreamTruncatedError):
        await stream_chat(llm, mode, user("x"))


async def test_bad_input_is_a_clear_error_before_any_request(fake: Any, mode: str) -> None:
    llm, api = fake(completion_body())
    with pytest.raises(ConfigurationError, match=r"messages\[0\] \(tool\): .*tool_call_id"):
        await chat(llm, mode, [ChatMessage(role="tool", content="5")])
    assert api.requests == []


async def test_anthropic_format_goes_to_messages_endpoint(fake: Any, mode: str) -> None:
    answer = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": "Bonjour"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 5, "output_tokens": 1},
    }
    llm, api = fake(answer, api_format="anthropic")
    response = await chat(
        llm, mode, [ChatMessage(role="system", content="be French"), *user("hello")]
    )
    [request] = api.requests
    assert request.url.path == "/api/v7/llm/v1/messages"
    body = json.loads(request.content)
    assert body["system"] == "be French"
    assert body["messages"][0]["role"] == "user"
    assert response.message.content == "Bonjour"
    assert response.additional_kwargs["prompt_tokens"] == 5


async def test_stream_methods_return_generators_when_called_or_awaited(
    fake: Any, mode: str
) -> None:
    # Core awaits astream_* and then iterates (an async-generator function breaks callers);
    # stream_* return a generator directly.
    llm, api = fake(STREAM)
    if mode == "sync":
        assert not inspect.iscoroutinefunction(ModelsLabLLM.stream_chat)
        gen: Any = llm.stream_chat(user("x"))
        assert isinstance(gen, Generator)
        responses = list(gen)
    else:
        assert inspect.iscoroutinefunction(ModelsLabLLM.astream_chat)
        gen = await llm.astream_chat(user("x"))
        assert isinstance(gen, AsyncGenerator)
        responses = [r async for r in gen]
    assert [r.delta for r in responses] == ["", "Hel", "lo", "", ""]
    assert [r.message.content for r in responses] == ["", "Hel", "Hello", "Hello", "Hello"]
    assert len(api.requests) == 1


@pytest.mark.parametrize("name", ["complete", "chat", "stream_complete", "stream_chat"])
def test_async_twins_are_coroutine_functions(mode: str, name: str) -> None:
    method = getattr(ModelsLabLLM, name if mode == "sync" else f"a{name}")
    assert inspect.iscoroutinefunction(method) is (mode == "async")
