"""ChatModelsLab's lifecycle: HTTP clients, event loops, pickling, secrets, token counting."""

from __future__ import annotations

import asyncio
import copy
import json
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import ModelAuthenticationError, ModelPermissionDeniedError
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.messages.utils import count_tokens_approximately
from lc_helpers import Scripted, completion_body
from pydantic import SecretStr

import modelslab_transport as mt
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


class Recorder:
    """A MockTransport handler that answers every call and records where it went."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.seen: list[tuple[str, str, str | None, bool]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.seen.append(
            (
                f"{request.url.host}{request.url.path}",
                request.headers["authorization"],
                request.headers.get("x-team"),
                "key" in body,
            )
        )
        return httpx.Response(200, json=completion_body(self.name or "ok"))

    def model(self, **kwargs: Any) -> ChatModelsLab:
        return ChatModelsLab(
            api_key="key-one",
            base_url="https://one.test/llm",
            max_retries=0,
            http_client=httpx.Client(transport=httpx.MockTransport(self)),
            http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(self)),
            **kwargs,
        )


async def _ask(model: ChatModelsLab, mode: str) -> str:
    reply = model.invoke("hi") if mode == "sync" else await model.ainvoke("hi")
    return reply.text


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_changed_connection_settings_apply_to_the_next_call(mode: str) -> None:
    fake = Recorder()
    model = fake.model()
    await _ask(model, mode)
    model.base_url = "https://two.test/llm"
    model.api_key = "key-two"  # type: ignore[assignment]
    model.default_headers = {"X-Team": "blue"}
    model.key_in_body = True
    await _ask(model, mode)
    assert fake.seen == [
        ("one.test/llm/chat/completions", "Bearer key-one", None, False),
        ("two.test/llm/chat/completions", "Bearer key-two", "blue", True),
    ]
    assert isinstance(model.api_key, SecretStr)
    assert "key-two" not in repr(model)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_new_http_client_is_used_by_the_next_call(mode: str) -> None:
    first, second = Recorder("first"), Recorder("second")
    model = first.model()
    assert await _ask(model, mode) == "first"
    model.http_client = httpx.Client(transport=httpx.MockTransport(second))
    model.http_async_client = httpx.AsyncClient(transport=httpx.MockTransport(second))
    assert await _ask(model, mode) == "second"


def test_a_changed_key_is_used_on_the_local_server(
    make_model: Callable[..., ChatModelsLab], server: Any
) -> None:
    model = make_model()
    assert model.invoke("hi").text
    model.api_key = "not-the-servers-key"  # type: ignore[assignment]
    with pytest.raises(ModelAuthenticationError):
        model.invoke("hi")
    model.api_key = SecretStr(server.api_key)
    assert model.invoke("hi").text


def test_model_copy_with_another_url_does_not_reuse_the_clients() -> None:
    fake = Recorder()
    model = fake.model()
    model.invoke("hi")
    clone = model.model_copy(update={"base_url": "https://two.test/llm"})
    clone.invoke("hi")
    model.invoke("hi")
    assert [s[0] for s in fake.seen] == [
        "one.test/llm/chat/completions",
        "two.test/llm/chat/completions",
        "one.test/llm/chat/completions",
    ]


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


class CountingServer:
    """A MockTransport handler that records request paths and answers with one response."""

    def __init__(self, reply: httpx.Response | Exception) -> None:
        self.reply = reply
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply

    def model(self) -> ChatModelsLab:
        return ChatModelsLab(
            api_key=SECRET,
            base_url="https://modelslab.test/api/v7/llm",
            max_retries=0,
            http_client=httpx.Client(transport=httpx.MockTransport(self)),
        )


MESSAGES = [HumanMessage("hello there, how are you today?"), AIMessage("fine")]
COUNT_PATH = "/api/v7/llm/v1/messages/count_tokens"


def test_count_tokens_uses_the_endpoint(
    make_model: Callable[..., ChatModelsLab], server: Any
) -> None:
    model = make_model()
    short = model.get_num_tokens_from_messages([HumanMessage("hi")])
    long = model.get_num_tokens_from_messages([HumanMessage("hi " * 200)])
    assert 0 < short < long
    assert model.get_num_tokens("hi") == short
    # The local server counts differently from LangChain's estimate, so this tells them apart.
    assert long != count_tokens_approximately([HumanMessage("hi " * 200)])
    with mt.ModelsLabClient(api_key=server.api_key, base_url=server.base_url) as client:
        direct = client.count_tokens(
            {"model": model.model, "messages": [{"role": "user", "content": "hi " * 200}]}
        )
    assert long == direct


def test_count_tokens_sends_one_request_and_returns_its_count() -> None:
    fake = CountingServer(httpx.Response(200, json={"input_tokens": 4242}))
    assert fake.model().get_num_tokens_from_messages(MESSAGES) == 4242
    assert fake.paths == [COUNT_PATH]


FALLBACKS: list[tuple[str, httpx.Response | Exception]] = [
    ("404", httpx.Response(404, json={"error": {"message": "no such route"}})),
    ("405", httpx.Response(405, text="Method Not Allowed")),
    ("501", httpx.Response(501, json={"error": {"message": "not implemented"}})),
    ("503", httpx.Response(503, json={"error": {"message": "overloaded"}})),
    ("html", httpx.Response(200, text="<html>old deployment</html>")),
    ("connection", httpx.ConnectError("refused")),
    ("timeout", httpx.ReadTimeout("slow")),
]


@pytest.mark.parametrize("reply", [f[1] for f in FALLBACKS], ids=[f[0] for f in FALLBACKS])
def test_count_tokens_falls_back_to_the_estimate(reply: httpx.Response | Exception) -> None:
    fake = CountingServer(reply)
    assert fake.model().get_num_tokens_from_messages(MESSAGES) == count_tokens_approximately(
        MESSAGES
    )
    assert fake.paths == [COUNT_PATH]


def test_count_tokens_estimates_content_the_endpoint_cannot_take() -> None:
    fake = CountingServer(httpx.Response(200, json={"input_tokens": 4242}))
    pdf = {"type": "file", "base64": "JVBERi0", "mime_type": "application/pdf"}
    messages = [HumanMessage(["Summarize this.", pdf])]  # type: ignore[list-item]
    assert fake.model().get_num_tokens_from_messages(messages) == count_tokens_approximately(
        messages
    )
    assert fake.paths == []  # refused before sending


ACCOUNT = [
    (401, mt.AuthenticationError, ModelAuthenticationError),
    (402, mt.InsufficientCreditsError, ModelPermissionDeniedError),
    (403, mt.PermissionDeniedError, ModelPermissionDeniedError),
]


@pytest.mark.parametrize(("status", "ours", "core"), ACCOUNT)
def test_count_tokens_raises_account_errors(
    status: int, ours: type[Exception], core: type[Exception]
) -> None:
    fake = CountingServer(httpx.Response(status, json={"error": {"message": "key refused"}}))
    with pytest.raises(ours) as info:
        fake.model().get_num_tokens_from_messages(MESSAGES)
    assert isinstance(info.value, core)
    assert fake.paths == [COUNT_PATH]
