"""The table of public entry points: one line each.

Every surface is an async function of an :class:`Env` that makes one call through a public
entry point and returns the answer as text (a count or a model id as its string), so the
checker can compare it with what a correct server sent. Sync entry points are called as they
are (the harness runs them in the test's thread).
"""

from __future__ import annotations

import inspect
import pickle
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from langchain_core.load import dumps
from llama_index.core.base.llms.types import ChatMessage
from pydantic import BaseModel

import modelslab_transport as mt
from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM

from .behaviours import KEY, MODEL, STRUCTURED, TEXT, TOKENS

BASE_URL = "https://modelslab.test/api/v7/llm"


@dataclass
class Env:
    """What one run hands a surface: HTTP clients, settings, the prompt and call arguments."""

    http: httpx.Client
    ahttp: httpx.AsyncClient
    settings: dict[str, Any] = field(default_factory=dict)
    prompt: str = "hi"
    call_kwargs: dict[str, Any] = field(default_factory=dict)
    built: dict[str, Any] = field(default_factory=dict)  # the models, by kind

    def _common(self) -> dict[str, Any]:
        # One concurrency slot and a deadline: a slot a failed call kept shows as the next
        # call on the same model failing at its deadline instead of hanging.
        limits = {"max_retries": 0, "max_concurrency": 1, "deadline": 5.0}
        return {"api_key": KEY, "base_url": BASE_URL, **limits, **self.settings}

    def raw(self) -> mt.ModelsLabClient:
        """The sync raw client (one per run, so a later call shares its slots)."""
        return self._once("raw", lambda c: mt.ModelsLabClient(http_client=self.http, **_own(c)))

    def araw(self) -> mt.AsyncModelsLabClient:
        build = mt.AsyncModelsLabClient
        return self._once("araw", lambda c: build(http_client=self.ahttp, **_own(c)))

    def lc(self) -> ChatModelsLab:
        clients = {"http_client": self.http, "http_async_client": self.ahttp}
        return self._once("lc", lambda c: ChatModelsLab(model=MODEL, **clients, **c))

    def li(self) -> ModelsLabLLM:
        clients = {"http_client": self.http, "async_http_client": self.ahttp}
        return self._once("li", lambda c: ModelsLabLLM(model=MODEL, **clients, **c))

    def _once(self, kind: str, build: Callable[[dict[str, Any]], Any]) -> Any:
        if kind not in self.built:
            self.built[kind] = build(self._common())
        return self.built[kind]

    def request(self) -> mt.ChatRequest:
        """The raw clients' request; ``call_kwargs`` may replace its ``messages`` too."""
        messages = [{"role": "user", "content": self.prompt}]
        return {"model": MODEL, "messages": messages, **self.call_kwargs}  # type: ignore[typeddict-item]

    def adapter_kwargs(self) -> dict[str, Any]:
        """The per-call arguments for the adapters (``messages`` is their positional input)."""
        return {k: v for k, v in self.call_kwargs.items() if k != "messages"}

    def li_messages(self) -> list[ChatMessage]:
        return [ChatMessage(role="user", content=self.prompt)]


_RAW_NAMES = frozenset(inspect.signature(mt.ModelsLabClient).parameters)


def _own(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings a raw client takes: its signature refuses others with Python's TypeError
    (the language's argument check, not a value the project validates)."""
    return {name: value for name, value in settings.items() if name in _RAW_NAMES}


Run = Callable[[Env], Awaitable[str]]


@dataclass(frozen=True)
class Surface:
    """One public entry point: how to call it, and what a correct server's answer becomes."""

    name: str
    run: Run
    expect: str = TEXT
    is_async: bool = False


def sync(fn: Callable[[Env], Any]) -> Run:
    """A sync entry point (run on the test's thread, so the loop check does not apply)."""

    async def run(env: Env) -> str:
        return str(fn(env))

    return run


def aio(fn: Callable[[Env], Awaitable[Any]]) -> Run:
    async def run(env: Env) -> str:
        return str(await fn(env))

    return run


def _joined(pieces: Any) -> str:
    return "".join(p.get("text", "") for p in pieces)


async def _ajoined(stream: Any) -> str:
    return "".join([p.get("text", "") async for p in stream])


def _stream_lc(env: Env) -> str:
    return "".join(chunk.text for chunk in env.lc().stream(env.prompt, **env.adapter_kwargs()))


async def _astream_lc(env: Env) -> str:
    return "".join([c.text async for c in env.lc().astream(env.prompt, **env.adapter_kwargs())])


def _final(responses: list[Any]) -> str:
    """The last cumulative LlamaIndex response, checked against its deltas joined."""
    if not responses:
        return ""
    last = responses[-1]
    text = last.message.content if hasattr(last, "message") else last.text
    joined = "".join(r.delta or "" for r in responses)
    assert text == joined, f"cumulative text {text!r} and deltas {joined!r} disagree"
    return str(text)


def _stream_li(env: Env, gen: Any) -> str:
    return _final(list(gen))


async def _astream_li(gen: Any) -> str:
    return _final([r async for r in await gen])


class Answer(BaseModel):
    """A structured-output target."""

    answer: str


def _tool(city: str) -> str:
    """Weather in a city."""
    return city


def _metadata(env: Env) -> str:
    return TEXT if env.li().metadata.context_window > 0 else "no window"


def _serialized(env: Env) -> str:
    """repr, pickle and dumps / to_dict of each model: none of them may carry the key.

    The models own their HTTP clients here: a model holding an injected ``httpx.Client``
    does not pickle (the client holds a lock), which is the caller's object to ship.
    """
    settings = env._common()
    models: list[Any] = [
        ChatModelsLab(model=MODEL, **settings),
        ModelsLabLLM(model=MODEL, **settings),
    ]
    texts = [repr(env.raw()), dumps(models[0]), str(models[1].to_dict()), models[1].to_json()]
    for model in models:
        texts += [repr(model), str(pickle.dumps(model)), repr(pickle.loads(pickle.dumps(model)))]
    return f"key in {texts}" if KEY in "".join(texts) else TEXT


def _m(env: Env) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": env.prompt}]}


async def _first(call: Awaitable[Any], key: str) -> Any:
    return (await call)[key]


async def _first_model(call: Awaitable[list[mt.ModelEntry]]) -> str:
    return (await call)[0]["id"]


async def _astream_raw(call: Awaitable[Any]) -> str:
    return await _ajoined(await call)


async def _text(call: Awaitable[Any]) -> str:
    return str((await call).text)


async def _first_text(call: Awaitable[list[Any]]) -> str:
    return str((await call)[0].text)


async def _li_text(call: Awaitable[Any]) -> str:
    result = await call
    return str(result.message.content if hasattr(result, "message") else result.text)


def _structured_lc(env: Env) -> str:
    result = env.lc().with_structured_output(Answer, method="json_mode").invoke(env.prompt)
    return result.answer if isinstance(result, Answer) else str(result)


def _structured_li(env: Env) -> str:
    from llama_index.core.prompts import PromptTemplate

    env.settings = {"structured_output_method": "json_mode", **env.settings}
    return env.li().structured_predict(Answer, PromptTemplate("{q}"), q=env.prompt).answer


S = Surface
# One line per entry point.
SURFACES: list[Surface] = [
    S("raw.chat", sync(lambda e: e.raw().chat(e.request())["text"])),
    S("raw.stream_chat", sync(lambda e: _joined(e.raw().stream_chat(e.request())))),
    S("raw.messages", sync(lambda e: e.raw().messages(_m(e))["text"])),
    S("raw.stream_messages", sync(lambda e: _joined(e.raw().stream_messages(_m(e))))),
    S("raw.count_tokens", sync(lambda e: e.raw().count_tokens(e.request())), str(TOKENS)),
    S("raw.list_models", sync(lambda e: e.raw().list_models()[0]["id"]), MODEL),
    S("araw.chat", aio(lambda e: _first(e.araw().chat(e.request()), "text")), is_async=True),
    S(
        "araw.stream_chat",
        aio(lambda e: _astream_raw(e.araw().stream_chat(e.request()))),
        is_async=True,
    ),
    S("araw.messages", aio(lambda e: _first(e.araw().messages(_m(e)), "text")), is_async=True),
    S("araw.count_tokens", aio(lambda e: e.araw().count_tokens(e.request())), str(TOKENS), True),
    S("araw.list_models", aio(lambda e: _first_model(e.araw().list_models())), MODEL, True),
    S("lc.invoke", sync(lambda e: e.lc().invoke(e.prompt, **e.adapter_kwargs()).text)),
    S(
        "lc.ainvoke",
        aio(lambda e: _text(e.lc().ainvoke(e.prompt, **e.adapter_kwargs()))),
        is_async=True,
    ),
    S("lc.stream", sync(_stream_lc)),
    S("lc.astream", aio(_astream_lc), is_async=True),
    S("lc.batch", sync(lambda e: e.lc().batch([e.prompt], **e.adapter_kwargs())[0].text)),
    S("lc.abatch", aio(lambda e: _first_text(e.lc().abatch([e.prompt]))), is_async=True),
    S("lc.structured", sync(_structured_lc), STRUCTURED),
    S("lc.bind_tools", sync(lambda e: e.lc().bind_tools([_tool]).invoke(e.prompt).text)),
    S(
        "li.chat",
        sync(lambda e: e.li().chat(e.li_messages(), **e.adapter_kwargs()).message.content),
    ),
    S("li.achat", aio(lambda e: _li_text(e.li().achat(e.li_messages()))), is_async=True),
    S("li.stream_chat", sync(lambda e: _stream_li(e, e.li().stream_chat(e.li_messages())))),
    S(
        "li.astream_chat",
        aio(lambda e: _astream_li(e.li().astream_chat(e.li_messages()))),
        is_async=True,
    ),
    S("li.complete", sync(lambda e: e.li().complete(e.prompt).text)),
    S("li.acomplete", aio(lambda e: _li_text(e.li().acomplete(e.prompt))), is_async=True),
    S("li.stream_complete", sync(lambda e: _stream_li(e, e.li().stream_complete(e.prompt)))),
    S("li.structured_predict", sync(_structured_li), STRUCTURED),
    S("li.metadata", sync(_metadata)),
    S("serialization", sync(_serialized)),
]
