"""The asynchronous stream: the async twin of ``_sync_stream.py``."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable
from types import TracebackType

import httpx

from ._call import Call
from ._deadline import deadline_error
from ._errors import APIError
from ._httpx_errors import translated_httpx_error
from ._limit import Slot
from ._reuse import DRAIN_GRACE, DRAIN_LIMIT, rest_is_buffered
from ._stream import StreamParser, annotate_stream_error, first_event_seen
from ._types import StreamDelta

__all__ = ["AsyncStream", "read_body"]

# Closing tasks of abandoned streams: the loop keeps only weak references to tasks.
_CLOSING: set[asyncio.Task[None]] = set()


def _close_abandoned(response: httpx.Response) -> None:
    """Close an abandoned stream's response, on the loop that owns its connection."""
    if not response.is_closed:
        task = asyncio.ensure_future(response.aclose())
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)


async def _drain(chunks: AsyncIterator[bytes], response: httpx.Response) -> None:
    """Read the end of the body after the end marker, if it comes at once (see sync ``_drain``).

    All reads together may wait :data:`DRAIN_GRACE` at most; one cut short by that limit leaves the
    connection half-read, and closing the response then drops it from the pool.
    """
    # asyncio.TimeoutError: on Python 3.10 not yet the builtin TimeoutError.
    with contextlib.suppress(httpx.HTTPError, asyncio.TimeoutError):
        drained, until = 0, time.monotonic() + DRAIN_GRACE
        while drained <= DRAIN_LIMIT:
            left = until - time.monotonic()
            if left <= 0:
                return
            if rest_is_buffered(response):  # the common case: no timer needed
                rest = await anext(chunks, None)
            else:
                rest = await asyncio.wait_for(anext(chunks, None), left)
            if rest is None:
                return
            drained += len(rest)


async def read_body(response: httpx.Response, call: Call, until: float | None) -> bytes:
    """The whole body; with a deadline, checked as each piece arrives (see the sync one)."""
    if until is None:
        return await response.aread()
    pieces = []
    async for piece in response.aiter_bytes():
        pieces.append(piece)
        if time.monotonic() > until:
            raise deadline_error(call.deadline, "while reading the answer")
    return b"".join(pieces)


_LATE_READ_GRACE = 0.05


async def _next_chunk(
    chunks: AsyncIterator[bytes], first_event_by: tuple[float, float] | None
) -> bytes | None:
    """The next piece of the body; before the first event, no later than the call's deadline.

    A server that sends its head and then nothing would otherwise be waited for as long as
    the read timeout, which bounds each wait for a chunk and may be minutes.
    """
    if first_event_by is None:
        return await anext(chunks, None)
    # A stream read after its deadline still gets what already arrived in time (as a sync
    # stream does): the grace lets a buffered chunk through without waiting on the server.
    left = max(_LATE_READ_GRACE, first_event_by[0] - time.monotonic())
    try:
        return await asyncio.wait_for(anext(chunks, None), left)
    except asyncio.TimeoutError:
        raise deadline_error(first_event_by[1], "before the first event") from None


async def _iterate(
    response: httpx.Response,
    parser: StreamParser,
    preloaded: list[StreamDelta] | None,
    secret: str | None,
    slot: Slot,
    first_event_by: tuple[float, float] | None,
) -> AsyncGenerator[StreamDelta, None]:
    # A function, not a method: see the sync ``_iterate`` (no stream <-> generator cycle).
    try:
        if preloaded is not None:
            for delta in preloaded:
                yield delta
            return
        chunks = response.aiter_bytes()
        while not parser.done:
            try:
                chunk = await _next_chunk(chunks, first_event_by)
            except httpx.HTTPError as exc:
                raise translated_httpx_error(exc, before_response=False, mid_stream=True) from exc
            if chunk is None:
                break
            deltas = parser.feed(chunk)
            if first_event_by is not None and first_event_seen(deltas, first_event_by):
                first_event_by = None
            for delta in deltas:
                yield delta
        for delta in parser.finish():
            yield delta
        if parser.done:
            await _drain(chunks, response)
    except APIError as exc:
        annotate_stream_error(exc, response, secret)
        raise
    finally:
        try:
            await response.aclose()
        finally:
            slot.release()


class AsyncStream(AsyncIterator[StreamDelta]):
    """A streamed answer: ``async for`` it for :class:`StreamDelta` events.

    The HTTP response is closed, and the client's concurrency slot given back, when iteration
    ends or fails, and by :meth:`aclose` (also by ``async with``). Close a stream you stop
    reading early: an async response cannot be closed inside a finalizer, so a stream that is
    garbage-collected unclosed gives its slot back at once and has its response closed by
    its event loop soon after (if that loop still runs). Nothing is retried once a stream
    was returned; the read timeout applies to the wait for each chunk.

    Example:
        ```python
        import asyncio

        from modelslab_transport import AsyncModelsLabClient


        async def main() -> None:
            request = {
                "model": "baidu-ernie-4.5-vl-28b-a3b",
                "messages": [{"role": "user", "content": "Count to 5."}],
            }
            async with AsyncModelsLabClient() as client:
                async with await client.stream_chat(request) as stream:
                    async for delta in stream:
                        print(delta.get("text", ""), end="")


        asyncio.run(main())
        ```

        An agent streaming asynchronously: ``notebooks/02_llama_index_quickstart.ipynb``.

    Attributes:
        response: The underlying ``httpx.Response`` (status, headers).
    """

    def __init__(
        self,
        response: httpx.Response,
        parser: StreamParser,
        preloaded: list[StreamDelta] | None = None,
        *,
        secret: str | None = None,
        slot: Slot | None = None,
        owner: object = None,
        first_event_by: tuple[float, float] | None = None,
    ) -> None:
        self.response = response
        self._slot = slot or Slot(None)
        # The client that sent the request, with its connection pool: alive while this is.
        self._owner = owner
        self._iterator = _iterate(response, parser, preloaded, secret, self._slot, first_event_by)
        try:  # the loop that owns the connection, for closing an abandoned stream
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def __aiter__(self) -> AsyncIterator[StreamDelta]:
        return self

    def __anext__(self) -> Awaitable[StreamDelta]:
        # The generator's own awaitable, not a coroutine wrapping it: one object less per event.
        return self._iterator.__anext__()

    async def aclose(self) -> None:
        """Stop the stream, release the connection and the budget slot (safe to call twice)."""
        try:
            await self._iterator.aclose()
            await self.response.aclose()
        finally:
            self._slot.release()

    def __del__(self) -> None:
        # An abandoned stream must not shrink the client's budget for good. Its connection
        # is closed by the loop's async-generator finalizer if iteration had started.
        slot = getattr(self, "_slot", None)
        if slot is not None and slot.held:
            slot.release_threadsafe()
        # A stream dropped before it was iterated has no generator for the loop to finalize:
        # its response (and pooled connection) would stay open until the client closes.
        response, loop = getattr(self, "response", None), getattr(self, "_loop", None)
        if response is not None and loop is not None and not response.is_closed:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(_close_abandoned, response)

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
