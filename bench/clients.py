"""The clients under test, each behind the same small interface.

A :class:`Case` names a client and knows how to build a sync and an async driver for it.
Drivers do what a user's code does: send one short prompt and take the answer text
(``invoke`` / ``ainvoke``), or iterate over a whole stream (``stream``). Prompts and message
lists are built once, outside the measured loops, so that the numbers are the client's own.

Imports of optional packages happen inside the factories: a case whose package is missing
reports "not importable" instead of breaking the run.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import httpx

MODEL = "baidu-ernie-4.5-vl-28b-a3b"
KEY = "bench-key"
PROMPT = "hi"


def stream_prompt(n: int) -> str:
    """Return the prompt that asks the bench server for an ``n``-chunk stream."""
    return f"n={n} please stream"


class SyncDriver(Protocol):
    def invoke(self) -> object: ...
    def stream(self, n: int) -> int: ...
    def close(self) -> None: ...


class AsyncDriver(Protocol):
    def ainvoke(self) -> Awaitable[object]: ...
    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Case:
    """One client: how to drive it, which peer it is compared with, how to import it."""

    name: str
    family: str
    peer: str | None
    make_sync: Callable[[str], SyncDriver]
    make_async: Callable[[str], AsyncDriver]
    floor_import: str
    target_import: str
    construct: str
    ours: bool = False
    floor: str | None = None
    phases: tuple[str, ...] = ("sync", "async", "imports")


def _body(prompt: str, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 256,
    }
    if stream:
        body.update(stream=True, stream_options={"include_usage": True})
    return body


def _count(iterable: Iterable[object]) -> int:
    n = 0
    for _ in iterable:
        n += 1
    return n


class _Raw:
    """Raw httpx: the least work any client must do (send JSON, parse JSON, split SSE)."""

    def __init__(self, base_url: str, client: Any) -> None:
        self.url = base_url + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {KEY}"}
        self.client = client
        self.plain = _body(PROMPT, stream=False)

    def invoke(self) -> object:
        r = self.client.post(self.url, json=self.plain, headers=self.headers)
        r.raise_for_status()
        return r.json()["choices"][0]["message"]["content"]

    def stream(self, n: int) -> int:
        body = _body(stream_prompt(n), stream=True)
        count = 0
        with self.client.stream("POST", self.url, json=body, headers=self.headers) as r:
            r.raise_for_status()
            for line in r.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    choices = json.loads(line[6:])["choices"]
                    if choices:
                        choices[0]["delta"].get("content")
                    count += 1
        return count

    async def ainvoke(self) -> object:
        r = await self.client.post(self.url, json=self.plain, headers=self.headers)
        r.raise_for_status()
        return r.json()["choices"][0]["message"]["content"]

    def close(self) -> None:
        self.client.close()

    async def aclose(self) -> None:
        await self.client.aclose()


class _OpenAI:
    """The openai SDK used directly."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.messages = [{"role": "user", "content": PROMPT}]

    def _create(self, **kw: Any) -> Any:
        return self.client.chat.completions.create(model=MODEL, max_tokens=256, **kw)

    def invoke(self) -> object:
        return self._create(messages=self.messages).choices[0].message.content

    def stream(self, n: int) -> int:
        msgs = [{"role": "user", "content": stream_prompt(n)}]
        opts = {"include_usage": True}
        return _count(self._create(messages=msgs, stream=True, stream_options=opts))

    async def ainvoke(self) -> object:
        return (await self._create(messages=self.messages)).choices[0].message.content

    def close(self) -> None:
        self.client.close()

    async def aclose(self) -> None:
        await self.client.close()


class _Transport:
    """``modelslab_transport`` alone: what both adapters build on."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.request = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]}

    def invoke(self) -> object:
        return self.client.chat(self.request)

    def stream(self, n: int) -> int:
        msgs = [{"role": "user", "content": stream_prompt(n)}]
        with self.client.stream_chat({"model": MODEL, "messages": msgs, "stream_usage": True}) as s:
            return _count(s)

    async def ainvoke(self) -> object:
        return await self.client.chat(self.request)

    def close(self) -> None:
        self.client.close()

    async def aclose(self) -> None:
        await self.client.aclose()


class _Framework:
    """A LangChain chat model or a LlamaIndex LLM: the same four calls, different names."""

    def __init__(self, llm: Any, langchain: bool) -> None:
        self.llm = llm
        self.langchain = langchain
        self.messages = self._messages(PROMPT)

    def _messages(self, text: str) -> list[Any]:
        if self.langchain:
            from langchain_core.messages import HumanMessage

            return [HumanMessage(content=text)]
        from llama_index.core.llms import ChatMessage

        return [ChatMessage(role="user", content=text)]

    def invoke(self) -> object:
        if self.langchain:
            return self.llm.invoke(self.messages).content
        return self.llm.chat(self.messages).message.content

    def stream(self, n: int) -> int:
        msgs = self._messages(stream_prompt(n))
        if self.langchain:
            return _count(self.llm.stream(msgs))
        return _count(self.llm.stream_chat(msgs))

    async def ainvoke(self) -> object:
        if self.langchain:
            return (await self.llm.ainvoke(self.messages)).content
        return (await self.llm.achat(self.messages)).message.content

    def close(self) -> None:
        _close_quietly(self.llm, "close")

    async def aclose(self) -> None:
        closer = getattr(self.llm, "aclose", None)
        if callable(closer):
            await closer()


def _close_quietly(obj: Any, name: str) -> None:
    closer = getattr(obj, name, None)
    if callable(closer):
        closer()


def _openai_sync(url: str) -> _OpenAI:
    import openai

    return _OpenAI(openai.OpenAI(api_key=KEY, base_url=url, max_retries=0))


def _openai_async(url: str) -> _OpenAI:
    import openai

    return _OpenAI(openai.AsyncOpenAI(api_key=KEY, base_url=url, max_retries=0))


# Our clients carry a concurrency budget (``max_concurrency``, default 5 in flight: ModelsLab
# answers 429 beyond its per-account queue). The plain rows run with the default, as users
# get it; the rows marked UNLIMITED pass ``max_concurrency=0`` so that 20 or 200 requests are
# really in flight at once, as they are for the peers.
UNLIMITED = " ∞"


def _budget(unlimited: bool) -> dict[str, Any]:
    return {"max_concurrency": 0} if unlimited else {}


def _transport_sync(url: str) -> _Transport:
    from modelslab_transport import ModelsLabClient

    return _Transport(ModelsLabClient(api_key=KEY, base_url=url, max_retries=0))


def _transport_async(url: str, unlimited: bool = False) -> _Transport:
    from modelslab_transport import AsyncModelsLabClient

    client = AsyncModelsLabClient(api_key=KEY, base_url=url, max_retries=0, **_budget(unlimited))
    return _Transport(client)


def _chat_openai(url: str) -> _Framework:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model=MODEL, api_key=KEY, base_url=url, max_retries=0)
    return _Framework(llm, langchain=True)


def _openai_like(url: str) -> _Framework:
    from llama_index.llms.openai_like import OpenAILike

    llm = OpenAILike(
        model=MODEL,
        api_key=KEY,
        api_base=url,
        is_chat_model=True,
        context_window=128_000,
        max_retries=0,
    )
    return _Framework(llm, langchain=False)


def _chat_modelslab(url: str, unlimited: bool = False) -> _Framework:
    from langchain_modelslab import ChatModelsLab

    kw = _budget(unlimited)
    llm = ChatModelsLab(model=MODEL, api_key=KEY, base_url=url, max_retries=0, **kw)
    return _Framework(llm, langchain=True)


def _modelslab_llm(url: str, unlimited: bool = False) -> _Framework:
    from llama_index_modelslab import ModelsLabLLM

    kw = _budget(unlimited)
    llm = ModelsLabLLM(model=MODEL, api_key=KEY, base_url=url, max_retries=0, **kw)
    return _Framework(llm, langchain=False)


def _unlimited(case: Case, make: Callable[..., AsyncDriver]) -> Case:
    """The async-only twin of one of our cases, with no concurrency budget."""
    return replace(
        case,
        name=case.name + UNLIMITED,
        make_async=lambda url: make(url, unlimited=True),
        ours=False,
        phases=("async",),
    )


def _lc_floor(url: str) -> _Framework:
    from bench import floor_langchain

    return _Framework(floor_langchain.make(url, KEY, MODEL), langchain=True)


def _li_floor(url: str) -> _Framework:
    from bench import floor_llama_index

    return _Framework(floor_llama_index.make(url, KEY, MODEL), langchain=False)


_LC = "from langchain_core.language_models import BaseChatModel"
_LI = "import llama_index.core.llms"
_ARGS = f"model={MODEL!r}, api_key={KEY!r}, max_retries=0"

_BASE: tuple[Case, ...] = (
    Case(
        "raw httpx",
        "raw",
        None,
        lambda url: _Raw(url, httpx.Client()),
        lambda url: _Raw(url, httpx.AsyncClient()),
        "",
        "import httpx",
        "httpx.Client()",
    ),
    Case(
        "openai SDK",
        "raw",
        None,
        _openai_sync,
        _openai_async,
        "",
        "import openai",
        f"openai.OpenAI(api_key={KEY!r}, base_url=URL, max_retries=0)",
    ),
    Case(
        "transport",
        "raw",
        None,
        _transport_sync,
        _transport_async,
        "",
        "import modelslab_transport",
        f"modelslab_transport.ModelsLabClient(api_key={KEY!r}, base_url=URL, max_retries=0)",
    ),
    Case(
        "LC floor",
        "langchain",
        None,
        _lc_floor,
        _lc_floor,
        "",
        "",
        "",
    ),
    Case(
        "ChatOpenAI",
        "langchain",
        None,
        _chat_openai,
        _chat_openai,
        _LC,
        "from langchain_openai import ChatOpenAI",
        f"ChatOpenAI({_ARGS}, base_url=URL)",
        floor="LC floor",
    ),
    Case(
        "ChatModelsLab",
        "langchain",
        "ChatOpenAI",
        _chat_modelslab,
        _chat_modelslab,
        _LC,
        "from langchain_modelslab import ChatModelsLab",
        f"ChatModelsLab({_ARGS}, base_url=URL)",
        ours=True,
        floor="LC floor",
    ),
    Case(
        "LI floor",
        "llama_index",
        None,
        _li_floor,
        _li_floor,
        "",
        "",
        "",
    ),
    Case(
        "OpenAILike",
        "llama_index",
        None,
        _openai_like,
        _openai_like,
        _LI,
        "from llama_index.llms.openai_like import OpenAILike",
        f"OpenAILike({_ARGS}, api_base=URL, is_chat_model=True, context_window=128000)",
        floor="LI floor",
    ),
    Case(
        "ModelsLabLLM",
        "llama_index",
        "OpenAILike",
        _modelslab_llm,
        _modelslab_llm,
        _LI,
        "from llama_index_modelslab import ModelsLabLLM",
        f"ModelsLabLLM({_ARGS}, base_url=URL)",
        ours=True,
        floor="LI floor",
    ),
)

_TWINS = {"transport": _transport_async, "ChatModelsLab": _chat_modelslab}
_TWINS["ModelsLabLLM"] = _modelslab_llm

# Each unlimited twin sits right after its plain case.
CASES: tuple[Case, ...] = tuple(
    twin
    for case in _BASE
    for twin in (case, *([_unlimited(case, _TWINS[case.name])] if case.name in _TWINS else []))
)
