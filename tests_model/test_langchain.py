"""``ChatModelsLab`` against llama.cpp's own server: shape and protocol, never wording."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelRequest, ModelResponse, wrap_model_call
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from langchain_modelslab import ChatModelsLab
from modelslab_transport import InternalServerError

from .model_helpers import QUESTION, Cat, joined, strict_cat, weather_tool

if TYPE_CHECKING:
    from conftest import LlamaServer, Recorder  # tests_model/conftest.py, for annotations only

Factory = Callable[..., ChatModelsLab]


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
    merged = joined(chunks)
    assert isinstance(merged.content, str)
    assert merged.content.strip()
    assert merged.response_metadata["finish_reason"] in ("stop", "length")
    assert merged.usage_metadata is None


def test_forced_tool_call(chat_model: Factory) -> None:
    model = chat_model().bind_tools([weather_tool], tool_choice="get_weather")
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
    model = chat_model().bind_tools([weather_tool], tool_choice="get_weather")
    chunks = list(model.stream("What is the weather in Paris?"))
    fragments = [c for chunk in chunks for c in chunk.tool_call_chunks]
    assert len(fragments) > 1, "expected the call in several fragments"
    assert sum(1 for f in fragments if f["name"]) == 1
    merged = joined(chunks)
    assert [c["name"] for c in merged.tool_calls] == ["get_weather"]
    assert set(merged.tool_calls[0]["args"]) == {"city"}
    assert merged.response_metadata["finish_reason"] == "tool_calls"


def test_json_mode(chat_model: Factory) -> None:
    """The prompt names the keys; the answer must be a JSON object with them, typed as ``Cat``."""
    model = chat_model(max_tokens=96).bind(response_format={"type": "json_object"})
    answer = model.invoke("Describe a cat as JSON with the keys 'name' and 'age'.")
    assert isinstance(answer.content, str)
    strict_cat(json.loads(answer.content))


@pytest.mark.parametrize("schema", [None, Cat], ids=["dict", "pydantic"])
def test_structured_output_json_mode(chat_model: Factory, schema: type[Cat] | None) -> None:
    structured = chat_model(max_tokens=96).with_structured_output(schema, method="json_mode")
    result = structured.invoke("Describe a cat as JSON with the keys 'name' and 'age'.")
    if schema is None:
        assert isinstance(result, dict)
        strict_cat(result)
    else:
        assert isinstance(result, Cat)
        assert isinstance(result.name, str)
        assert type(result.age) is int


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

    structured = chat_model().with_structured_output(Cat, method="json_schema")
    with pytest.raises(InternalServerError) as caught:
        structured.invoke("Tom is a cat. He is 3 years old.")
    assert caught.value.status_code == 500
    assert isinstance(caught.value, ModelAPIError)
    assert "json_object" in caught.value.message


def assistant_tool_turns(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request["messages"] if m["role"] == "assistant" and "tool_calls" in m]


def test_tool_result_round_trip_with_null_content_is_refused(
    chat_model: Factory, recorder: Recorder, llama_server: LlamaServer
) -> None:
    """Deviation: an assistant turn with ``tool_calls`` and ``content: null`` gets HTTP 500.

    Decision: keep sending ``null``, and do not rewrite it. It is what the OpenAI protocol
    specifies for a turn that only calls tools (and what ``ChatOpenAI`` sends); the request is
    valid and other servers, including ModelsLab's, accept it. The caller gets the typed
    ``InternalServerError`` carrying the server's own message.

    Proof that ``null`` is the cause: the request is recorded as sent (its assistant turn has
    ``"content": null``), and the same body with ``"content": ""`` (sent by the test itself,
    not by our client) is accepted.
    """
    call = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
    history = [
        HumanMessage("What is the weather in Paris?"),
        AIMessage(content="", tool_calls=[call]),
        ToolMessage("It is 18 °C and sunny in Paris.", tool_call_id="call_1"),
    ]
    model = chat_model(http_client=recorder.client).bind_tools([weather_tool])
    with pytest.raises(InternalServerError) as caught:
        model.invoke(history)

    [request] = recorder.requests
    [turn] = assistant_tool_turns(request)
    assert "content" in turn
    assert turn["content"] is None
    assert [c["id"] for c in turn["tool_calls"]] == ["call_1"]

    [(status, body)] = recorder.answers
    assert status == caught.value.status_code == 500
    assert caught.value.body == body
    server_message = body["error"]["message"]
    assert server_message, "the server explains its refusal"
    assert caught.value.message.startswith(server_message)

    turn["content"] = ""
    control = httpx.post(
        f"{llama_server.base_url}/chat/completions",
        json=request,
        headers={"Authorization": f"Bearer {llama_server.api_key}"},
        timeout=120,
    )
    assert control.status_code == 200, control.text


@wrap_model_call
def force_get_weather(
    request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
) -> ModelResponse:
    """Force the weather tool: a 135M model cannot choose tools on its own."""
    return handler(request.override(tool_choice="get_weather"))


def test_agent_step_with_a_forced_tool(chat_model: Factory) -> None:
    """One ``create_agent`` step: the model must call the tool, the agent runs it.

    The tool returns directly: a second model turn would send the tool call back with
    ``content: null``, which this server refuses (see the next test).
    """
    direct_weather = weather_tool.model_copy(update={"return_direct": True})
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


@wrap_model_call
def force_get_weather_once(
    request: ModelRequest, handler: Callable[[ModelRequest], ModelResponse]
) -> ModelResponse:
    """Force the weather tool until it has run; after that the model may answer."""
    if any(isinstance(m, ToolMessage) for m in request.messages):
        return handler(request)
    return handler(request.override(tool_choice="get_weather"))


def test_agent_tool_loop_stops_at_the_null_content_turn(
    chat_model: Factory, recorder: Recorder
) -> None:
    """A whole ``create_agent`` tool loop cannot finish against this server.

    Step one works: a forced call, and the agent runs the tool. Step two sends the history
    back: the model's forced call carried no text, so our client sends its turn with
    ``content: null`` (see the deviation test above) and this server answers 500. Nothing
    rewrites the request: the test pins how far the loop gets and that the caller gets the
    typed error with the server's message.
    """
    model = chat_model(http_client=recorder.client)
    agent = create_agent(model=model, tools=[weather_tool], middleware=[force_get_weather_once])
    with pytest.raises(InternalServerError) as caught:
        agent.invoke(
            {"messages": [("user", "What is the weather in Paris?")]}, {"recursion_limit": 6}
        )

    first, second = recorder.requests
    (first_status, first_answer), (second_status, second_body) = recorder.answers
    assert first["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert first_status == 200
    message = first_answer["choices"][0]["message"]
    assert message["content"] is None, "the forced call carries no text"
    [call] = message["tool_calls"]
    assert call["function"]["name"] == "get_weather"

    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "tool"]
    assert "tool_choice" not in second or second["tool_choice"] == "auto"
    [turn] = assistant_tool_turns(second)
    assert turn["content"] is None
    assert [c["id"] for c in turn["tool_calls"]] == [call["id"]]
    result = second["messages"][2]
    assert result["tool_call_id"] == call["id"]
    assert result["content"].startswith("It is 18 °C and sunny in ")

    assert second_status == caught.value.status_code == 500
    server_message = second_body["error"]["message"]
    assert server_message
    assert caught.value.message.startswith(server_message)
