"""Shared fixtures: a scripted ``httpx.MockTransport`` and one facade over both clients.

``api`` is parametrized over the sync and the async client, so one ``async def`` test body
covers both; the facade's methods are coroutines either way. Sleeping and jitter are injected,
so retry tests record the waits instead of waiting.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import httpx
import pytest

from modelslab_transport import (
    AsyncModelsLabClient,
    AsyncStream,
    ChatRequest,
    ModelsLabClient,
    Stream,
    StreamDelta,
)

KEY = "sk-test-SECRET-0123456789"
BASE = "https://api.example.test/api/v7/llm"
REQUEST: ChatRequest = {"model": "m-1", "messages": [{"role": "user", "content": "Hi"}]}
SSE = {"content-type": "text/event-stream"}

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def sse(*events: Any, event_names: Iterable[str | None] | None = None) -> bytes:
    """Encode events as SSE bytes: dicts become JSON ``data:``, strings are sent verbatim."""
    names = list(event_names) if event_names is not None else [None] * len(events)
    out = []
    for name, data in zip(names, events, strict=True):
        payload = data if isinstance(data, str) else json.dumps(data)
        head = f"event: {name}\n" if name else ""
        out.append(f"{head}data: {payload}\n\n")
    return "".join(out).encode()


def anthropic_sse(*events: dict[str, Any]) -> bytes:
    """Messages events framed the standard way (``event: <type>`` + ``data: {json}``)."""
    return sse(*events, event_names=[e["type"] for e in events])


def chunk(content: str | None = None, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    """A ``chat.completion.chunk`` with one choice."""
    if content is not None:
        delta["content"] = content
    return {
        "id": "chatcmpl-1",
        "model": "m-1",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def completion_body(text: str = "Hello!", **extra: Any) -> dict[str, Any]:
    """A ``chat.completion`` body."""
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "m-1",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }
    body.update(extra)
    return body


def stream_response(body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """An HTTP 200 event-stream response delivered in one chunk."""
    return httpx.Response(200, content=body, headers={**SSE, **(headers or {})})


class ChunkedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body delivered in the given chunks; records whether it was closed."""

    def __init__(self, chunks: Iterable[bytes], fail: Exception | None = None) -> None:
        self.chunks = list(chunks)
        self.fail = fail
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.fail is not None:
            raise self.fail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.chunks:
            yield piece
        if self.fail is not None:
            raise self.fail

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


class Script:
    """A MockTransport handler answering from a list of replies and recording requests."""

    def __init__(self, replies: Iterable[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        if isinstance(reply.stream, ChunkedStream):
            return reply
        # A fresh copy each time, so one scripted reply can answer several attempts.
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)

    @property
    def bodies(self) -> list[Any]:
        """The JSON bodies sent, in order."""
        return [json.loads(r.content) if r.content else None for r in self.requests]


class Api:
    """Sync or async client behind one awaitable facade."""

    def __init__(self, kind: str, script: Script, **kwargs: Any) -> None:
        self.kind = kind
        self.script = script
        self.sleeps: list[float] = []
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", BASE)
        kwargs.setdefault("_random", lambda: 0.0)
        transport = httpx.MockTransport(script)
        self.client: ModelsLabClient | AsyncModelsLabClient
        if kind == "sync":
            self.client = ModelsLabClient(transport=transport, _sleep=self.sleeps.append, **kwargs)
        else:

            async def sleep(seconds: float) -> None:
                self.sleeps.append(seconds)

            self.client = AsyncModelsLabClient(transport=transport, _sleep=sleep, **kwargs)

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call a client method by name, awaiting it for the async client."""
        result = getattr(self.client, name)(*args, **kwargs)
        return result if self.kind == "sync" else await result

    async def chat(self, request: ChatRequest = REQUEST, **kwargs: Any) -> Any:
        return await self.call("chat", request, **kwargs)

    async def open_stream(self, request: ChatRequest = REQUEST, **kwargs: Any) -> Any:
        return await self.call("stream_chat", request, **kwargs)

    async def stream(self, request: ChatRequest = REQUEST, **kwargs: Any) -> list[StreamDelta]:
        """Open a stream and read it to the end (closing it whatever happens)."""
        stream = await self.open_stream(request, **kwargs)
        return await drain(stream)

    async def close(self) -> None:
        if isinstance(self.client, ModelsLabClient):
            self.client.close()
        else:
            await self.client.aclose()


async def drain(stream: Stream | AsyncStream) -> list[StreamDelta]:
    """Read a sync or async stream to the end, closing it whatever happens."""
    if isinstance(stream, Stream):
        with stream:
            return list(stream)
    async with stream:
        return [delta async for delta in stream]


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    """Which client flavour a test runs against."""
    return str(request.param)


@pytest.fixture
async def api(kind: str) -> AsyncIterator[Callable[..., Api]]:
    """Factory: ``api(*replies, **client_kwargs)`` -> a facade; all closed at teardown."""
    made: list[Api] = []

    def make(*replies: Reply, **kwargs: Any) -> Api:
        facade = Api(kind, Script(replies), **kwargs)
        made.append(facade)
        return facade

    yield make
    for facade in made:
        await facade.close()


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's real key, base URL or concurrency budget."""
    monkeypatch.delenv("MODELSLAB_API_KEY", raising=False)
    monkeypatch.delenv("MODELSLAB_BASE_URL", raising=False)
    monkeypatch.delenv("MODELSLAB_MAX_CONCURRENCY", raising=False)
