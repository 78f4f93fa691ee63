"""Tool calling end to end against the local server, sync and async, streamed and not."""

from __future__ import annotations

import json
from typing import Any

import pytest
from li_fakes import MODES, completion_body
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ToolCallBlock
from llama_index.core.tools import FunctionTool

pytestmark = pytest.mark.parametrize("mode", MODES)


def add(a: int, b: int) -> int:
    """Add two integers a and b."""
    return a + b


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny in {city}"


ADD = FunctionTool.from_defaults(fn=add)
WEATHER = FunctionTool.from_defaults(fn=get_weather)


async def chat_with_tools(llm: Any, mode: str, tools: list[Any], **kw: Any) -> ChatResponse:
    if mode == "sync":
        return llm.chat_with_tools(tools, **kw)  # type: ignore[no-any-return]
    return await llm.achat_with_tools(tools, **kw)  # type: ignore[no-any-return]


async def stream_chat_with_tools(llm: Any, mode: str, tools: list[Any], **kw: Any) -> list[Any]:
    if mode == "sync":
        return list(llm.stream_chat_with_tools(tools, **kw))
    return [r async for r in await llm.astream_chat_with_tools(tools, **kw)]


async def predict_and_call(llm: Any, mode: str, tools: list[Any], **kw: Any) -> Any:
    if mode == "sync":
        return llm.predict_and_call(tools, **kw)
    return await llm.apredict_and_call(tools, **kw)


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
async def test_chat_with_tools_calls_the_tool(make_llm: Any, mode: str, api_format: str) -> None:
    llm = make_llm(api_format=api_format)
    response = await chat_with_tools(llm, mode, [ADD, WEATHER], user_msg="What is 2 plus 3?")
    [call] = llm.get_tool_calls_from_response(response)
    assert (call.tool_name, call.tool_kwargs) == ("add", {"a": 2, "b": 3})
    assert call.tool_id
    assert response.message.additional_kwargs["tool_calls"][0]["function"]["name"] == "add"


async def test_request_carries_tools_and_choice(fake: Any, mode: str) -> None:
    model, api = fake(completion_body("ok"))
    await chat_with_tools(
        model, mode, [ADD], user_msg="x", tool_required=True, allow_parallel_tool_calls=True
    )
    await chat_with_tools(model, mode, [ADD, WEATHER], user_msg="x", tool_choice="get_weather")
    first, second = api.bodies
    assert first["tools"][0]["function"]["name"] == "add"
    assert (first["tool_choice"], first["parallel_tool_calls"]) == ("required", True)
    assert second["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert second["parallel_tool_calls"] is False


async def test_tool_required_forces_a_call(llm: Any, mode: str) -> None:
    response = await chat_with_tools(
        llm, mode, [WEATHER], user_msg="Hello there", tool_required=True
    )
    [call] = llm.get_tool_calls_from_response(response)
    assert call.tool_name == "get_weather"


async def test_no_tool_call(llm: Any, mode: str) -> None:
    response = await chat_with_tools(llm, mode, [WEATHER], user_msg="Say hello", tool_choice="none")
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="tool call"):
        llm.get_tool_calls_from_response(response)


async def test_parallel_calls_kept_only_when_allowed(llm: Any, mode: str) -> None:
    prompt = "Get the weather in Paris and in Tokyo"
    both = await chat_with_tools(
        llm, mode, [WEATHER], user_msg=prompt, allow_parallel_tool_calls=True
    )
    single = await chat_with_tools(llm, mode, [WEATHER], user_msg=prompt)
    assert len(llm.get_tool_calls_from_response(both)) == 2
    assert len(llm.get_tool_calls_from_response(single)) == 1
    assert len(single.message.additional_kwargs["tool_calls"]) == 1


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
async def test_streamed_tool_call(make_llm: Any, mode: str, api_format: str) -> None:
    llm = make_llm(api_format=api_format)
    responses = await stream_chat_with_tools(llm, mode, [ADD], user_msg="What is 2 plus 3?")
    last = responses[-1]
    blocks = [b for b in last.message.blocks if isinstance(b, ToolCallBlock)]
    assert [(b.tool_name, b.tool_kwargs) for b in blocks] == [("add", {"a": 2, "b": 3})]
    wire = last.message.additional_kwargs["tool_calls"]
    assert json.loads(wire[0]["function"]["arguments"]) == {"a": 2, "b": 3}
    # Every intermediate response can be read without errors (partial JSON tolerated).
    for response in responses:
        llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)


async def test_predict_and_call(llm: Any, mode: str) -> None:
    output = await predict_and_call(llm, mode, [ADD], user_msg="What is 2 plus 3?")
    assert output.response == "5"
    assert output.sources[0].tool_name == "add"


async def test_tool_result_round_trip(llm: Any, mode: str) -> None:
    history = [ChatMessage(role="user", content="What is the weather in Paris?")]
    first = await chat_with_tools(llm, mode, [WEATHER], chat_history=history)
    [call] = llm.get_tool_calls_from_response(first)
    history += [
        first.message,
        ChatMessage(
            role="tool",
            content=get_weather(**call.tool_kwargs),
            additional_kwargs={"tool_call_id": call.tool_id},
        ),
    ]
    final = await chat_with_tools(llm, mode, [WEATHER], chat_history=history)
    assert "Sunny in Paris" in (final.message.content or "")
    assert llm.get_tool_calls_from_response(final, error_on_no_tool_call=False) == []
