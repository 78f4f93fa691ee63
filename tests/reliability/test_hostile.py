"""A hostile server, tried in every call style: a typed error or the right answer, no key.

Each scenario is served by a raw loopback server (``rawserver.py``) and asked through the raw
clients, ``ChatModelsLab`` and ``ModelsLabLLM``, sync and async, whole and streamed. Every run
asserts: the error is the scenario's class from the project's tree (or the answer is right);
the key is in no exception text, ``args``, body, headers, request id or printed traceback, and
in no log record of any logger at DEBUG (httpx's and httpcore's included); nothing hangs
(pytest's timeout); no ``ResourceWarning`` (an error in this suite's configuration). That a
correct server gets the right answer from every entry point is the invariant harness's ``ok``
behaviour (``test_invariants.py``).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import modelslab_transport as mt

from .harness import FRAMEWORKS, MODES, ask, make_model
from .rawserver import JSON, RawServer, Step, head

KEY = "sk-hostile-5c1f0e9d2b7a"
MODEL = "baidu-ernie-4.5-vl-28b-a3b"


def _sse(*events: Any) -> list[Step]:
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode() for e in events]
    return [*lines, b""]


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "c1", "model": MODEL, "choices": [choice]}


def _answer(content: Any, finish: str | None = "stop", **extra: Any) -> dict[str, Any]:
    message = {"role": "assistant", "content": content}
    choice = {"index": 0, "message": message, "finish_reason": finish}
    return {"id": "c1", "object": "chat.completion", "model": MODEL, "choices": [choice], **extra}


@dataclass(frozen=True)
class Scenario:
    """What the server sends to plain and to stream requests, and what must come of it."""

    plain: tuple[bytes, list[Step]]
    stream: tuple[bytes, list[Step]]
    expect: type[BaseException] | str  # an error class, or the exact answer text

    def script(self, body: bytes) -> tuple[bytes, list[Step]]:
        return self.stream if json.loads(body).get("stream") else self.plain


def _json(body: Any, status: str = "200 OK", extra: str = "") -> tuple[bytes, list[Step]]:
    text = body if isinstance(body, str) else json.dumps(body)
    return head(JSON, status, extra), [text.encode(), b""]


def _events(*events: Any) -> tuple[bytes, list[Step]]:
    return head(), _sse(*events)


DEEP = "[" * 400 + "]" * 400
SCENARIOS: dict[str, Scenario] = {
    "deep-json": Scenario(
        _json('{"choices": ' + DEEP + "}"),
        _events('{"choices": ' + DEEP + "}", "[DONE]"),
        mt.MalformedResponseError,
    ),
    "infinite-usage": Scenario(
        _json(json.dumps(_answer("hi"))[:-1] + ', "usage": {"prompt_tokens": 1e999}}'),
        _events('{"choices": [{"index": Infinity, "delta": {"content": "hi"}}]}', "[DONE]"),
        mt.MalformedResponseError,
    ),
    "nan-in-usage": Scenario(
        _json(json.dumps(_answer("hi"))[:-1] + ', "usage": {"completion_tokens": NaN}}'),
        _events(
            _chunk({"content": "hi"}),
            '{"choices": [], "usage": {"total_tokens": -Infinity}}',
            "[DONE]",
        ),
        mt.MalformedResponseError,
    ),
    "key-echoed-in-text-body": Scenario(
        (head("text/plain"), [f"gateway says: bad key {KEY}".encode(), b""]),
        (head("text/plain"), [f"gateway says: bad key {KEY}".encode(), b""]),
        mt.MalformedResponseError,
    ),
    "key-echoed-in-headers": Scenario(
        _json(
            {"error": {"message": f"denied for {KEY}"}},
            "403 Forbidden",
            f"x-request-id: {KEY}\r\nx-echo: Bearer {KEY}\r\n",
        ),
        _json(
            {"error": {"message": f"denied for {KEY}"}},
            "403 Forbidden",
            f"x-request-id: {KEY}\r\nx-echo: Bearer {KEY}\r\n",
        ),
        mt.PermissionDeniedError,
    ),
    "no-choices": Scenario(
        _json({"id": "c1", "object": "chat.completion", "choices": []}),
        _events("[DONE]"),
        mt.EmptyResponseError,
    ),
    "null-message": Scenario(
        _json({"id": "c1", "choices": [{"index": 0, "message": None, "finish_reason": "stop"}]}),
        _events({"id": "c1", "choices": [], "usage": {"prompt_tokens": 3}}, "[DONE]"),
        mt.EmptyResponseError,
    ),
    "error-inside-an-answer": Scenario(
        _json({"choices": [], "error": {"code": 429, "message": "Queue is full"}}),
        _json({"choices": [], "error": {"code": 429, "message": "Queue is full"}}),
        mt.RateLimitError,
    ),
    "empty-but-real-answer": Scenario(
        _json(_answer("", "stop")),
        _events(_chunk({"role": "assistant", "content": ""}), _chunk({}, "stop"), "[DONE]"),
        "",
    ),
}


async def _ask_raw(base_url: str, mode: str) -> str:
    request: Any = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}]}
    settings: Any = {"base_url": base_url, "max_retries": 1, "_sleep": lambda s: None}
    if mode in ("invoke", "stream"):
        with mt.ModelsLabClient(KEY, **settings) as client:
            if mode == "invoke":
                return client.chat(request)["text"] or ""
            return "".join(d.get("text", "") for d in client.stream_chat(request))

    async def no_wait(seconds: float) -> None:
        return None

    async with mt.AsyncModelsLabClient(KEY, **{**settings, "_sleep": no_wait}) as client:
        if mode == "ainvoke":
            return (await client.chat(request))["text"] or ""
        return "".join([d.get("text", "") async for d in await client.stream_chat(request)])


async def _run(framework: str, mode: str, base_url: str) -> str:
    if framework == "raw":
        return await _ask_raw(base_url, mode)
    model: Any = make_model(
        framework,
        None,
        None,
        api_key=KEY,
        base_url=base_url,  # type: ignore[arg-type]
        model=MODEL,
        max_retries=0,
    )
    try:
        return await ask(model, mode, "Hi")
    finally:
        await model.aclose()


def _texts_of(exc: BaseException) -> list[str]:
    """Everything an exception shows: text, repr, args, fields, and its printed traceback."""
    texts = [str(exc), repr(exc), repr(exc.args), "".join(traceback.format_exception(exc))]
    for name in ("body", "headers", "request_id", "message"):
        texts.append(repr(getattr(exc, name, None)))
    return texts


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """Capture every logger at DEBUG (httpx's and httpcore's too); return the messages."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "modelslab_transport"):
        caplog.set_level(logging.DEBUG, logger=name)
    return lambda: [record.getMessage() for record in caplog.records]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", ["raw", *FRAMEWORKS])
@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_a_hostile_server_gets_a_typed_error_or_the_answer_and_never_the_key(
    name: str, framework: str, mode: str, every_log: Callable[[], list[str]]
) -> None:
    scenario = SCENARIOS[name]
    with RawServer(scenario.script) as raw:
        if isinstance(scenario.expect, str):
            assert await _run(framework, mode, raw.base_url) == scenario.expect
        else:
            with pytest.raises(scenario.expect) as info:
                await _run(framework, mode, raw.base_url)
            assert isinstance(info.value, mt.ModelsLabError)
            leaks = [text for text in _texts_of(info.value) if KEY in text]
            assert not leaks, f"{name}: the key is in {leaks[0][:300]}"
        if name == "error-inside-an-answer" and framework == "raw":
            assert raw.requests == 2  # a 429 inside an answer is retried like any 429
    leaked = [line for line in every_log() if KEY in line]
    assert not leaked, f"{name}: the key is in a log record: {leaked[0][:300]}"
