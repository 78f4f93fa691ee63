"""One overall deadline per call: attempts, retry waits and a trickled body together.

A server that sends one byte every quarter second never trips a read timeout, and a
``Retry-After`` of a day is honoured up to the retry cap: without a deadline both take minutes.
Each case runs through the raw clients and both adapters, sync and async, invoke and stream.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import time
from typing import Any

import httpx
import pytest

from modelslab_local import LocalServer
from modelslab_transport import (
    APITimeoutError,
    AsyncModelsLabClient,
    ConfigurationError,
    ModelsLabClient,
    RateLimitError,
)

from .harness import FRAMEWORKS, MODES, ask, make_model
from .rawserver import COMMENTS, HOLD, JSON, RawServer, Step, head

REQUEST: Any = {
    "model": "baidu-ernie-4.5-vl-28b-a3b",
    "messages": [{"role": "user", "content": "Hi"}],
}
ANSWER = {
    "id": "c1",
    "object": "chat.completion",
    "model": "baidu-ernie-4.5-vl-28b-a3b",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello there, friend."},
            "finish_reason": "stop",
        }
    ],
}
_EVENT = b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'
_STOP = b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'


def _trickle(body: bytes, pause: float = 0.25) -> list[Step]:
    steps: list[Step] = []
    for byte in body:
        steps += [bytes([byte]), pause]
    return [*steps, b""]


def _trickled_answer(request: bytes) -> list[Step]:
    """A JSON answer for plain calls, an event stream's first event for streams: trickled."""
    if json.loads(request).get("stream"):
        return [*_trickle(_EVENT), _STOP, b"data: [DONE]\n\n", b""]
    return _trickle(json.dumps(ANSWER).encode())


class _Trickler(RawServer):
    """Trickles JSON to plain calls and SSE to stream calls (the head follows the request)."""

    def __init__(self) -> None:
        super().__init__(_trickled_answer)

    def _serve(self, conn: socket.socket) -> None:  # one request per connection is enough here
        with conn, contextlib.suppress(OSError):
            conn.settimeout(0.2)
            body = self._read_request(conn)
            if body is None:
                return
            stream = bool(json.loads(body).get("stream"))
            conn.sendall(head() if stream else head(JSON))
            self._send(conn, _trickled_answer(body))


def test_a_trickled_answer_ends_at_the_deadline_sync() -> None:
    with _Trickler() as raw, ModelsLabClient("k", base_url=raw.base_url, deadline=1.5) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"deadline of 1\.5 s"):
            client.chat(REQUEST)
        assert time.monotonic() - started < 4


async def test_a_trickled_answer_ends_at_the_deadline_async() -> None:
    with _Trickler() as raw:
        async with AsyncModelsLabClient("k", base_url=raw.base_url, deadline=1.5) as client:
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match="deadline"):
                await client.chat(REQUEST)
            assert time.monotonic() - started < 4


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", MODES)
async def test_the_deadline_bounds_every_framework_and_mode(framework: str, mode: str) -> None:
    """A trickled body (plain calls) or first event (streams) fails at the deadline."""
    with _Trickler() as raw:
        model: Any = make_model(
            framework,
            None,
            None,
            api_key="k",
            base_url=raw.base_url,  # type: ignore[arg-type]
            deadline=1.5,
        )
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="deadline"):
            await ask(model, mode, "Hi")
        assert time.monotonic() - started < 4
        if hasattr(model, "aclose"):
            await model.aclose()


def test_a_per_call_timeout_bounds_the_whole_call_in_both_frameworks() -> None:
    """``invoke(..., timeout=2)`` means the call, not each read of a trickling server."""
    from llama_index.core.base.llms.types import ChatMessage

    from langchain_modelslab import ChatModelsLab
    from llama_index_modelslab import ModelsLabLLM

    with _Trickler() as raw:
        chat = ChatModelsLab(api_key="k", base_url=raw.base_url)
        llm = ModelsLabLLM(api_key="k", base_url=raw.base_url)
        for call in (
            lambda: chat.invoke("Hi", timeout=1.5),
            lambda: llm.chat([ChatMessage(role="user", content="Hi")], timeout=1.5),
            lambda: llm.chat([ChatMessage(role="user", content="Hi")], deadline=1.5),
        ):
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match="deadline"):
                call()
            assert time.monotonic() - started < 4
        chat.close()
        llm.close()


def test_a_stream_keeps_reading_after_its_first_event_past_the_deadline() -> None:
    """The deadline covers a stream up to its first event; later chunks have the read timeout."""

    def script(body: bytes) -> list[Step]:
        return [_EVENT, 1.2, _EVENT, _STOP, b"data: [DONE]\n\n", b""]

    with RawServer(script) as raw, ModelsLabClient("k", base_url=raw.base_url, deadline=0.5) as c:
        texts = [d.get("text") for d in c.stream_chat(REQUEST)]
    assert texts[:2] == ["hi", "hi"]


def test_comments_before_the_first_event_do_not_outlast_the_deadline() -> None:
    server = RawServer(lambda body: [COMMENTS])
    with server as raw, ModelsLabClient("k", base_url=raw.base_url, timeout=30) as client:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="before the first event"):
            list(client.stream_chat(REQUEST, deadline=1))
        assert time.monotonic() - started < 4


def _always_429(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        429, json={"error": {"message": "slow down"}}, headers={"Retry-After": "99999"}
    )


def test_a_retry_that_cannot_start_before_the_deadline_is_not_made() -> None:
    slept: list[float] = []
    client = ModelsLabClient(
        "k", transport=httpx.MockTransport(_always_429), deadline=5, _sleep=slept.append
    )
    with client, pytest.raises(RateLimitError):
        client.chat(REQUEST)
    assert slept == []  # the 60 s capped wait would pass the 5 s deadline: raised at once
    without = ModelsLabClient("k", transport=httpx.MockTransport(_always_429), _sleep=slept.append)
    with without, pytest.raises(RateLimitError):
        without.chat(REQUEST)
    assert slept == [60.0, 60.0]  # no deadline: the server's wait, capped, on every retry


async def test_an_async_retry_that_cannot_start_before_the_deadline_is_not_made() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client = AsyncModelsLabClient("k", transport=httpx.MockTransport(_always_429), _sleep=sleep)
    async with client:
        with pytest.raises(RateLimitError):
            await client.chat(REQUEST, deadline=5)
    assert slept == []


@pytest.mark.parametrize("bad", [0, -1, math.inf, math.nan, "2", True])
def test_a_bad_deadline_is_a_configuration_error_naming_it(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="deadline"):
        ModelsLabClient("k", deadline=bad)
    client = ModelsLabClient("k", transport=httpx.MockTransport(_always_429))
    with client, pytest.raises(ConfigurationError, match="deadline"):
        client.chat(REQUEST, deadline=bad)


HUGE = 1e10  # past what a socket's timeout can hold (OverflowError from the platform's time_t)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("mode", MODES)
async def test_a_huge_timeout_means_a_long_wait_in_every_framework_and_mode(
    server: LocalServer, framework: str, mode: str
) -> None:
    model: Any = make_model(
        framework,
        None,
        None,
        api_key=server.api_key,
        base_url=server.base_url,  # type: ignore[arg-type]
        timeout=HUGE,
        connect_timeout=HUGE,
        deadline=HUGE,
    )
    assert await ask(model, mode, "What is 2 + 3?")
    if hasattr(model, "aclose"):
        await model.aclose()


async def test_a_huge_per_call_timeout_means_a_long_wait_in_the_raw_clients(
    server: LocalServer,
) -> None:
    settings: Any = {"timeout": HUGE, "connect_timeout": HUGE, "deadline": HUGE}
    with ModelsLabClient(server.api_key, base_url=server.base_url, **settings) as client:
        assert client.chat(REQUEST, timeout=HUGE, deadline=HUGE)["choices"]
        assert list(client.stream_chat(REQUEST, timeout=HUGE))
    async with AsyncModelsLabClient(server.api_key, base_url=server.base_url, **settings) as ac:
        assert (await ac.chat(REQUEST, timeout=HUGE, deadline=HUGE))["choices"]
        assert [d async for d in await ac.stream_chat(REQUEST, timeout=HUGE)]


async def test_an_async_stream_whose_first_event_never_comes_ends_at_the_deadline() -> None:
    """The head arrives, then nothing: the deadline ends the wait, not the 30 s read timeout."""
    with RawServer(lambda body: [HOLD]) as raw:
        async with AsyncModelsLabClient("k", base_url=raw.base_url, timeout=30) as client:
            started = time.monotonic()
            stream = await client.stream_chat(REQUEST, deadline=1)
            with pytest.raises(APITimeoutError, match="before the first event"):
                await anext(stream)
            assert time.monotonic() - started < 3
            assert client._limiter.in_flight == 0


def test_a_sync_stream_whose_first_event_never_comes_ends_at_the_deadline() -> None:
    """The head arrives, then nothing: the deadline ends the wait, not the 30 s read timeout."""
    with (
        RawServer(lambda body: [HOLD]) as raw,
        ModelsLabClient("k", base_url=raw.base_url, timeout=30) as client,
    ):
        started = time.monotonic()
        stream = client.stream_chat(REQUEST, deadline=1)
        with pytest.raises(APITimeoutError, match="before the first event"):
            next(stream)
        assert time.monotonic() - started < 3
        assert client._limiter.in_flight == 0


async def _open_headless(base_url: str, kind: str) -> None:
    """Open a stream with a 1 s deadline on a server that never sends its head."""
    if kind == "sync":
        with ModelsLabClient("k", base_url=base_url, timeout=30) as client:
            list(client.stream_chat(REQUEST, deadline=1))
        return
    async with AsyncModelsLabClient("k", base_url=base_url, timeout=30) as aclient:
        stream = await aclient.stream_chat(REQUEST, deadline=1)
        await anext(stream)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_stream_whose_head_never_comes_ends_at_the_deadline(kind: str) -> None:
    """No response head at all: the deadline bounds that wait too, for both clients."""
    with RawServer(lambda body: (b"", [HOLD])) as raw:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            await _open_headless(raw.base_url, kind)
        assert time.monotonic() - started < 3
