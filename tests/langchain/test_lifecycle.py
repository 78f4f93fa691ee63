"""ChatModelsLab's lifecycle: HTTP clients, event loops, pickling, secrets, token counting."""

from __future__ import annotations

import asyncio
import copy
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from lc_helpers import Scripted, completion_body

from langchain_modelslab import ChatModelsLab

SECRET = "sk-scripted-secret"


# ------------------------------------------------------------ clients and lifecycle


def test_injected_http_clients_are_used_and_not_closed() -> None:
    fake = Scripted([completion_body()])
    model = fake.model()
    model.invoke("hi")
    model.close()
    assert model.http_client is not None
    assert not model.http_client.is_closed
    model.invoke("again")  # a new transport client over the same httpx client
    assert len(fake.requests) == 2
    model.http_client.close()


def test_consecutive_event_loops_share_one_model(make_model: Callable[..., ChatModelsLab]) -> None:
    model = make_model()

    async def ask() -> str:
        reply = await model.ainvoke("hello")
        chunks = [c.text async for c in model.astream("hello")]
        return reply.text + "|" + "".join(chunks)

    first = asyncio.run(ask())
    second = asyncio.run(ask())  # a closed loop's pooled connections must not be reused
    assert first == second
    assert first.split("|")[0] == first.split("|")[1]


async def test_aclose_and_context_managers(make_model: Callable[..., ChatModelsLab]) -> None:
    async with make_model() as model:
        assert (await model.ainvoke("hi")).text
    with make_model() as model:
        assert model.invoke("hi").text
    model.invoke("hi")  # usable again after close: clients are recreated


# -------------------------------------------------------------- pickling and secrets


def test_pickle_round_trip_after_use(
    make_model: Callable[..., ChatModelsLab], monkeypatch: pytest.MonkeyPatch, server: Any
) -> None:
    model = make_model(temperature=0, max_tokens=50)
    model.invoke("hello")
    data = pickle.dumps(model)
    assert server.api_key.encode() not in data
    monkeypatch.setenv("MODELSLAB_API_KEY", server.api_key)
    clone = pickle.loads(data)
    try:
        assert (clone.temperature, clone.max_tokens, clone.base_url) == (0, 50, server.base_url)
        assert clone.invoke("hello").text == model.invoke("hello").text
    finally:
        clone.close()


def test_pickle_drops_injected_clients_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELSLAB_API_KEY", raising=False)
    model = Scripted([completion_body()]).model()
    clone = pickle.loads(pickle.dumps(model))
    assert clone.http_client is None
    assert clone.http_async_client is None
    assert clone.api_key is None


def test_deepcopy_shares_injected_clients_and_keeps_the_key() -> None:
    fake = Scripted([completion_body()])
    model = fake.model()
    model.invoke("hi")
    clone = copy.deepcopy(model)
    assert clone.http_client is model.http_client
    assert clone.api_key is not None
    assert clone.api_key.get_secret_value() == SECRET
    clone.invoke("hi")
    assert len(fake.requests) == 2


def test_key_never_shown() -> None:
    model = ChatModelsLab(api_key=SECRET)
    for text in (
        repr(model),
        str(model),
        dumps(model),
        model.model_dump_json(),
        str(model.model_dump()),
    ):
        assert SECRET not in text
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == SECRET


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", "from-env")
    monkeypatch.setenv("MODELSLAB_BASE_URL", "https://proxy.example/llm")
    model = ChatModelsLab()
    assert model.api_key is not None
    assert model.api_key.get_secret_value() == "from-env"
    assert model.base_url == "https://proxy.example/llm"


# ------------------------------------------------------------------- token counting


def test_count_tokens_uses_the_endpoint(make_model: Callable[..., ChatModelsLab]) -> None:
    model = make_model()
    short = model.get_num_tokens_from_messages([HumanMessage("hi")])
    long = model.get_num_tokens_from_messages([HumanMessage("hi " * 200)])
    assert 0 < short < long
    assert model.get_num_tokens("hi") == short


def test_count_tokens_falls_back_to_an_estimate() -> None:
    fake = Scripted([httpx.Response(404, json={"error": {"message": "no such route"}})])
    messages = [HumanMessage("hello there, how are you today?"), AIMessage("fine")]
    assert fake.model().get_num_tokens_from_messages(messages) > 0
    assert fake.requests[0]["messages"][0]["content"].startswith("hello")
