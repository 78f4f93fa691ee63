"""Shared test code for the reliability suite: a counting transport and one driver per framework.

``Tally`` wraps a real ``httpx.HTTPTransport`` / ``httpx.AsyncHTTPTransport`` (a seam, not a
patch): it counts the requests sent (attempts), the responses still open (a response is open
from the moment its headers arrive until its body stream is closed, i.e. until the connection
goes back to the pool or is dropped), the peak of open responses, and the distinct TCP
connections used. ``ask`` hides whether a model is a LangChain ``ChatModelsLab`` or a
LlamaIndex ``ModelsLabLLM``, so one test body covers both in every call mode.
``ConnectionRelay`` sits in front of the local server and counts the TCP connections any
client opens, its own pool included (an injected client would bring its own pool limits).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from llama_index.core.base.llms.types import ChatMessage

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_local import LocalServer

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
    requests: list[httpx.Request] = field(default_factory=list)
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
            self.requests.append(request)

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
    """The async twin of :class:`CountingTransport` (``limits``: its pool's; httpx's default)."""

    def __init__(self, tally: Tally, limits: httpx.Limits | None = None) -> None:
        self.tally = tally
        self._inner = (
            httpx.AsyncHTTPTransport()
            if limits is None
            else httpx.AsyncHTTPTransport(limits=limits)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.tally._sent(request)
        return self.tally._opened(await self._inner.handle_async_request(request))

    async def aclose(self) -> None:
        await self._inner.aclose()


# ------------------------------------------------------------------------- frameworks


def make_model(
    framework: str, http: httpx.Client | None, ahttp: httpx.AsyncClient, **kwargs: Any
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
        async for piece in astream_pieces(model, prompt):
            sink.append(piece)
    return "".join(sink)


async def _ask_llama_index(model: ModelsLabLLM, mode: str, prompt: str, sink: list[str]) -> str:
    if mode == "invoke":
        return model.chat(_user(prompt)).message.content or ""
    if mode == "ainvoke":
        return (await model.achat(_user(prompt))).message.content or ""
    if mode == "astream":
        async for piece in astream_pieces(model, prompt):
            sink.append(piece)
        return "".join(sink)
    last = None
    for last in model.stream_chat(_user(prompt)):
        sink.append(last.delta or "")
    final = (last.message.content or "") if last is not None else ""
    assert final == "".join(sink), "cumulative text and deltas disagree"
    return final


async def astream_pieces(model: Any, prompt: str) -> AsyncIterator[str]:
    """Stream ``prompt`` asynchronously, yielding each chunk's text (maybe empty) on arrival.

    The caller may pause between pieces: the stream (and its connection) stays open meanwhile.
    For LlamaIndex it checks at the end that the cumulative text equals the deltas joined.
    """
    if isinstance(model, ChatModelsLab):
        async for chunk in model.astream(prompt):
            yield chunk.text
        return
    deltas: list[str] = []
    last = None
    async for last in await model.astream_chat(_user(prompt)):
        deltas.append(last.delta or "")
        yield deltas[-1]
    final = (last.message.content or "") if last is not None else ""
    assert final == "".join(deltas), "cumulative text and deltas disagree"


_SUM = re.compile(r"(\d+) \+ (\d+) = (\d+)")


def check_sum(answer: str, a: int, b: int) -> None:
    """Assert ``answer`` is the local server's answer to ``What is a + b?`` (and no other)."""
    found = _SUM.findall(answer)
    assert found == [(str(a), str(b), str(a + b))], f"wrong answer for {a} + {b}: {answer!r}"


# ------------------------------------------------------------------------- connections


class ConnectionRelay:
    """A loopback TCP relay in front of the local server that counts client connections.

    Each connection a client opens to :attr:`base_url` is piped to the server over one
    upstream connection of its own. ``accepted`` counts them, ``open`` those the client has
    not closed yet (the relay keeps a connection until the client closes it, even when the
    server has hung up, like the client's own socket), ``peak`` the most open at once. It
    counts any client's connections, so it also sees a model's own pool. Use it as
    ``async with ConnectionRelay(server) as relay`` on the test's event loop.
    """

    def __init__(self, server: LocalServer) -> None:
        self._server = server
        self.base_url = ""
        self.accepted = 0
        self.open = 0
        self.peak = 0
        self._listener: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._active = 0  # relaying coroutines still running

    async def __aenter__(self) -> ConnectionRelay:
        # A deep backlog: hundreds of clients may connect at the same moment.
        self._listener = await asyncio.start_server(self._relay, "127.0.0.1", 0, backlog=1024)
        port = self._listener.sockets[0].getsockname()[1]
        self.base_url = self._server.base_url.replace(f":{self._server.port}/", f":{port}/", 1)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._listener is not None
        self._listener.close()
        await self._listener.wait_closed()
        for writer in list(self._writers):
            writer.close()
        if not await self.settle(lambda: self._active == 0):
            raise AssertionError(f"{self._active} relayed connections did not close")

    async def settle(self, done: Callable[[], bool]) -> bool:
        """Wait until ``done()`` (closing sockets takes a few loop turns); ``False`` after 5 s."""
        deadline = asyncio.get_running_loop().time() + 5.0
        while not done():
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._active += 1
        self.accepted += 1
        self.open += 1
        self.peak = max(self.peak, self.open)
        ends = [writer]
        self._writers.add(writer)
        try:
            up_reader, upstream = await asyncio.open_connection(
                self._server.host, self._server.port
            )
            ends.append(upstream)
            self._writers.add(upstream)
            back = asyncio.ensure_future(_pipe(up_reader, writer))
            await _pipe(reader, upstream)  # until the client closes its end (or resets it)
            self.open -= 1
            upstream.close()  # which ends ``back`` too
            await back
        except OSError:
            self.open -= 1  # the server refused the connection: a reset for the client
        finally:
            for end in ends:
                self._writers.discard(end)
                end.close()
                with contextlib.suppress(OSError):
                    await end.wait_closed()
            self._active -= 1


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy bytes until ``source`` ends, then pass the end on (a half-close)."""
    try:
        while (data := await source.read(65536)) and not sink.is_closing():
            sink.write(data)
            await sink.drain()
        if not sink.is_closing() and sink.can_write_eof():
            sink.write_eof()
    except OSError:
        pass
