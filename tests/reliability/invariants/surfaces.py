"""The table of public entry points: one line each.

Every surface is an async function of an :class:`~.env.Env` that makes one call through a
public entry point and returns the answer as text (a count or a model id as its string), so
the checker can compare it with what a correct server sent. Sync entry points are called as
they are (the harness runs them in the test's thread). The adapters' surfaces run on both
wire formats (``formats``); how each is called lives in ``calls.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import modelslab_transport as mt

from . import calls as c
from .behaviours import MODEL, STRUCTURED, TEXT, TOKENS
from .env import Env

Run = Callable[[Env], Awaitable[str]]
BOTH = ("openai", "anthropic")


@dataclass(frozen=True)
class Surface:
    """One public entry point: how to call it, and what a correct server's answer becomes."""

    name: str
    run: Run
    expect: str = TEXT
    is_async: bool = False
    formats: tuple[str, ...] = BOTH  # the api_format values it runs with (raw clients: one)
    calls: int = 1  # the most calls it makes, each bounded by the deadline


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


async def _astream_li(gen: Any) -> str:
    return _final([r async for r in await gen])


def _metadata(env: Env) -> str:
    return TEXT if env.li().metadata.context_window > 0 else "no window"


def _m(env: Env) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 16, "messages": [{"role": "user", "content": env.prompt}]}


async def _first(call: Awaitable[Any], key: str) -> Any:
    return (await call)[key]


async def _first_model(call: Awaitable[list[mt.ModelEntry]]) -> str:
    return (await call)[0]["id"]


async def _astream_raw(call: Awaitable[Any]) -> str:
    return await c.ajoined(await call)


async def _text(call: Awaitable[Any]) -> str:
    return str((await call).text)


async def _first_text(call: Awaitable[list[Any]]) -> str:
    return str((await call)[0].text)


async def _li_text(call: Awaitable[Any]) -> str:
    result = await call
    return str(result.message.content if hasattr(result, "message") else result.text)


def _lc_tool_text(env: Env) -> str:
    return env.lc().bind_tools([c.answer_tool]).invoke(env.prompt).text


S = Surface
A = True  # is_async
ONE = ("openai",)
# One line per entry point.
SURFACES: list[Surface] = [
    S("raw.chat", sync(lambda e: e.raw().chat(e.request())["text"]), formats=ONE),
    S("raw.stream_chat", sync(lambda e: _joined(e.raw().stream_chat(e.request()))), formats=ONE),
    S("raw.messages", sync(lambda e: e.raw().messages(_m(e))["text"]), formats=ONE),
    S("raw.stream_messages", sync(lambda e: _joined(e.raw().stream_messages(_m(e)))), formats=ONE),
    S("raw.count_tokens", sync(lambda e: e.raw().count_tokens(e.request())), str(TOKENS), formats=ONE),  # noqa: E501
    S("raw.list_models", sync(lambda e: e.raw().list_models()[0]["id"]), MODEL, formats=ONE),
    S("araw.chat", aio(lambda e: _first(e.araw().chat(e.request()), "text")), is_async=A, formats=ONE),  # noqa: E501
    S("araw.stream_chat", aio(lambda e: _astream_raw(e.araw().stream_chat(e.request()))), is_async=A, formats=ONE),  # noqa: E501
    S("araw.messages", aio(lambda e: _first(e.araw().messages(_m(e)), "text")), is_async=A, formats=ONE),  # noqa: E501
    S("araw.count_tokens", aio(lambda e: e.araw().count_tokens(e.request())), str(TOKENS), A, ONE),
    S("araw.list_models", aio(lambda e: _first_model(e.araw().list_models())), MODEL, A, ONE),
    S("route.raw.chat", c.routed(sync(lambda e: e.raw().chat(e.request())["text"])), formats=ONE),
    S("route.araw.stream_chat", c.routed(aio(lambda e: _astream_raw(e.araw().stream_chat(e.request())))), is_async=A, formats=ONE),  # noqa: E501
    S("check.run_battery", sync(c.check_battery), formats=ONE, calls=c.BATTERY_CALLS),
    S("lc.invoke", sync(lambda e: e.lc().invoke(e.prompt, **e.adapter_kwargs()).text)),
    S("lc.ainvoke", aio(lambda e: _text(e.lc().ainvoke(e.prompt, **e.adapter_kwargs()))), is_async=A),  # noqa: E501
    S("lc.stream", sync(_stream_lc)),
    S("lc.astream", aio(_astream_lc), is_async=A),
    S("lc.astream_events", aio(c.lc_events), is_async=A),
    S("lc.batch", sync(lambda e: e.lc().batch([e.prompt], **e.adapter_kwargs())[0].text)),
    S("lc.abatch", aio(lambda e: _first_text(e.lc().abatch([e.prompt], **e.adapter_kwargs()))), is_async=A),  # noqa: E501
    S("lc.structured.function_calling", sync(c.lc_structured("function_calling")), STRUCTURED),
    S("lc.structured.json_schema", sync(c.lc_structured("json_schema")), STRUCTURED),
    S("lc.structured.json_mode", sync(c.lc_structured("json_mode")), STRUCTURED),
    S("lc.structured.include_raw", sync(c.lc_structured("function_calling", True)), STRUCTURED),
    S("lc.bind_tools", sync(_lc_tool_text)),
    S("lc.bind_tools.stream", sync(c.lc_tool_stream)),
    S("lc.bind_tools.astream", aio(c.lc_tool_astream), is_async=A),
    S("lc.get_num_tokens", sync(c.lc_tokens), str(TOKENS)),
    S("lc.get_num_tokens_from_messages", sync(c.lc_tokens_from_messages), str(TOKENS)),
    S("lc.profile", sync(c.lc_profile)),
    S("route.lc.astream", c.routed(aio(_astream_lc)), is_async=A),
    S("li.chat", sync(lambda e: e.li().chat(e.li_messages(), **e.adapter_kwargs()).message.content)),  # noqa: E501
    S("li.achat", aio(lambda e: _li_text(e.li().achat(e.li_messages(), **e.adapter_kwargs()))), is_async=A),  # noqa: E501
    S("li.stream_chat", sync(lambda e: _final(list(e.li().stream_chat(e.li_messages()))))),
    S("li.astream_chat", aio(lambda e: _astream_li(e.li().astream_chat(e.li_messages()))), is_async=A),  # noqa: E501
    S("li.complete", sync(lambda e: e.li().complete(e.prompt).text)),
    S("li.acomplete", aio(lambda e: _li_text(e.li().acomplete(e.prompt))), is_async=A),
    S("li.stream_complete", sync(lambda e: _final(list(e.li().stream_complete(e.prompt))))),
    S("li.astream_complete", aio(lambda e: _astream_li(e.li().astream_complete(e.prompt))), is_async=A),  # noqa: E501
    S("li.chat_with_tools", sync(c.li_chat_with_tools)),
    S("li.achat_with_tools", aio(c.li_achat_with_tools), is_async=A),
    S("li.stream_chat_with_tools", sync(c.li_stream_chat_with_tools)),
    S("li.predict_and_call", sync(c.li_predict_and_call), STRUCTURED),
    S("li.apredict_and_call", aio(c.li_apredict_and_call), STRUCTURED, A),
    S("li.structured_predict.function", sync(c.li_structured("function")), STRUCTURED),
    S("li.structured_predict.json_mode", sync(c.li_structured("json_mode")), STRUCTURED),
    S("li.structured_predict.text", sync(c.li_structured("text")), STRUCTURED),
    S("li.astructured_predict", aio(c.li_astructured), STRUCTURED, A),
    S("li.stream_structured_predict", sync(c.li_stream_structured), STRUCTURED),
    S("li.astream_structured_predict", aio(c.li_astream_structured), STRUCTURED, A),
    S("li.metadata", sync(_metadata)),
    S("li.HashEmbedding", sync(c.li_embedding), formats=ONE),
    S("route.li.achat", c.routed(aio(lambda e: _li_text(e.li().achat(e.li_messages())))), is_async=A),  # noqa: E501
    S("serialization", sync(c.serialized)),
]  # fmt: skip
