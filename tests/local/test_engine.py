"""The deterministic engine's rules, called directly (no HTTP): agents, RAG, schemas."""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelslab_local import DeterministicEngine, EngineRequest
from modelslab_local._engine import EngineAnswer, finalize
from modelslab_local._schema import fill_schema

ENGINE = DeterministicEngine()

MULTIPLY_ARGS = json.dumps(
    {
        "properties": {
            "a": {"title": "A", "type": "integer"},
            "b": {"title": "B", "type": "integer"},
        },
        "required": ["a", "b"],
        "type": "object",
    }
)
REACT_SYSTEM = f"""You are designed to help with a variety of tasks.

## Tools

You have access to the following tools:
> Tool Name: multiply
Tool Description: multiply(a: int, b: int) -> int
Multiply two integers and return the product.
Tool Args: {MULTIPLY_ARGS}

> Tool Name: get_weather
Tool Description: Get the weather in a city.
Tool Args: {{"properties": {{"city": {{"type": "string"}}}}, "required": ["city"]}}

## Output Format

Thought: ...
Action: tool name (one of multiply, get_weather) if using a tool.
Action Input: the input to the tool, in a JSON format representing the kwargs

If this format is used, the tool will respond in the following format:

Observation: tool response
"""


def answer(messages: list[dict[str, Any]] | str, **kw: Any) -> EngineAnswer:
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    request = EngineRequest(model="m", messages=messages, **kw)
    return finalize(ENGINE.generate(request), request)


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Hello", "Hello! How can I help you today?"),
        ("how are you", "I'm doing well, thank you for asking! How can I help you today?"),
        ("What is 2 plus 3 times 4?", "2 + 3 * 4 = 14."),
        ("What is (1 + 2) / 4?", "(1 + 2) / 4 = 0.75."),
        ("Count to 5", "1, 2, 3, 4, 5"),
        ('Say "banana"', "banana"),
        ("What is the capital of France?", "The capital of France is Paris."),
    ],
)
def test_plain_answers(prompt: str, expected: str) -> None:
    assert answer(prompt).text == expected


def test_react_calls_a_tool_then_answers_from_the_observation() -> None:
    messages = [
        {"role": "system", "content": REACT_SYSTEM},
        {"role": "user", "content": "What is 6 multiplied by 7?"},
    ]
    first = answer(messages).text or ""
    assert first.startswith("Thought:")
    assert "\nAction: multiply\nAction Input: " in first
    assert json.loads(first.split("Action Input: ")[1]) == {"a": 6, "b": 7}
    messages += [
        {"role": "assistant", "content": first},
        {"role": "user", "content": "Observation: 42"},
    ]
    final = answer(messages).text or ""
    assert final.startswith("Thought: I can answer without using any more tools.")
    assert final.endswith("Answer: The result of multiply is 42.")


def test_react_without_a_fitting_tool_answers_directly() -> None:
    messages = [{"role": "system", "content": REACT_SYSTEM}, {"role": "user", "content": "Hello"}]
    assert (answer(messages).text or "").endswith("Answer: Hello! How can I help you today?")


def test_rag_answers_from_the_most_relevant_context_sentence() -> None:
    prompt = (
        "Context information is below.\n---------------------\nfile_path: notes.txt\n\n"
        "Paris is the capital of France. The Eiffel Tower is 330 metres tall. "
        "Bananas are yellow.\n---------------------\n"
        "Given the context information and not prior knowledge, answer the query.\n"
        "Query: How tall is the Eiffel Tower?\nAnswer: "
    )
    assert answer(prompt).text == "The Eiffel Tower is 330 metres tall."


def test_rag_says_it_does_not_know_when_nothing_matches() -> None:
    prompt = (
        "Context information is below.\n---------------------\nBananas are yellow.\n"
        "---------------------\nQuery: Who wrote Hamlet?\nAnswer: "
    )
    assert answer(prompt).text == "I don't know: the context does not say."


def test_condense_prompt_returns_the_follow_up_question() -> None:
    prompt = (
        "Given a conversation (between Human and Assistant) and a follow up message from Human, "
        "rewrite the message to be a standalone question.\n\n<Chat History>\nuser: hi\n\n"
        "<Follow Up Message>\nWhat about Berlin?\n\n<Standalone question>\n"
    )
    assert answer(prompt).text == "What about Berlin?"


def test_schema_written_into_the_prompt_is_followed() -> None:
    schema = {
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "type": "object",
    }
    prompt = f"Extract the person: Alice Smith is 31. Answer in JSON following {json.dumps(schema)}"
    assert json.loads(answer(prompt).text or "") == {"name": "Alice Smith", "age": 31}


def test_previously_called_tools_are_not_called_again_in_auto_mode() -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        },
    ]
    question = "What is the weather in Paris and the time in Tokyo?"
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    first = answer(messages, tools=tools, parallel_tool_calls=False)
    assert [c.name for c in first.tool_calls] == ["get_weather"]
    call = {"id": "1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "1", "content": "Sunny"},
    ]
    second = answer(messages, tools=tools, parallel_tool_calls=False)
    assert [(c.name, json.loads(c.arguments)) for c in second.tool_calls] == [
        ("get_time", {"city": "Tokyo"})
    ]


def test_schema_filling_follows_refs_enums_arrays_and_bounds() -> None:
    schema = {
        "$defs": {"Unit": {"enum": ["celsius", "fahrenheit"], "type": "string"}},
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name"},
            "unit": {"$ref": "#/$defs/Unit"},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "verbose": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "window": {
                "anyOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "properties": {"start": {"type": "integer"}},
                        "required": ["start"],
                    },
                ]
            },
        },
        "required": ["city", "unit", "days", "verbose", "tags", "window"],
    }
    value = fill_schema(schema, "Forecast for Oslo in fahrenheit for 30 days: rain, wind and snow")
    assert value["city"] == "Oslo"
    assert value["unit"] == "fahrenheit"
    assert value["days"] == 7
    assert value["verbose"] is False
    assert value["tags"] == ["rain", "wind", "snow"]
    assert set(value["window"]) == {"start"}


def test_named_values_win_over_position() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    }
    assert fill_schema(schema, "Add them: b = 4 and a = 9") == {"a": 9, "b": 4}
