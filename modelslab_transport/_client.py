"""The synchronous client: the only blocking I/O in the package (its stream: ``_sync_stream``)."""

from __future__ import annotations

import itertools
import random as _random_module
import time
import weakref
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr

from ._base import BaseClient
from ._call import Call
from ._constants import MODELS_FALLBACK_PATH
from ._deadline import at_deadline, no_slot_error, open_stream_read, slot_wait
from ._errors import APIError, ConfigurationError, ModelsLabError, NotFoundError
from ._httpx_errors import translated_httpx_error
from ._limit import Limiter, Slot, pool_limits
from ._no_pickle import NotShipped
from ._stream import StreamParser
from ._sync_stream import Stream, read_body
from ._types import JSON, ApiFormat, ChatRequest, Completion, ModelEntry

__all__ = ["ModelsLabClient", "Stream"]


class ModelsLabClient(NotShipped, BaseClient):
    """Synchronous ModelsLab LLM client.

    Example:
        ```python
        from modelslab_transport import ModelsLabClient

        with ModelsLabClient() as client:  # key from MODELSLAB_API_KEY
            completion = client.chat(
                {
                    "model": "baidu-ernie-4.5-vl-28b-a3b",
                    "messages": [{"role": "user", "content": "Hello"}],
                }
            )
            print(completion["text"], completion["usage"])
        ```

        Counting tokens and dollars: ``notebooks/03_usage_and_cost.ipynb``.

    Args:
        api_key: API key; defaults to env ``MODELSLAB_API_KEY``. A missing key raises
            :class:`ConfigurationError` when a call is made.
        base_url: Defaults to env ``MODELSLAB_BASE_URL``, then :data:`DEFAULT_BASE_URL`.
        timeout: Read timeout in seconds (also the longest wait between stream chunks);
            default 120.
        connect_timeout: Connect timeout in seconds; default 10.
        max_retries: Retries for 408/409/429/5xx and connection failures; default 2.
        default_headers: Extra headers sent on every request.
        key_in_body: Also send the key as ``key`` in JSON bodies (legacy ModelsLab style).
        allow_insecure_http: Allow sending the key over ``http://`` to a non-loopback host.
        deadline: Seconds one call may take in all: connecting, every attempt, the waits
            between retries and reading the answer, however slowly it trickles in (for a
            stream: until its first event; then ``timeout`` bounds each wait). ``None``
            (default): no overall bound. A retry that could not start in time is not made.
            Raises :class:`APITimeoutError` naming the deadline.
        max_concurrency: Most requests in flight at once through this client, across threads
            (an open stream counts until it is closed); more wait for a free slot. ``None``:
            env ``MODELSLAB_MAX_CONCURRENCY``, else 5 (the smallest plan's queue); ``0``:
            unlimited. Set it to your plan's limit divided by the number of clients and
            processes that share the account.
        http_client: An ``httpx.Client`` to use (not closed by :meth:`close`).
        transport: An ``httpx.BaseTransport`` for the client this object creates.
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
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        _sleep: Callable[[float], None] = time.sleep,
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
        self._limiter = Limiter(self._config.max_concurrency)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            transport=transport,
            timeout=self._config.timeout,
            limits=pool_limits(self._config.max_concurrency),
        )
        if self._owns_http:
            # Pooled sockets close when the last reference goes, streams included (a stream
            # holds its client): a dropped model never closes a client under a live stream.
            weakref.finalize(self, self._http.close)

    # ---------------------------------------------------------------- the I/O loop

    def _attempt(
        self, call: Call, until: float | None
    ) -> tuple[httpx.Response, bytes, Slot | None]:
        """Send once; an event stream is returned open (no body yet) with the slot it holds."""
        request = self._build_request(self._http, call, self._attempt_timeout(call, until))
        slot = self._limiter.acquire(slot_wait(call, until))
        if slot is None:
            raise no_slot_error(call, until, self._limiter.limit)
        try:
            # Plain ``try`` blocks, not a context manager: two per call are measurable next
            # to a raw httpx call (see bench/).
            try:
                response = self._http.send(request, stream=True)
            except httpx.HTTPError as exc:
                error = translated_httpx_error(exc, before_response=True)
                raise at_deadline(error, call, until) from exc
            if self._keeps_open(call, response):
                open_stream_read(call, response)
                return response, b"", slot
            try:
                content = read_body(response, call, until)
            except httpx.HTTPError as exc:
                error = translated_httpx_error(exc, before_response=False)
                raise at_deadline(error, call, until) from exc
            finally:
                response.close()
        except BaseException:
            slot.release()
            raise
        slot.release()
        return response, content, None

    def _execute(
        self, call: Call, until: float | None = None
    ) -> tuple[httpx.Response, Any, Slot | None]:
        if until is None:
            until = self._start(call)
        for attempt in itertools.count():
            try:
                response, content, slot = self._attempt(call, until)
                if slot is not None:  # an event stream: the caller reads it
                    return response, None, slot
                return response, self._interpret(call, response, content), None
            except APIError as error:
                step = self._after_failure(call, attempt, error, until)
                if step is None:
                    raise
                call, delay = step
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _open_stream(self, call: Call) -> Stream:
        """Send a stream call; the answer's events are read as the stream is iterated."""
        until = self._start(call)
        response, preloaded, slot = self._execute(call, until)
        secret = self._config.secret()
        parser = StreamParser(call.api_format)
        first = None if until is None or call.deadline is None else (until, call.deadline)
        return Stream(
            response, parser, preloaded, secret=secret, slot=slot, owner=self, first_event_by=first
        )

    # ---------------------------------------------------------------- public calls

    def chat(
        self,
        request: ChatRequest,
        *,
        api_format: ApiFormat = "openai",
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Completion:
        """Send one chat request and return the whole answer.

        Args:
            request: OpenAI-shaped request (converted for ``api_format="anthropic"``).
            api_format: ``"openai"`` (``/chat/completions``) or ``"anthropic"``
                (``/v1/messages``).
            timeout: Read timeout for this call, overriding the client's; also the call's
                overall deadline unless ``deadline`` is given.
            deadline: Seconds this whole call may take (connecting, every attempt, retry
                waits, reading; for a stream, until its first event), overriding the
                client's ``deadline``.

        Raises:
            ConfigurationError: Missing key, insecure URL or an unconvertible request.
            APIError: Any failure talking to the API (see the exception tree).
        """
        result: Completion = self._execute(
            self._chat_call(request, api_format, False, timeout, deadline)
        )[1]
        return result

    def stream_chat(
        self,
        request: ChatRequest,
        *,
        api_format: ApiFormat = "openai",
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Stream:
        """Send one chat request and return its answer as a :class:`Stream`.

        The status and content type are checked (and failures retried) before this returns;
        a server that ignores ``stream`` and answers with one JSON body yields a one-event
        stream.
        Arguments and errors as for :meth:`chat`.
        """
        return self._open_stream(self._chat_call(request, api_format, True, timeout, deadline))

    def messages(
        self, body: JSON, *, timeout: float | None = None, deadline: float | None = None
    ) -> Completion:
        """Send a request written in Anthropic's Messages shape to ``/v1/messages``.

        For code that already builds Messages bodies (``system``, ``tool_use`` /
        ``tool_result`` blocks): the body is sent as given, except that ``max_tokens`` defaults
        from the catalog and ``temperature`` is capped at 1. The answer is the same normalized
        :class:`Completion` as :meth:`chat`'s. Errors as for :meth:`chat`.
        """
        result: Completion = self._execute(self._messages_call(body, False, timeout, deadline))[1]
        return result

    def stream_messages(
        self, body: JSON, *, timeout: float | None = None, deadline: float | None = None
    ) -> Stream:
        """Stream a request written in Anthropic's Messages shape (see :meth:`messages`)."""
        return self._open_stream(self._messages_call(body, True, timeout, deadline))

    def count_tokens(self, request: ChatRequest) -> int:
        """Count the input tokens of ``request`` (``POST /v1/messages/count_tokens``)."""
        result: int = self._execute(self._count_call(request))[1]
        return result

    def list_models(self) -> list[ModelEntry]:
        """List the models the API serves (``GET /v1/models``; ``/models`` if that is 404)."""
        try:
            models: list[ModelEntry] = self._execute(self._models_call())[1]
        except NotFoundError as first:
            try:
                models = self._execute(self._models_call(MODELS_FALLBACK_PATH))[1]
            except APIError:
                raise first from None
        return models

    def reported_context_window(self, model: str, *, deadline: float | None = None) -> int | None:
        """The context length ``GET /v1/models`` reports for ``model``, if any.

        Asked once per client (each client, sync or async, keeps its own answer). The
        lookup takes at most :data:`DISCOVERY_DEADLINE` seconds, and at most half of
        ``deadline`` (the deadline of the call that needs the answer; default: the client's
        ``deadline`` setting). Any failure (no such endpoint, no key yet, a slow server) is
        remembered as "not reported", so this never raises and never delays more than one
        call; a lookup that gives up closes its connection.
        """
        if not self.context_lookup_done:
            try:
                entries: list[ModelEntry] = self._execute(self._lookup_call(deadline))[1]
            except ModelsLabError:
                entries = []
            self._remember_contexts(entries)
        return self.known_context_window(model)

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> ModelsLabClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
