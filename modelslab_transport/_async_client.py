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

from ._base import DRAIN_LIMIT, MODELS_FALLBACK_PATH, BaseClient, Call, translate_httpx_errors
from ._error_map import request_id_from
from ._errors import APIError, ConfigurationError, NotFoundError, scrub
from ._limit import AsyncLimiter, Slot, pool_limits
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


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read what follows the end marker so the connection can go back to the pool.

    The answer is complete by now: a failure here (or a body that keeps going) only costs
    the connection, never the answer.
    """
    with contextlib.suppress(httpx.HTTPError):
        drained = 0
        async for rest in chunks:
            drained += len(rest)
            if drained > DRAIN_LIMIT:
                break


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
    ) -> None:
        self.response = response
        self._slot = slot or Slot(None)
        self._iterator = self._iterate(parser, preloaded, secret)
        try:  # the loop that owns the connection, for closing an abandoned stream
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None

    def __aiter__(self) -> AsyncIterator[StreamDelta]:
        return self

    async def __anext__(self) -> StreamDelta:
        return await self._iterator.__anext__()

    async def _iterate(
        self, parser: StreamParser, preloaded: list[StreamDelta] | None, secret: str | None
    ) -> AsyncGenerator[StreamDelta, None]:
        try:
            if preloaded is not None:
                for delta in preloaded:
                    yield delta
                return
            chunks = self.response.aiter_bytes()
            while not parser.done:
                with translate_httpx_errors(before_response=False):
                    chunk = await anext(chunks, None)
                if chunk is None:
                    break
                for delta in parser.feed(chunk):
                    yield delta
            for delta in parser.finish():
                yield delta
            if parser.done:
                await _drain(chunks)
        except APIError as exc:
            if exc.request_id is None:
                exc.request_id = request_id_from(self.response.headers)
            scrub(exc, secret)
            raise
        finally:
            try:
                await self.response.aclose()
            finally:
                self._slot.release()

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
            random=_random, clock=_clock,
        )  # fmt: skip
        if http_client is not None and transport is not None:
            raise ConfigurationError("Pass either http_client or transport, not both.")
        self._sleep = _sleep
        self._limiter = AsyncLimiter(self._config.max_concurrency)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport,
            timeout=self._config.timeout,
            limits=pool_limits(self._config.max_concurrency),
        )

    # ---------------------------------------------------------------- the I/O loop

    async def _attempt(self, call: Call) -> tuple[httpx.Response, Slot | None]:
        """Send once; an event stream is returned open with the slot it holds."""
        request = self._build_request(self._http, call)
        slot = await self._limiter.acquire()
        try:
            with translate_httpx_errors(before_response=True):
                response = await self._http.send(request, stream=True)
            if self._keeps_open(call, response):
                return response, slot
            try:
                with translate_httpx_errors(before_response=False):
                    await response.aread()
            finally:
                await response.aclose()
        except BaseException:
            slot.release()
            raise
        slot.release()
        return response, None

    async def _execute(self, call: Call) -> tuple[httpx.Response, Any, Slot | None]:
        for attempt in itertools.count():
            try:
                response, slot = await self._attempt(call)
                if slot is not None:  # an event stream: the caller reads it
                    return response, None, slot
                return response, self._interpret(call, response), None
            except APIError as error:
                delay = self._retry_delay(call, attempt, error)
                if delay is None:
                    raise
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _open_stream(self, call: Call) -> AsyncStream:
        """Send a stream call; the answer's events are read as the stream is iterated."""
        response, preloaded, slot = await self._execute(call)
        secret = self._config.secret()
        parser = StreamParser(call.api_format)
        return AsyncStream(response, parser, preloaded, secret=secret, slot=slot)

    # ---------------------------------------------------------------- public calls

    async def chat(
        self,
        request: ChatRequest,
        *,
        api_format: ApiFormat = "openai",
        timeout: float | None = None,  # noqa: ASYNC109 - the contract's per-call read timeout
    ) -> Completion:
        """Send one chat request and return the whole answer (see ``ModelsLabClient.chat``)."""
        call = self._chat_call(request, api_format, False, timeout)
        result: Completion = (await self._execute(call))[1]
        return result

    async def stream_chat(
        self,
        request: ChatRequest,
        *,
        api_format: ApiFormat = "openai",
        timeout: float | None = None,  # noqa: ASYNC109 - the contract's per-call read timeout
    ) -> AsyncStream:
        """Send one chat request and return an :class:`AsyncStream` of its answer.

        The status and content type are checked (and failures retried) before this returns;
        a server that ignores ``stream`` and answers with one JSON body yields a one-event
        stream.
        """
        return await self._open_stream(self._chat_call(request, api_format, True, timeout))

    async def messages(
        self,
        body: JSON,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the contract's per-call read timeout
    ) -> Completion:
        """Send an Anthropic-shaped Messages body (see ``ModelsLabClient.messages``)."""
        result: Completion = (await self._execute(self._messages_call(body, False, timeout)))[1]
        return result

    async def stream_messages(
        self,
        body: JSON,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the contract's per-call read timeout
    ) -> AsyncStream:
        """Stream an Anthropic-shaped Messages body (see ``ModelsLabClient.messages``)."""
        return await self._open_stream(self._messages_call(body, True, timeout))

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

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
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
