"""Structured output by tool calling, JSON mode, or prompt-and-parse; sync, async, streamed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from li_fakes import MODES, chunk, completion_body, sse, user
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

METHODS = ["function", "json_mode", "text"]
PROMPT = PromptTemplate("Describe the city of {city} as a City.")


class City(BaseModel):
    """A city and the country it is in."""

    name: str
    country: str


async def predict(llm: Any, mode: str, **kw: Any) -> Any:
    if mode == "sync":
        return llm.structured_predict(City, PROMPT, **kw)
    return await llm.astructured_predict(City, PROMPT, **kw)


async def stream_predict(llm: Any, mode: str, **kw: Any) -> list[Any]:
    if mode == "sync":
        return list(llm.stream_structured_predict(City, PROMPT, **kw))
    return [x async for x in await llm.astream_structured_predict(City, PROMPT, **kw)]


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
async def test_structured_predict(make_llm: Any, method: str, mode: str, api_format: str) -> None:
    llm = make_llm(structured_output_method=method, api_format=api_format)
    city = await predict(llm, mode, city="Paris")
    assert isinstance(city, City)
    assert city.name


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
async def test_stream_structured_predict(make_llm: Any, method: str, mode: str) -> None:
    llm = make_llm(structured_output_method=method)
    partials = await stream_predict(llm, mode, city="Paris")
    assert partials
    last = partials[-1]
    assert isinstance(last, City)
    assert last.name
    assert last.country


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", METHODS)
async def test_as_structured_llm(make_llm: Any, method: str, mode: str) -> None:
    structured = make_llm(structured_output_method=method).as_structured_llm(City)
    messages = user("Describe the city of Paris as a City.")
    if mode == "sync":
        response = structured.chat(messages)
    else:
        response = await structured.achat(messages)
    assert isinstance(response.raw, City)
    assert json.loads(response.message.content)["name"] == response.raw.name


# ------------------------------------------------- what each method sends (scripted)

CITY_JSON = '{"name": "Paris", "country": "France"}'
CITY_CALL = {"id": "c1", "type": "function", "function": {"name": "City", "arguments": CITY_JSON}}


@pytest.mark.parametrize("mode", MODES)
async def test_function_method_forces_the_tool(fake: Any, mode: str) -> None:
    llm, api = fake(completion_body(None, tool_calls=[CITY_CALL]))
    city = await predict(llm, mode, city="Paris")
    assert city == City(name="Paris", country="France")
    [body] = api.bodies
    assert body["tools"][0]["function"]["name"] == "City"
    # One tool, one call required: asked for by name (equivalent to "required", and honoured
    # by servers that do not know "required").
    assert body["tool_choice"] == {"type": "function", "function": {"name": "City"}}
    assert body["parallel_tool_calls"] is False
    assert "response_format" not in body


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("method", "response_format"), [("json_mode", {"type": "json_object"}), ("text", None)]
)
async def test_json_and_text_methods_send_no_tools(
    fake: Any, mode: str, method: str, response_format: Any
) -> None:
    llm, api = fake(completion_body(f"Here you go: {CITY_JSON}"), structured_output_method=method)
    city = await predict(llm, mode, city="Paris")
    assert city == City(name="Paris", country="France")
    [body] = api.bodies
    assert "tools" not in body
    assert "tool_choice" not in body
    assert body.get("response_format") == response_format
    assert '"country"' in body["messages"][-1]["content"]  # the schema is in the prompt


@pytest.mark.parametrize("mode", MODES)
async def test_streamed_tool_arguments_build_up(fake: Any, mode: str) -> None:
    pieces = ['{"name": "Pa', 'ris", "coun', 'try": "France"}']
    stream = sse(
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "c1", "function": {"name": "City", "arguments": ""}}
                ]
            }
        ),
        *[chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in pieces],
        chunk({}, finish="tool_calls"),
    )
    llm, _ = fake(stream)
    partials = await stream_predict(llm, mode, city="Paris")
    assert partials[-1] == City(name="Paris", country="France")
    assert any(getattr(p, "country", None) in (None, "") for p in partials[:-1])


@pytest.mark.parametrize("mode", MODES)
async def test_llm_kwargs_are_kept(fake: Any, mode: str) -> None:
    llm, api = fake(completion_body(CITY_JSON), structured_output_method="json_mode")
    await predict(llm, mode, city="Paris", llm_kwargs={"temperature": 0.0})
    assert api.bodies[0]["temperature"] == 0.0
    assert api.bodies[0]["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("mode", MODES)
async def test_method_assigned_after_construction_is_used(fake: Any, mode: str) -> None:
    llm, api = fake(completion_body(None, tool_calls=[CITY_CALL]), completion_body(CITY_JSON))
    assert await predict(llm, mode, city="Paris") == City(name="Paris", country="France")
    llm.structured_output_method = "json_mode"
    assert await predict(llm, mode, city="Paris") == City(name="Paris", country="France")
    tools_call, json_call = api.bodies
    assert tools_call["tool_choice"]["function"]["name"] == "City"
    assert "tools" not in json_call
    assert json_call["response_format"] == {"type": "json_object"}
