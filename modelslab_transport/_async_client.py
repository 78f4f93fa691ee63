"""The asynchronous client: the async twin of ``_client.py`` (its stream: ``_async_stream``)."""

from __future__ import annotations

import asyncio
import itertools
import random as _random_module
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr

from ._async_stream import AsyncStream, read_body
from ._base import BaseClient
from ._call import Call
from ._constants import MODELS_FALLBACK_PATH
from ._deadline import at_deadline, no_slot_error, open_stream_read, slot_wait
from ._errors import APIError, ConfigurationError, ModelsLabError, NotFoundError
from ._httpx_errors import translated_httpx_error
from ._limit import AsyncLimiter, Slot, pool_limits
from ._no_pickle import NotShipped
from ._stream import StreamParser
from ._types import JSON, ApiFormat, ChatRequest, Completion, ModelEntry

__all__ = ["AsyncModelsLabClient", "AsyncStream"]


async def _close_at_loop_shutdown(http: httpx.AsyncClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await http.aclose()


class AsyncModelsLabClient(NotShipped, BaseClient):
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
            api_key,
            base_url=base_url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            key_in_body=key_in_body,
            allow_insecure_http=allow_insecure_http,
            max_concurrency=max_concurrency,
            deadline=deadline,
            random=_random,
            clock=_clock,
        )
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
        slot = await self._limiter.acquire(slot_wait(call, until))
        if slot is None:
            raise no_slot_error(call, until, self._limiter.limit)
        try:
            # Plain ``try`` blocks, not a context manager: two per call are measurable next
            # to a raw httpx call (see bench/).
            try:
                response = await self._http.send(request, stream=True)
            except httpx.HTTPError as exc:
                error = translated_httpx_error(exc, before_response=True)
                raise at_deadline(error, call, until) from exc
            if self._keeps_open(call, response):
                open_stream_read(call, response)
                return response, b"", slot
            try:
                content = await read_body(response, call, until)
            except httpx.HTTPError as exc:
                error = translated_httpx_error(exc, before_response=False)
                raise at_deadline(error, call, until) from exc
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
                step = self._after_failure(call, attempt, error, until)
                if step is None:
                    raise
                call, delay = step
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _open_stream(self, call: Call) -> AsyncStream:
        """Send a stream call; the answer's events are read as the stream is iterated."""
        until = self._start(call)
        response, preloaded, slot = await self._execute(call, until)
        secret = self._config.secret()
        parser = StreamParser(call.api_format)
        first = None if until is None or call.deadline is None else (until, call.deadline)
        return AsyncStream(
            response, parser, preloaded, secret=secret, slot=slot, owner=self, first_event_by=first
        )

    # ---------------------------------------------------------------- public calls

    async def chat(
        self,
        request: ChatRequest,
        *,
        api_format: ApiFormat = "openai",
        timeout: float | None = None,
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
        timeout: float | None = None,
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
        timeout: float | None = None,
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
        timeout: float | None = None,
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

    async def reported_context_window(
        self, model: str, *, deadline: float | None = None
    ) -> int | None:
        """The context length ``GET /v1/models`` reports for ``model``, if any (asked once).

        See ``ModelsLabClient.reported_context_window``: within :data:`DISCOVERY_DEADLINE`
        and half of ``deadline``, never raises, a lookup that gives up closes its connection.
        """
        if not self.context_lookup_done:
            try:
                entries: list[ModelEntry] = (await self._execute(self._lookup_call(deadline)))[1]
            except ModelsLabError:
                entries = []
            self._remember_contexts(entries)
        return self.known_context_window(model)

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
