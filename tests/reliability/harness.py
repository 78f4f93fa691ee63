"""Shared test code for the reliability suite: a counting transport and one driver per framework.

``Tally`` wraps a real ``httpx.HTTPTransport`` / ``httpx.AsyncHTTPTransport`` (a seam, not a
patch): it counts the requests sent (attempts), the responses still open (a response is open
from the moment its headers arrive until its body stream is closed, i.e. until the connection
goes back to the pool or is dropped), the peak of open responses, and the distinct TCP
connections used. ``Framework`` hides whether a model is a LangChain ``ChatModelsLab`` or a
LlamaIndex ``ModelsLabLLM``, so one test body covers both in every call mode.
"""

from __future__ import annotations

import re
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from llama_index.core.base.llms.types import ChatMessage

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM

FRAMEWORKS = ["langchain", "llama_index"]
MODES = ["invoke", "ainvoke", "stream", "astream"]
SYNC_MODES = ("invoke", "stream")
STREAM_MODES = ("stream", "astream")


class _CountedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that tells its tally when it is closed (once)."""

    def __init__(self, inner: Any, tally: Tally) -> None:
        self._inner = inner
        self._tally = tally
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for piece in self._inner:
            yield piece

    def _mark_closed(self) -> bool:
        first, self._closed = not self._closed, True
        if first:
            self._tally.closed()
        return first

    def close(self) -> None:
        self._mark_closed()
        self._inner.close()

    async def aclose(self) -> None:
        self._mark_closed()
        await self._inner.aclose()


@dataclass
class Tally:
    """What went over the wire through one pair of counting transports."""

    sent: int = 0
    open: int = 0
    peak: int = 0
    paths: list[str] = field(default_factory=list)
    _connections: dict[int, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def connections(self) -> int:
        """Distinct TCP connections that carried a response."""
        return len(self._connections)

    def _sent(self, request: httpx.Request) -> None:
        with self._lock:
            self.sent += 1
            self.paths.append(request.url.path)

    def _opened(self, response: httpx.Response) -> httpx.Response:
        stream = response.extensions.get("network_stream")
        with self._lock:
            self.open += 1
            self.peak = max(self.peak, self.open)
            if stream is not None:
                # Held strongly so that an id is never reused within one tally.
                self._connections[id(stream)] = stream
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_CountedBody(response.stream, self),
            extensions=response.extensions,
        )

    def closed(self) -> None:
        """One response body was closed."""
        with self._lock:
            self.open -= 1


class CountingTransport(httpx.BaseTransport):
    """A real HTTP transport that reports to a :class:`Tally`."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.tally._sent(request)
        return self.tally._opened(self._inner.handle_request(request))

    def close(self) -> None:
        self._inner.close()


class AsyncCountingTransport(httpx.AsyncBaseTransport):
    """The async twin of :class:`CountingTransport`."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.tally._sent(request)
        return self.tally._opened(await self._inner.handle_async_request(request))

    async def aclose(self) -> None:
        await self._inner.aclose()


# ------------------------------------------------------------------------- frameworks


def make_model(
    framework: str, http: httpx.Client, ahttp: httpx.AsyncClient, **kwargs: Any
) -> ChatModelsLab | ModelsLabLLM:
    """A model of ``framework`` whose requests go through the given HTTP clients."""
    if framework == "langchain":
        return ChatModelsLab(http_client=http, http_async_client=ahttp, **kwargs)
    return ModelsLabLLM(http_client=http, async_http_client=ahttp, **kwargs)


def _user(prompt: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=prompt)]


async def ask(model: Any, mode: str, prompt: str, sink: list[str] | None = None) -> str:
    """Ask ``prompt`` in ``mode``; streamed pieces are appended to ``sink`` as they arrive.

    Returns the whole answer text. For streams it also checks that the pieces add up to it
    (LlamaIndex responses are cumulative: the last one must equal the deltas joined).
    """
    pieces: list[str] = [] if sink is None else sink
    if isinstance(model, ChatModelsLab):
        return await _ask_langchain(model, mode, prompt, pieces)
    return await _ask_llama_index(model, mode, prompt, pieces)


async def _ask_langchain(model: ChatModelsLab, mode: str, prompt: str, sink: list[str]) -> str:
    if mode == "invoke":
        return model.invoke(prompt).text
    if mode == "ainvoke":
        return (await model.ainvoke(prompt)).text
    if mode == "stream":
        for chunk in model.stream(prompt):
            sink.append(chunk.text)
    else:
        async for chunk in model.astream(prompt):
            sink.append(chunk.text)
    return "".join(sink)


async def _ask_llama_index(model: ModelsLabLLM, mode: str, prompt: str, sink: list[str]) -> str:
    if mode == "invoke":
        return model.chat(_user(prompt)).message.content or ""
    if mode == "ainvoke":
        return (await model.achat(_user(prompt))).message.content or ""
    last = None
    if mode == "stream":
        for last in model.stream_chat(_user(prompt)):
            sink.append(last.delta or "")
    else:
        async for last in await model.astream_chat(_user(prompt)):
            sink.append(last.delta or "")
    final = (last.message.content or "") if last is not None else ""
    assert final == "".join(sink), "cumulative text and deltas disagree"
    return final


_SUM = re.compile(r"(\d+) \+ (\d+) = (\d+)")


def check_sum(answer: str, a: int, b: int) -> None:
    """Assert ``answer`` is the local server's answer to ``What is a + b?`` (and no other)."""
    found = _SUM.findall(answer)
    assert found == [(str(a), str(b), str(a + b))], f"wrong answer for {a} + {b}: {answer!r}"
