"""Tool binding, tool_choice mapping and structured output (all three methods)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from lc_helpers import Scripted, completion_body
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_modelslab import ChatModelsLab
from langchain_modelslab._tools import format_tools


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


@tool
def now() -> str:
    """Current time (no arguments)."""
    return "noon"


class Joke(BaseModel):
    """A joke."""

    setup: str = Field(description="the question")
    punchline: str = Field(description="the answer")


class JokeDict(TypedDict):
    """A joke."""

    setup: str
    punchline: str


JOKE_SCHEMA = Joke.model_json_schema()
TOOLS = format_tools([get_weather, now])


def test_format_tools_shapes() -> None:
    anthropic_tool = {
        "name": "color_picker",
        "description": "Pick a color.",
        "input_schema": {"type": "object", "properties": {"c": {"type": "string"}}},
    }
    specs = format_tools([get_weather, now, Joke, JokeDict, anthropic_tool])
    assert [s["function"]["name"] for s in specs] == [
        "get_weather",
        "now",
        "Joke",
        "JokeDict",
        "color_picker",
    ]
    assert specs[1]["function"]["parameters"] == {"properties": {}, "type": "object"}
    strict = format_tools([get_weather], strict=True)[0]["function"]
    assert strict["strict"] is True
    assert strict["parameters"]["additionalProperties"] is False


def test_bind_tools_request() -> None:
    fake = Scripted([completion_body()])
    bound = fake.model().bind_tools(
        [get_weather, now], tool_choice="any", strict=True, parallel_tool_calls=False
    )
    bound.invoke("weather in Paris?")
    body = fake.requests[0]
    assert [t["function"]["name"] for t in body["tools"]] == ["get_weather", "now"]
    assert body["tool_choice"] == "required"
    assert body["parallel_tool_calls"] is False
    assert body["tools"][0]["function"]["strict"] is True


def test_no_tools_means_no_tool_fields() -> None:
    fake = Scripted([completion_body()])
    fake.model().bind_tools([], tool_choice="auto", parallel_tool_calls=True).invoke("x")
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(fake.requests[0])


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
def test_tool_loop_on_the_local_server(
    make_model: Callable[..., ChatModelsLab], api_format: str
) -> None:
    model = make_model(api_format=api_format).bind_tools([get_weather, now])
    question = HumanMessage("What is the weather in Paris?")
    first = model.invoke([question])
    assert isinstance(first, AIMessage)
    assert [c["name"] for c in first.tool_calls] == ["get_weather"]
    assert first.tool_calls[0]["args"] == {"city": "Paris"}
    result = get_weather.invoke(first.tool_calls[0])
    final = model.invoke([question, first, result])
    assert "sunny" in final.text.lower()
    assert not final.tool_calls


def test_tool_without_arguments(make_model: Callable[..., ChatModelsLab]) -> None:
    result = make_model().bind_tools([now], tool_choice="now").invoke("What time is it?")
    assert result.tool_calls[0]["name"] == "now"
    assert result.tool_calls[0]["args"] == {}


def test_tool_message_list_content_roundtrip() -> None:
    fake = Scripted([completion_body("done")])
    call = {"name": "get_weather", "args": {"city": "Oslo"}, "id": "c1", "type": "tool_call"}
    history = [
        HumanMessage("weather?"),
        AIMessage([{"type": "text", "text": "checking"}], tool_calls=[call]),
        ToolMessage([{"type": "text", "text": "rainy"}], tool_call_id="c1"),
    ]
    fake.model().bind_tools([get_weather]).invoke(history)
    messages = fake.requests[0]["messages"]
    assert messages[1]["content"] == "checking"
    assert json.loads(messages[1]["tool_calls"][0]["function"]["arguments"]) == {"city": "Oslo"}
    assert messages[2] == {"role": "tool", "tool_call_id": "c1", "content": "rainy"}


# ---------------------------------------------------------------- structured output

SCHEMAS = {"pydantic": Joke, "typeddict": JokeDict, "json_schema": JOKE_SCHEMA}


def _check_joke(result: Any, kind: str) -> None:
    if kind == "pydantic":
        assert isinstance(result, Joke)
        return
    assert isinstance(result, dict)
    assert set(result) == {"setup", "punchline"}


@pytest.mark.parametrize("kind", list(SCHEMAS))
@pytest.mark.parametrize("method", ["function_calling", "json_mode", "json_schema"])
@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
async def test_structured_output_on_the_local_server(
    make_model: Callable[..., ChatModelsLab], kind: str, method: str, api_format: str
) -> None:
    model = make_model(api_format=api_format)
    falls_back = api_format == "anthropic" and method != "function_calling"
    expected = pytest.warns(UserWarning, match="does not take response_format")
    with expected if falls_back else contextlib.nullcontext():
        structured = model.with_structured_output(SCHEMAS[kind], method=method)  # type: ignore[arg-type]
    prompt = "Tell me a joke about cats. Return a JSON object with 'setup' and 'punchline' keys."
    _check_joke(structured.invoke(prompt), kind)
    _check_joke(await structured.ainvoke(prompt), kind)
    _check_joke(list(structured.stream(prompt))[-1], kind)


METHOD_REQUESTS: list[tuple[str, bool | None, dict[str, Any]]] = [
    (
        "function_calling",
        None,
        {"tool_choice": {"type": "function", "function": {"name": "Joke"}}},
    ),
    ("json_mode", None, {"response_format": {"type": "json_object"}}),
    (
        "json_schema",
        True,
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "Joke", "strict": True},
            }
        },
    ),
]


@pytest.mark.parametrize(("method", "strict", "expected"), METHOD_REQUESTS)
def test_structured_output_requests(
    method: str, strict: bool | None, expected: dict[str, Any]
) -> None:
    joke = {"setup": "s", "punchline": "p"}
    if method == "function_calling":
        call = {
            "id": "c",
            "type": "function",
            "function": {"name": "Joke", "arguments": json.dumps(joke)},
        }
        fake = Scripted([completion_body(None, tool_calls=[call])])
    else:
        fake = Scripted([completion_body(json.dumps(joke))])
    result = fake.model().with_structured_output(Joke, method=method, strict=strict).invoke("joke")  # type: ignore[arg-type]
    assert result == Joke(**joke)
    body = fake.requests[0]
    for key, value in expected.items():
        if key == "response_format" and value["type"] == "json_schema":
            spec = body[key]["json_schema"]
            assert (spec["name"], spec["strict"]) == ("Joke", True)
            assert set(spec["schema"]["properties"]) == {"setup", "punchline"}
        else:
            assert body[key] == value


def test_include_raw_reports_parsing_errors() -> None:
    fake = Scripted([completion_body("not json at all")])
    out = (
        fake.model().with_structured_output(Joke, method="json_mode", include_raw=True).invoke("x")
    )
    assert isinstance(out, dict)
    assert out["parsed"] is None
    assert out["parsing_error"] is not None
    assert out["raw"].content == "not json at all"
    fake.replies = [completion_body('{"setup": "a", "punchline": "b"}')]
    out = (
        fake.model().with_structured_output(Joke, method="json_mode", include_raw=True).invoke("x")
    )
    assert out["parsed"] == Joke(setup="a", punchline="b")
    assert out["parsing_error"] is None


def test_json_mode_without_schema_returns_a_dict() -> None:
    fake = Scripted([completion_body('```json\n{"a": 1}\n```')])
    assert fake.model().with_structured_output(None, method="json_mode").invoke("x") == {"a": 1}


def test_json_schema_falls_back_for_models_without_it() -> None:
    call = {
        "id": "c",
        "type": "function",
        "function": {"name": "Joke", "arguments": '{"setup": "s", "punchline": "p"}'},
    }
    fake = Scripted([completion_body(None, tool_calls=[call])])
    model = fake.model(model="openai-gpt-oss-120b-free")  # catalog: json_schema False
    with pytest.warns(UserWarning, match="function_calling") as record:
        structured = model.with_structured_output(Joke, method="json_schema")
    assert record[0].filename == __file__
    assert structured.invoke("joke") == Joke(setup="s", punchline="p")
    assert "response_format" not in fake.requests[0]
    assert fake.requests[0]["tool_choice"]["function"]["name"] == "Joke"


JOKE = {"setup": "s", "punchline": "p"}


@pytest.mark.parametrize("method", ["json_mode", "json_schema"])
def test_json_methods_on_the_messages_route_warn_and_use_a_tool(method: str) -> None:
    answer = {
        "type": "message",
        "id": "msg_1",
        "model": "served-model",
        "content": [{"type": "tool_use", "id": "t1", "name": "Joke", "input": JOKE}],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 5, "output_tokens": 4},
    }
    fake = Scripted([answer])
    model = fake.model(model="openai-o3-mini-high", api_format="anthropic")
    with pytest.warns(UserWarning, match="does not take response_format") as record:
        structured = model.with_structured_output(Joke, method=method)  # type: ignore[arg-type]
    assert record[0].filename == __file__  # points at the caller, not at the adapter
    assert f"instead of method={method!r}" in str(record[0].message)
    assert structured.invoke("joke") == Joke(setup="s", punchline="p")
    assert "response_format" not in fake.requests[0]
    assert fake.requests[0]["tool_choice"] == {"type": "tool", "name": "Joke"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"method": "xml"}, "Unknown method"),
        ({"method": "function_calling", "schema": None}, "schema is required"),
        ({"bogus": 1}, "unsupported arguments"),
    ],
)
def test_structured_output_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    model = ChatModelsLab(api_key="k")
    kwargs.setdefault("schema", Joke)
    with pytest.raises(ValueError, match=match):
        model.with_structured_output(**kwargs)


def test_anthropic_json_mode_needs_a_schema() -> None:
    with pytest.raises(ValueError, match="needs a schema"):
        ChatModelsLab(api_key="k", api_format="anthropic").with_structured_output(
            None, method="json_mode"
        )
