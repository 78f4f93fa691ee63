"""Our local server with the real model behind it (``LlamaEngine``), through our adapters."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langchain_modelslab import ChatModelsLab
from modelslab_local import LlamaEngine, LocalServer, make_engine, start_server

from .model_helpers import Cat, weather_tool

MODEL = "baidu-ernie-4.5-vl-28b-a3b"
REAL = ("real model", "")


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with start_server(engine=LlamaEngine()) as server:
        yield server


@pytest.fixture
def engine(local: LocalServer) -> LlamaEngine:
    assert isinstance(local.engine, LlamaEngine)
    local.engine.tally.clear()
    return local.engine


@pytest.fixture
def model(local: LocalServer) -> Iterator[Callable[..., ChatModelsLab]]:
    made: list[ChatModelsLab] = []

    def factory(**kwargs: Any) -> ChatModelsLab:
        settings = {"base_url": local.base_url, "api_key": local.api_key, "max_tokens": 48}
        made.append(ChatModelsLab(model=MODEL, temperature=0, **{**settings, **kwargs}))
        return made[-1]

    yield factory
    for m in made:
        m.close()


def test_engine_names_pick_the_real_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELSLAB_LOCAL_ENGINE", raising=False)
    assert isinstance(make_engine(), LlamaEngine)  # auto, with the model installed
    with start_server(engine="llama") as server:
        assert isinstance(server.engine, LlamaEngine)


def test_text_is_written_by_the_model(model: Callable[..., ChatModelsLab], engine: Any) -> None:
    chunks = list(model().stream("What is the capital of France?"))
    text = "".join(str(c.content) for c in chunks)
    assert text.strip()
    usage = [c.usage_metadata for c in chunks if c.usage_metadata]
    assert len(usage) == 1  # our server streams usage; the model's own token counts
    assert usage[0]["output_tokens"] > 0
    assert engine.tally == {REAL: 1}


def test_json_schema_is_followed(model: Callable[..., ChatModelsLab], engine: Any) -> None:
    structured = model(max_tokens=64).with_structured_output(Cat, method="json_schema")
    assert isinstance(structured.invoke("Tom is a cat. He is 3 years old."), Cat)
    assert engine.tally == {REAL: 1}


def test_json_mode_is_valid_json(model: Callable[..., ChatModelsLab], engine: Any) -> None:
    answer = model(max_tokens=64).invoke(
        "Describe a cat as JSON.", response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(str(answer.content)), dict)
    assert engine.tally == {REAL: 1}


def test_forced_tool_arguments_come_from_the_model(
    model: Callable[..., ChatModelsLab], engine: Any
) -> None:
    bound = model().bind_tools([weather_tool], tool_choice="get_weather")
    answer = bound.invoke("What is the weather in Paris?")
    assert isinstance(answer, AIMessage)
    assert [c["name"] for c in answer.tool_calls] == ["get_weather"]
    assert isinstance(answer.tool_calls[0]["args"]["city"], str)
    assert engine.tally == {REAL: 1}


def test_automatic_tool_choice_is_left_to_the_rules_and_the_reply_to_the_model(
    model: Callable[..., ChatModelsLab], engine: Any
) -> None:
    bound = model().bind_tools([weather_tool])
    first = bound.invoke("What is the weather in Paris?")
    assert isinstance(first, AIMessage)
    assert [c["name"] for c in first.tool_calls] == ["get_weather"]
    result = weather_tool.invoke(first.tool_calls[0])
    final = bound.invoke([HumanMessage("What is the weather in Paris?"), first, result])
    assert str(final.content).strip()
    assert final.tool_calls == []
    assert engine.tally == {("deterministic engine", "tool choice"): 1, REAL: 1}


def test_images_are_left_to_the_rules(
    model: Callable[..., ChatModelsLab], engine: Any, local: LocalServer
) -> None:
    image = {"type": "image_url", "image_url": {"url": f"{local.url}/assets/image.png"}}
    answer = model().invoke([HumanMessage([{"type": "text", "text": "Describe it."}, image])])
    assert "PNG" in str(answer.content)  # the deterministic engine decodes the image
    assert engine.tally == {("deterministic engine", "image input"): 1}
