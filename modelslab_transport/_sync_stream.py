"""The synchronous stream: a streamed answer read chunk by chunk, closed once."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator, Iterator
from types import TracebackType

import httpx

from ._call import Call
from ._deadline import FirstEventWatch, deadline_error
from ._errors import APIError
from ._httpx_errors import translated_httpx_error
from ._limit import Slot
from ._reuse import DRAIN_GRACE, DRAIN_LIMIT, rest_is_buffered
from ._stream import StreamParser, annotate_stream_error, first_event_seen
from ._types import StreamDelta

__all__ = ["Stream", "read_body"]


def _drain(chunks: Iterator[bytes], response: httpx.Response) -> None:
    """Read the end of the body after the end marker, if it is there, to keep the connection.

    Only what arrives within :data:`DRAIN_GRACE` of the marker is read, at most
    :data:`DRAIN_LIMIT` bytes: a server that holds the body open, or sends keep-alive comments
    after the marker, delays the end of iteration by that grace at most, and its connection
    is closed instead of pooled. A failure here costs the connection, never the answer.
    """
    with contextlib.suppress(httpx.HTTPError):
        drained, until = 0, time.monotonic() + DRAIN_GRACE
        while drained <= DRAIN_LIMIT:
            left = until - time.monotonic()
            if left <= 0 or not rest_is_buffered(response, left):
                return
            rest = next(chunks, None)
            if rest is None:
                return
            drained += len(rest)


def read_body(response: httpx.Response, call: Call, until: float | None) -> bytes:
    """The whole body; with a deadline, checked as each piece arrives (a trickling server)."""
    if until is None:
        return response.read()
    pieces = []
    for piece in response.iter_bytes():
        pieces.append(piece)
        if time.monotonic() > until:
            raise deadline_error(call.deadline, "while reading the answer")
    return b"".join(pieces)


def _iterate(
    response: httpx.Response,
    parser: StreamParser,
    preloaded: list[StreamDelta] | None,
    secret: str | None,
    slot: Slot,
    first_event_by: tuple[float, float] | None,
) -> Generator[StreamDelta, None, None]:
    # A function, not a method: a generator holding its ``Stream`` would form a reference
    # cycle, and a dropped stream would keep its slot until the cyclic collector ran.
    watch: FirstEventWatch | None = None
    try:
        if preloaded is not None:
            yield from preloaded
            return
        chunks = response.iter_bytes()
        if first_event_by is not None:
            watch = FirstEventWatch(response, first_event_by[0])
        while not parser.done:
            try:
                chunk = next(chunks, None)
            except httpx.HTTPError as exc:
                _raise_if_cut(watch, first_event_by)
                raise translated_httpx_error(exc, before_response=False, mid_stream=True) from exc
            _raise_if_cut(watch, first_event_by)
            if chunk is None:
                break
            deltas = parser.feed(chunk)
            if first_event_by is not None and first_event_seen(deltas, first_event_by):
                first_event_by = None
                if watch is not None:
                    watch.cancel()
            yield from deltas
        yield from parser.finish()
        if parser.done:
            _drain(chunks, response)
    except APIError as exc:
        annotate_stream_error(exc, response, secret)
        raise
    finally:
        if watch is not None:
            watch.cancel()
        try:
            response.close()
        finally:
            slot.release()


def _raise_if_cut(
    watch: FirstEventWatch | None, first_event_by: tuple[float, float] | None
) -> None:
    """The deadline's error when the watch cut the connection before the first event."""
    if watch is not None and watch.fired and first_event_by is not None:
        raise deadline_error(first_event_by[1], "before the first event")


class Stream(Iterator[StreamDelta]):
    """A streamed answer: iterate it for :class:`StreamDelta` events.

    The HTTP response is closed, and the client's concurrency slot given back, when iteration
    ends, fails, or :meth:`close` is called (also by ``with``, or when the stream is
    garbage-collected). Nothing is retried once a stream was returned. The client's read timeout
    applies to the wait for each chunk, not to the whole answer.

    Example:
        ```python
        from modelslab_transport import ModelsLabClient

        request = {
            "model": "baidu-ernie-4.5-vl-28b-a3b",
            "messages": [{"role": "user", "content": "Count to 5."}],
        }
        with ModelsLabClient() as client, client.stream_chat(request) as stream:
            for delta in stream:
                print(delta.get("text", ""), end="")
            print(f" (HTTP {stream.response.status_code})")
        ```

        Streaming through the frameworks: ``notebooks/01_langchain_quickstart.ipynb``.

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

    def __iter__(self) -> Iterator[StreamDelta]:
        return self

    def __next__(self) -> StreamDelta:
        return next(self._iterator)

    def close(self) -> None:
        """Stop the stream, release the connection and the budget slot (safe to call twice)."""
        try:
            self._iterator.close()
            self.response.close()
        finally:
            self._slot.release()

    def __enter__(self) -> Stream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # Last resort for an abandoned stream; callers should close() or use ``with``.
        iterator = getattr(self, "_iterator", None)
        if iterator is not None:
            self.close()
