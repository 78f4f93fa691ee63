"""The asynchronous client and stream: the async twin of ``_client.py`` (send loops only)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random as _random_module
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr

from ._base import (
    MODELS_FALLBACK_PATH,
    BaseClient,
    Call,
    deadline_error,
    translate_httpx_errors,
)
from ._error_map import request_id_from
from ._errors import APIError, ConfigurationError, NotFoundError, scrub
from ._limit import AsyncLimiter, Slot, pool_limits
from ._reuse import DRAIN_GRACE, DRAIN_LIMIT, rest_is_buffered
from ._stream import StreamParser
from ._types import JSON, ApiFormat, ChatRequest, Completion, ModelEntry, StreamDelta

__all__ = ["AsyncModelsLabClient", "AsyncStream"]

# Closing tasks of abandoned streams: the loop keeps only weak references to tasks.
_CLOSING: set[asyncio.Task[None]] = set()


def _close_abandoned(response: httpx.Response) -> None:
    """Close an abandoned stream's response, on the loop that owns its connection."""
    if not response.is_closed:
        task = asyncio.ensure_future(response.aclose())
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)


async def _close_at_loop_shutdown(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await http.aclose()


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


async def _read_body(response: httpx.Response, call: Call, until: float | None) -> bytes:
    """The whole body; with a deadline, checked as each piece arrives (see the sync one)."""
    if until is None:
        return await response.aread()
    pieces = []
    async for piece in response.aiter_bytes():
        pieces.append(piece)
        if time.monotonic() > until:
            raise deadline_error(call, "while reading the answer")
    return b"".join(pieces)


async def _iterate(
    response: httpx.Response,
    parser: StreamParser,
    preloaded: list[StreamDelta] | None,
    secret: str | None,
    slot: Slot,
    first_event_by: tuple[float, Call] | None,
) -> AsyncGenerator[StreamDelta, None]:
    # A function, not a method: see the sync ``_iterate`` (no stream <-> generator cycle).
    try:
        if preloaded is not None:
            for delta in preloaded:
                yield delta
            return
        chunks = response.aiter_bytes()
        while not parser.done:
            with translate_httpx_errors(before_response=False):
                chunk = await anext(chunks, None)
            if chunk is None:
                break
            deltas = parser.feed(chunk)
            if first_event_by is not None:  # the call's deadline runs until the first event
                if deltas:
                    first_event_by = None
                elif time.monotonic() > first_event_by[0]:
                    raise deadline_error(first_event_by[1], "before the first event")
            for delta in deltas:
                yield delta
        for delta in parser.finish():
            yield delta
        if parser.done:
            await _drain(chunks, response)
    except APIError as exc:
        if exc.request_id is None:
            exc.request_id = request_id_from(response.headers)
        scrub(exc, secret)
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
        first_event_by: tuple[float, Call] | None = None,
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

    async def __anext__(self) -> StreamDelta:
        return await self._iterator.__anext__()

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


class AsyncModelsLabClient(BaseClient):
    """Asynchronous ModelsLab LLM client; arguments as :class:`ModelsLabClient`.

    ``http_client`` is an ``httpx.AsyncClient`` and ``transport`` an
    ``httpx.AsyncBaseTransport``. ``max_concurrency`` bounds the requests in flight across
    the coroutines using this client (an open stream counts until it is closed).

    Example:
        ```python
        import asyncio

        from modelslab_transport import AsyncModelsLabClient


        async def main() -> None:
            async with AsyncModelsLabClient() as client:  # key from MODELSLAB_API_KEY
                completion = await client.chat(
                    {
                        "model": "baidu-ernie-4.5-vl-28b-a3b",
                        "messages": [{"role": "user", "content": "Hello"}],
                    }
                )
                print(completion["text"], completion["usage"])


        asyncio.run(main())
        ```

        More in ``notebooks/03_usage_and_cost.ipynb``.
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        key_in_body: bool = False,
        allow_insecure_http: bool = False,
        max_concurrency: int | None = None,
        deadline: float | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        _sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        _random: Callable[[], float] = _random_module.random,
        _clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            api_key, base_url=base_url, timeout=timeout, connect_timeout=connect_timeout,
            max_retries=max_retries, default_headers=default_headers, key_in_body=key_in_body,
            allow_insecure_http=allow_insecure_http, max_concurrency=max_concurrency,
            deadline=deadline, random=_random, clock=_clock,
        )  # fmt: skip
        if http_client is not None and transport is not None:
            raise ConfigurationError("Pass either http_client or transport, not both.")
        self._sleep = _sleep
        self._limiter = AsyncLimiter(self._config.max_concurrency)
        self._owns_http = http_client is None
        self._loop_hook: AsyncGenerator[None, None] | None = None
        self._http = http_client or httpx.AsyncClient(
            transport=transport,
            timeout=self._config.timeout,
            limits=pool_limits(self._config.max_concurrency),
        )

    # ---------------------------------------------------------------- the I/O loop

    async def _attempt(
        self, call: Call, until: float | None
    ) -> tuple[httpx.Response, bytes, Slot | None]:
        """Send once; an event stream is returned open (no body yet) with the slot it holds."""
        request = self._build_request(self._http, call, self._attempt_timeout(call, until))
        slot = await self._limiter.acquire()
        try:
            with translate_httpx_errors(before_response=True):
                response = await self._http.send(request, stream=True)
            if self._keeps_open(call, response):
                return response, b"", slot
            try:
                with translate_httpx_errors(before_response=False):
                    content = await _read_body(response, call, until)
            finally:
                await response.aclose()
        except BaseException:
            slot.release()
            raise
        slot.release()
        return response, content, None

    async def _execute(
        self, call: Call, until: float | None = None
    ) -> tuple[httpx.Response, Any, Slot | None]:
        if until is None:
            until = self._start(call)
        for attempt in itertools.count():
            try:
                response, content, slot = await self._attempt(call, until)
                if slot is not None:  # an event stream: the caller reads it
                    return response, None, slot
                return response, self._interpret(call, response, content), None
            except APIError as error:
                delay = self._retry_delay(call, attempt, error, until)
                if delay is None:
                    raise
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _open_stream(self, call: Call) -> AsyncStream:
        """Send a stream call; the answer's events are read as the stream is iterated."""
        until = self._start(call)
        response, preloaded, slot = await self._execute(call, until)
        secret = self._config.secret()
        parser = StreamParser(call.api_format)
        first = None if until is None else (until, call)
        return AsyncStream(response, parser, preloaded, secret=secret, slot=slot, owner=self,
                           first_event_by=first)  # fmt: skip

    # ---------------------------------------------------------------- public calls

    async def chat(
        self,
        request: ChatRequest,
        *,
        api_format: ApiFormat = "openai",
        timeout: float | None = None,  # noqa: ASYNC109 - the contract's per-call read timeout
        deadline: float | None = None,
    ) -> Completion:
        """Send one chat request and return the whole answer (see ``ModelsLabClient.chat``)."""
        call = self._chat_call(request, api_format, False, timeout, deadline)
        result: Completion = (await self._execute(call))[1]
        return result

    async def stream_chat(
        self,
        request: ChatRequest,
        *,
        api_format: ApiFormat = "openai",
        timeout: float | None = None,  # noqa: ASYNC109 - the contract's per-call read timeout
        deadline: float | None = None,
    ) -> AsyncStream:
        """Send one chat request and return an :class:`AsyncStream` of its answer.

        The status and content type are checked (and failures retried) before this returns;
        a server that ignores ``stream`` and answers with one JSON body yields a one-event
        stream.
        """
        return await self._open_stream(
            self._chat_call(request, api_format, True, timeout, deadline)
        )

    async def messages(
        self,
        body: JSON,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the contract's per-call read timeout
        deadline: float | None = None,
    ) -> Completion:
        """Send an Anthropic-shaped Messages body (see ``ModelsLabClient.messages``)."""
        result: Completion = (
            await self._execute(self._messages_call(body, False, timeout, deadline))
        )[1]
        return result

    async def stream_messages(
        self,
        body: JSON,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the contract's per-call read timeout
        deadline: float | None = None,
    ) -> AsyncStream:
        """Stream an Anthropic-shaped Messages body (see ``ModelsLabClient.messages``)."""
        return await self._open_stream(self._messages_call(body, True, timeout, deadline))

    async def count_tokens(self, request: ChatRequest) -> int:
        """Count the input tokens of ``request`` (``POST /v1/messages/count_tokens``)."""
        result: int = (await self._execute(self._count_call(request)))[1]
        return result

    async def list_models(self) -> list[ModelEntry]:
        """List the models the API serves (``GET /v1/models``; ``/models`` if that is 404)."""
        try:
            models: list[ModelEntry] = (await self._execute(self._models_call()))[1]
        except NotFoundError as first:
            try:
                models = (await self._execute(self._models_call(MODELS_FALLBACK_PATH)))[1]
            except APIError:
                raise first from None
        return models

    async def _close_with_running_loop(self) -> None:
        """Have the running event loop close this client's own HTTP client at shutdown.

        An ``httpx.AsyncClient`` can only be closed on the loop its connections belong to.
        The hook is an async generator started here: the loop finalizes it at shutdown
        (``loop.shutdown_asyncgens()``, called by ``asyncio.run``), or soon after this client
        is garbage-collected. It holds the HTTP client, not this object, and this object holds
        it: so it lives exactly as long as the client and every stream reading from it.
        """
        if self._owns_http and self._loop_hook is None:
            hook = _close_at_loop_shutdown(self._http)
            await anext(hook)  # runs to its ``yield`` without suspending
            self._loop_hook = hook

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        hook, self._loop_hook = self._loop_hook, None
        if hook is not None:
            await hook.aclose()
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncModelsLabClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
