"""``ChatModelsLab`` against llama.cpp's own server: shape and protocol, never wording."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelRequest, ModelResponse, wrap_model_call
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_modelslab import ChatModelsLab

Factory = Callable[..., ChatModelsLab]
QUESTION = "What is the capital of France? Answer in one sentence."


@tool
def get_weather(city: str) -> str:
    """Return the current weather for a city."""
    return f"It is 18 °C and sunny in {city}."


class Cat(BaseModel):
    """A cat."""

    name: str
    age: int


def merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    assert chunks, "the stream produced no chunks"
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    return merged


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_invoke(chat_model: Factory, mode: str) -> None:
    model = chat_model()
    answer = model.invoke(QUESTION) if mode == "sync" else await model.ainvoke(QUESTION)
    assert isinstance(answer, AIMessage)
    assert isinstance(answer.content, str)
    assert answer.content.strip()
    assert answer.response_metadata["model_name"] == "smollm2"
    assert answer.response_metadata["finish_reason"] in ("stop", "length")
    assert answer.usage_metadata is not None
    assert answer.usage_metadata["input_tokens"] > 0
    assert answer.usage_metadata["output_tokens"] > 0


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_stream_without_a_usage_chunk(chat_model: Factory, mode: str) -> None:
    """Deviation: the server ignores ``stream_options.include_usage``: no usage chunk.

    Decision: tolerate it. Usage is optional in a stream; the stream must end cleanly at
    ``[DONE]`` and the client must not invent counts, so ``usage_metadata`` stays empty.
    """
    model = chat_model()
    if mode == "sync":
        chunks = list(model.stream(QUESTION))
    else:
        chunks = [c async for c in model.astream(QUESTION)]
    texts = [c.content for c in chunks if c.content]
    assert len(texts) > 1, "expected the answer in several chunks"
    merged = merge(chunks)
    assert isinstance(merged.content, str)
    assert merged.content.strip()
    assert merged.response_metadata["finish_reason"] in ("stop", "length")
    assert merged.usage_metadata is None


def test_forced_tool_call(chat_model: Factory) -> None:
    model = chat_model().bind_tools([get_weather], tool_choice="get_weather")
    answer = model.invoke("What is the weather in Paris?")
    assert isinstance(answer, AIMessage)
    assert answer.invalid_tool_calls == []
    assert [c["name"] for c in answer.tool_calls] == ["get_weather"]
    call = answer.tool_calls[0]
    assert call["id"]
    assert set(call["args"]) == {"city"}
    assert isinstance(call["args"]["city"], str)
    assert answer.response_metadata["finish_reason"] == "tool_calls"


def test_streamed_forced_tool_call_has_the_name_once(chat_model: Factory) -> None:
    """Deviation: every streamed fragment repeats the call's ``id`` and ``function.name``.

    Decision: tolerate it (a real server does it, and the fix is cheap and safe): the
    transport drops an id or name that only repeats what the call already has, so LangChain's
    chunk merging yields ``get_weather`` and not ``get_weatherget_weather...``.
    """
    model = chat_model().bind_tools([get_weather], tool_choice="get_weather")
    chunks = list(model.stream("What is the weather in Paris?"))
    fragments = [c for chunk in chunks for c in chunk.tool_call_chunks]
    assert len(fragments) > 1, "expected the call in several fragments"
    assert sum(1 for f in fragments if f["name"]) == 1
    merged = merge(chunks)
    assert [c["name"] for c in merged.tool_calls] == ["get_weather"]
    assert set(merged.tool_calls[0]["args"]) == {"city"}
    assert merged.response_metadata["finish_reason"] == "tool_calls"


def test_json_mode(chat_model: Factory) -> None:
    model = chat_model(max_tokens=96).bind(response_format={"type": "json_object"})
    answer = model.invoke("Describe a cat as JSON with the keys 'name' and 'age'.")
    assert isinstance(answer.content, str)
    assert isinstance(json.loads(answer.content), dict)


def test_structured_output_json_mode(chat_model: Factory) -> None:
    structured = chat_model(max_tokens=96).with_structured_output(method="json_mode")
    result = structured.invoke("Describe a cat as JSON with the keys 'name' and 'age'.")
    assert isinstance(result, dict)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_structured_output_function_calling(chat_model: Factory, mode: str) -> None:
    structured = chat_model().with_structured_output(Cat, method="function_calling")
    prompt = "Tom is a cat. He is 3 years old."
    result = structured.invoke(prompt) if mode == "sync" else await structured.ainvoke(prompt)
    assert isinstance(result, Cat)


def test_structured_output_json_schema_is_refused_by_this_server(chat_model: Factory) -> None:
    """Deviation: ``response_format`` type ``json_schema`` is answered with HTTP 500.

    Decision: do not hide it. The model id is unknown to our catalog, so the adapter tries
    the method the caller chose; silently switching methods for every server would change
    behaviour where ``json_schema`` works. The caller gets the typed 500 with the server's
    own words and can pick ``json_mode`` or ``function_calling``.
    """
    from langchain_core.exceptions import ModelAPIError

    from modelslab_transport import InternalServerError

    structured = chat_model().with_structured_output(Cat, method="json_schema")
    with pytest.raises(InternalServerError) as caught:
        structured.invoke("Tom is a cat. He is 3 years old.")
    assert caught.value.status_code == 500
    assert isinstance(caught.value, ModelAPIError)
    assert "json_object" in caught.value.message


def test_tool_result_round_trip_with_null_content_is_refused(chat_model: Factory) -> None:
    """Deviation: an assistant turn with ``tool_calls`` and ``content: null`` gets HTTP 500.

    Decision: keep sending ``null``. It is what the OpenAI protocol specifies for a turn that
    only calls tools (and what ``ChatOpenAI`` sends); the request is valid and other servers,
    including ModelsLab's, accept it. The caller gets a typed 500, not a raw HTTP error.
    """
    from modelslab_transport import InternalServerError

    call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
    history = [
        HumanMessage("What is the weather in Paris?"),
        AIMessage(content="", tool_calls=[call]),
        ToolMessage("It is 18 °C and sunny in Paris.", tool_call_id="call_1"),
    ]
    model = chat_model().bind_tools([get_weather])
    with pytest.raises(InternalServerError) as caught:
        model.invoke(history)
    assert caught.value.status_code == 500


@wrap_model_call
def force_get_weather(
    request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
) -> ModelResponse:
    """Force the weather tool: a 135M model cannot choose tools on its own."""
    return handler(request.override(tool_choice="get_weather"))


def test_agent_step_with_a_forced_tool(chat_model: Factory) -> None:
    """One ``create_agent`` step: the model must call the tool, the agent runs it.

    The tool returns directly: a second model turn would send the tool call back with
    ``content: null``, which this server refuses (see the test above).
    """
    direct_weather = get_weather.model_copy(update={"return_direct": True})
    agent = create_agent(model=chat_model(), tools=[direct_weather], middleware=[force_get_weather])
    result: dict[str, Any] = agent.invoke(
        {"messages": [("user", "What is the weather in Paris?")]}, {"recursion_limit": 6}
    )
    messages = result["messages"]
    assert [type(m).__name__ for m in messages] == ["HumanMessage", "AIMessage", "ToolMessage"]
    ai, tool_message = messages[1], messages[2]
    assert [c["name"] for c in ai.tool_calls] == ["get_weather"]
    assert tool_message.tool_call_id == ai.tool_calls[0]["id"]
    assert tool_message.status == "success"
    assert tool_message.content.startswith("It is 18 °C and sunny in ")
