"""Tool-call planning over HTTP: forced choices that move on, and one call per real request."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from local_helpers import WEATHER_TOOL, chat_body, messages_body


def _function(name: str, properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    parameters = {"type": "object", "properties": properties, "required": list(properties)}
    spec = {"name": name, "description": description, "parameters": parameters}
    return {"type": "function", "function": spec}


CITY = {"city": {"type": "string"}}
GET_WEATHER = _function("get_weather", CITY, "Get the current weather for a city.")
GET_TIME = _function("get_time", CITY, "Get the local time in a city.")
REPORT = _function(
    "WeatherReport",
    {
        "city": {"type": "string", "description": "The city"},
        "temperature": {"type": "number"},
        "conditions": {"type": "string"},
    },
    "A weather report for the user.",
)
WEATHER_RESULT = "It is 18 C and sunny in Paris."
Call = tuple[str, dict[str, Any], str]  # name, arguments, result


def _openai_history(question: str, done: list[Call]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for i, (name, args, output) in enumerate(done):
        function = {"name": name, "arguments": json.dumps(args)}
        call = {"id": f"c{i}", "type": "function", "function": function}
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": f"c{i}", "content": output})
    return messages


def _calls_openai(client: httpx.Client, question: str, done: list[Call], **kw: Any) -> list[Any]:
    body = {**chat_body(), "messages": _openai_history(question, done), **kw}
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 200, response.text
    message = response.json()["choices"][0]["message"]
    calls = message.get("tool_calls") or []
    return [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls]


def _calls_anthropic(client: httpx.Client, question: str, done: list[Call], **kw: Any) -> list[Any]:
    body = messages_body(question, **kw)
    for i, (name, args, output) in enumerate(done):
        use = {"type": "tool_use", "id": f"t{i}", "name": name, "input": args}
        result = {"type": "tool_result", "tool_use_id": f"t{i}", "content": output}
        body["messages"] += [
            {"role": "assistant", "content": [use]},
            {"role": "user", "content": [result]},
        ]
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 200, response.text
    blocks = response.json()["content"]
    return [(b["name"], b["input"]) for b in blocks if b["type"] == "tool_use"]


def _anthropic_tool(spec: dict[str, Any]) -> dict[str, Any]:
    function = spec["function"]
    return {
        "name": function["name"],
        "description": function["description"],
        "input_schema": function["parameters"],
    }


def test_required_choice_calls_a_fresh_tool_filled_from_the_results(
    client: httpx.Client,
) -> None:
    done: list[Call] = [("get_weather", {"city": "Paris"}, WEATHER_RESULT)]
    tools = [GET_WEATHER, REPORT]
    question = "What is the weather in Paris?"
    assert _calls_openai(client, question, [], tools=tools, tool_choice="required") == [
        ("get_weather", {"city": "Paris"})
    ]
    [(name, args)] = _calls_openai(client, question, done, tools=tools, tool_choice="required")
    assert (name, args["city"], args["temperature"]) == ("WeatherReport", "Paris", 18)
    assert "sunny" in args["conditions"]


@pytest.mark.parametrize("tools", [[GET_WEATHER, REPORT], [REPORT, GET_WEATHER]])
def test_first_call_goes_to_the_tool_the_prompt_can_fill(
    client: httpx.Client, tools: list[dict[str, Any]]
) -> None:
    # Both tools match "weather" equally; only get_weather can be filled from the prompt
    # (the report needs a temperature, which only a tool result can supply).
    calls = _calls_openai(client, "What is the weather in Paris?", [], tools=tools)
    assert calls == [("get_weather", {"city": "Paris"})]


def test_anthropic_any_choice_calls_a_fresh_tool_filled_from_the_results(
    client: httpx.Client,
) -> None:
    done: list[Call] = [("get_weather", {"city": "Paris"}, WEATHER_RESULT)]
    tools = [_anthropic_tool(GET_WEATHER), _anthropic_tool(REPORT)]
    choice = {"type": "any"}
    [(name, args)] = _calls_anthropic(
        client, "What is the weather in Paris?", done, tools=tools, tool_choice=choice
    )
    assert (name, args["city"], args["temperature"]) == ("WeatherReport", "Paris", 18)


def test_named_values_in_json_results_fill_the_fields(client: httpx.Client) -> None:
    output = json.dumps({"temperature": 21.5, "conditions": "partly cloudy"})
    done: list[Call] = [("get_weather", {"city": "Oslo"}, output)]
    [(name, args)] = _calls_openai(
        client, "Weather in Oslo?", done, tools=[GET_WEATHER, REPORT], tool_choice="required"
    )
    assert (name, args) == (
        "WeatherReport",
        {"city": "Oslo", "temperature": 21.5, "conditions": "partly cloudy"},
    )


def test_required_choice_hands_out_the_planned_calls_one_by_one(client: httpx.Client) -> None:
    question = "What is the weather in Paris and the time in Tokyo?"
    kw: dict[str, Any] = {
        "tools": [GET_WEATHER, GET_TIME, REPORT],
        "tool_choice": "required",
        "parallel_tool_calls": False,
    }
    done: list[Call] = []
    for expected in [("get_weather", "Paris"), ("get_time", "Tokyo")]:
        [(name, args)] = _calls_openai(client, question, done, **kw)
        assert (name, args["city"]) == expected
        done.append((name, args, f"result of {name}"))
    [(name, _)] = _calls_openai(client, question, done, **kw)
    assert name == "WeatherReport"


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
def test_forced_choice_never_repeats_a_call(client: httpx.Client, api_format: str) -> None:
    tools = [GET_WEATHER, REPORT]
    if api_format == "openai":
        ask, kw = _calls_openai, {"tools": tools, "tool_choice": "required"}
    else:
        kw = {"tools": [_anthropic_tool(t) for t in tools], "tool_choice": {"type": "any"}}
        ask = _calls_anthropic
    done: list[Call] = []
    for _ in range(4):  # once every tool was called, the answer is text
        for name, args in ask(client, "What is the weather in Paris?", done, **kw):
            assert (name, args) not in [(n, a) for n, a, _ in done]
            done.append((name, args, WEATHER_RESULT))
    assert [name for name, _, _ in done] == ["get_weather", "WeatherReport"]


@pytest.mark.parametrize(
    ("prompt", "parallel", "expected"),
    [
        (
            "What is the weather in Paris? Use the get_weather tool.",
            True,
            [("get_weather", "Paris")],
        ),
        (
            "Use the get_weather tool. What is the weather in Paris?",
            True,
            [("get_weather", "Paris")],
        ),
        (
            "What is the weather in Paris and in Tokyo?",
            True,
            [("get_weather", "Paris"), ("get_weather", "Tokyo")],
        ),
        ("What is the weather in Paris and in Tokyo?", False, [("get_weather", "Paris")]),
        (
            "What is the time and the weather in Paris?",
            True,
            [("get_time", "Paris"), ("get_weather", "Paris")],
        ),
    ],
)
def test_parallel_calls_come_from_clauses_with_their_own_value(
    client: httpx.Client, prompt: str, parallel: bool, expected: list[tuple[str, str]]
) -> None:
    tools = [GET_WEATHER, GET_TIME]
    calls = _calls_openai(client, prompt, [], tools=tools, parallel_tool_calls=parallel)
    assert [(name, args["city"]) for name, args in calls] == expected


def test_an_instruction_naming_the_tool_adds_no_call_in_either_format(
    client: httpx.Client,
) -> None:
    prompt = "What is the weather in Paris? Use the get_weather tool."
    assert _calls_openai(client, prompt, [], tools=[WEATHER_TOOL]) == [
        ("get_weather", {"location": "Paris"})
    ]
    tool = _anthropic_tool(WEATHER_TOOL)
    assert _calls_anthropic(client, prompt, [], tools=[tool]) == [
        ("get_weather", {"location": "Paris"})
    ]
