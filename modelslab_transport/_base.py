"""Everything the sync and async clients share: calls, requests, answers, retries.

The clients in ``_client.py`` / ``_async_client.py`` only send, read, sleep and loop; every
decision is made here or in ``_call_builders.py`` (the calls themselves), without I/O.

Decisions on what the API leaves open (``docs/modelslab-api.md`` §10; how an answer is
read: ``_call.py``):

* ``list_models`` asks ``/v1/models`` (documented) and, on a 404 only, ``/models`` (what the
  docs' OpenAI-SDK example implies); if both fail the first 404 is raised.
* Connection failures and timeouts are retried only when no response had started, so a
  request the server may have processed (and billed) is never sent twice.
* Each attempt holds one slot of the client's concurrency budget (``_limit.py``); the slot
  is given back before sleeping for a retry, and a returned stream keeps it until closed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from . import _routing
from ._call import Call, interpret, keeps_open
from ._call_builders import call_deadline, chat_call, count_call, messages_call, models_call
from ._config import ClientConfig, resolve_config
from ._constants import MODELS_PATH
from ._context_lookup import ContextLookup
from ._deadline import deadline_error, lookup_deadline
from ._errors import (
    APIError,
    BadRequestError,
    ConfigurationError,
    UnprocessableEntityError,
    scrub,
)
from ._log_redaction import guard_secret
from ._retry import decide_for_error
from ._types import JSON, ApiFormat, ChatRequest

__all__ = ["BaseClient"]


logger = logging.getLogger("modelslab_transport")

# What a server says when it does not know OpenAI's ``stream_options`` (usage in a stream);
# whether ModelsLab honours it is undocumented (``docs/modelslab-api.md`` §10.10).
_STREAM_OPTIONS_REFUSED = re.compile(r"stream_options|include_usage", re.IGNORECASE)

# Built once: ``json.dumps`` with any keyword builds a new encoder on every call, which costs
# more than encoding a typical request body (see bench/). Same output as ``json.dumps``.
_encode_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


class BaseClient(ContextLookup):
    """Configuration, call building and answer interpretation for both clients."""

    def __init__(
        self,
        api_key: str | SecretStr | None,
        *,
        base_url: str | None,
        timeout: float | None,
        connect_timeout: float | None,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        key_in_body: bool,
        allow_insecure_http: bool,
        max_concurrency: int | None,
        deadline: float | None,
        random: Callable[[], float],
        clock: Callable[[], float],
    ) -> None:
        self._config: ClientConfig = resolve_config(
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
        )
        self._random = random
        self._clock = clock
        guard_secret(self, self._config.secret())
        # Set once the server refused ``stream_options``: later streams go without it.
        self._stream_options_refused = False
        # Whether the httpx client is ours (set by the subclass), and its headers merged with
        # ours per kind of call (``_build_request``).
        self._owns_http = False
        self._merged_headers: dict[tuple[str, bool, bool], httpx.Headers] = {}
        # This client's settings under the request route installed now, if any.
        self._routed: tuple[_routing.RequestRoute, ClientConfig] | None = None

    @property
    def base_url(self) -> str:
        """The API base URL every endpoint path is appended to."""
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        """How many times a failed attempt may be repeated."""
        return self._config.max_retries

    @property
    def max_concurrency(self) -> int | None:
        """Most requests this client has in flight at once (``None``: unlimited)."""
        return self._config.max_concurrency

    def __repr__(self) -> str:
        key = "'**********'" if self._config.api_key is not None else "None"
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={key})"

    # ------------------------------------------------------------------ building calls
    # (pure, in ``_call_builders``: these pass this client's settings and state)

    def _chat_call(
        self,
        request: ChatRequest,
        api_format: ApiFormat,
        stream: bool,
        timeout: float | None,
        deadline: float | None = None,
    ) -> Call:
        refused = self._stream_options_refused
        return chat_call(
            self._config,
            request,
            api_format,
            stream,
            timeout,
            deadline,
            stream_options_refused=refused,
        )

    def _messages_call(
        self, body: JSON, stream: bool, timeout: float | None, deadline: float | None = None
    ) -> Call:
        return messages_call(self._config, body, stream, timeout, deadline)

    def _count_call(self, request: ChatRequest) -> Call:
        return count_call(self._config, request)

    def _models_call(self, path: str = MODELS_PATH, deadline: float | None = None) -> Call:
        return models_call(self._config, path, deadline)

    def call_deadline(
        self, timeout: float | None = None, deadline: float | None = None
    ) -> float | None:
        """The overall deadline of a call given these per-call options (``None``: unbounded).

        The one given for this call, else a timeout given for this call (a caller asking one
        call for 2 s means the whole call), else the client's ``deadline`` setting.

        Raises:
            ConfigurationError: ``deadline`` or ``timeout`` is not a number above zero.
        """
        return call_deadline(self._config, timeout, deadline)

    def _lookup_call(self, deadline: float | None) -> Call:
        """The context-length lookup's call, bounded by :func:`lookup_deadline`.

        ``deadline`` is that of the call that needs the answer (``None``: the client's).
        """
        return self._models_call(deadline=lookup_deadline(self.call_deadline(deadline=deadline)))

    @staticmethod
    def _start(call: Call) -> float | None:
        """The monotonic time by which ``call`` must be done (``None``: no deadline)."""
        return None if call.deadline is None else time.monotonic() + call.deadline

    @staticmethod
    def _attempt_timeout(call: Call, until: float | None) -> httpx.Timeout:
        """The httpx timeouts of one attempt, none longer than what is left of the deadline.

        A stream's body keeps the full read timeout (see ``open_stream_read``): it bounds the
        wait for each chunk of an answer that may rightly take longer than the deadline
        (which covers it up to its first event).
        """
        if until is None:
            return call.timeout
        left = until - time.monotonic()
        if left <= 0:
            raise deadline_error(call.deadline, "before sending")
        t = call.timeout

        def cap(value: float | None) -> float:
            return left if value is None else min(value, left)

        # A stream's head too must come within the deadline; its body gets the full read
        # timeout back once the head is in (``open_stream_read``).
        return httpx.Timeout(
            connect=cap(t.connect), read=cap(t.read), write=cap(t.write), pool=cap(t.pool)
        )

    def _build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        call: Call,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Request:
        """The httpx request for one attempt (raises ConfigurationError before any I/O)."""
        # A request route (a test double's) replaces every client's base URL and key, however
        # and whenever the client was built: see ``_routing``.
        route = _routing._ACTIVE
        config = self._config if route is None else self._routed_config(route)
        headers = config.headers(call.path, stream=call.stream, json_body=call.body is not None)
        content: bytes | None = None
        if call.body is not None:
            problem = None
            try:
                content = _encode_json(config.finish_body(call.body)).encode()
            except (TypeError, ValueError) as exc:
                problem = str(exc)
            if problem is not None:  # raised outside the handler: see below
                # A UnicodeEncodeError holds the whole body (``.object``), the key too when it
                # travels in the body; as the new error's context it would ride along.
                raise ConfigurationError(f"The request is not JSON-serializable: {problem}")
        url = config.url(call.path)
        logger.debug("%s %s (stream=%s)", call.method, url, call.stream)
        timeout = call.timeout if timeout is None else timeout
        if route is not None or not self._owns_http or http.cookies:
            # A caller's client may carry its own headers, cookies, params or auth, and may
            # change them between calls: httpx merges them per request.
            return http.build_request(
                call.method, url, content=content, headers=headers, timeout=timeout
            )
        # Our own client's headers never change, so they are merged with ours once per kind
        # of call: httpx's per-request merge re-decodes every header each time (see bench/).
        kind = (call.path, call.stream, call.body is not None)
        merged = self._merged_headers.get(kind)
        if merged is None:
            # Built whole before it is published: threads racing on a new client's first
            # calls must never read a set that lacks the key.
            merged = httpx.Headers(http.headers)
            merged.update(headers)
            self._merged_headers[kind] = merged
        extensions = {"timeout": timeout.as_dict()}
        return httpx.Request(
            call.method, url, content=content, headers=merged, extensions=extensions
        )

    def _routed_config(self, route: _routing.RequestRoute) -> ClientConfig:
        """This client's settings with the route's base URL and key (kept per route)."""
        routed = self._routed
        if routed is None or routed[0] is not route:
            config = dataclasses.replace(
                self._config, api_key=route.api_key, base_url=route.base_url
            )
            guard_secret(self, route.api_key.get_secret_value())
            routed = self._routed = (route, config)
        return routed[1]

    # --------------------------------------------------------------- reading answers

    _keeps_open = staticmethod(keeps_open)

    def _interpret(self, call: Call, response: httpx.Response, content: bytes) -> Any:
        """The parsed result of a read response, or its typed error (see ``interpret``)."""
        return interpret(call, response, content, secret=self._config.secret(), now=self._clock())

    # --------------------------------------------------------------------- retrying

    def _after_failure(
        self, call: Call, attempt: int, error: APIError, until: float | None
    ) -> tuple[Call, float] | None:
        """What to do after a failed attempt: the call to send next and the wait before it.

        ``None`` means raise ``error`` (scrubbed of the key, and saying how many attempts
        were made). A stream request refused because of ``stream_options`` is resent at once
        without it: the answer then simply comes without usage.
        """
        self._scrub(error)
        resend = self._without_refused_stream_options(call, error)
        if resend is not None:
            return resend, 0.0
        delay = self._retry_delay(call, attempt, error, until)
        if delay is None:
            self._note_attempts(error, attempt)
            return None
        return call, delay

    def _retry_delay(
        self, call: Call, attempt: int, error: APIError, until: float | None = None
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to raise ``error``. No state.

        No retry is made that could not start before the call's deadline (``until``): the
        caller gets the error at once instead of after a wait that could not end in an answer.
        """
        delay = decide_for_error(
            attempt, self._config.max_retries, error, self._random, self._clock()
        )
        if delay is not None and until is not None and time.monotonic() + delay >= until:
            logger.info(
                "Not retrying %s %s: waiting %.2f s would pass the call's deadline of %g s.",
                call.method,
                call.path,
                delay,
                call.deadline,
            )
            return None
        if delay is not None:
            logger.info(
                "Retrying %s %s in %.2f s (retry %d of %d) after: %s",
                call.method,
                call.path,
                delay,
                attempt + 1,
                self._config.max_retries,
                error,
            )
        return delay

    def _scrub(self, error: APIError) -> None:
        """The boundary every failed attempt passes: the key leaves no trace in ``error``.

        Done before the error is logged for a retry or raised to the caller, whatever built
        it (a server echoing the key in its body, headers or request id).
        """
        scrub(error, self._config.secret())

    @staticmethod
    def _note_attempts(error: APIError, attempt: int) -> None:
        """Make an error raised after retries say how many attempts were made.

        A 1 s timeout that took 4 s through two retries should not look like a 4 s timeout,
        and a 503 after three attempts should not look like one unlucky request.
        """
        if attempt > 0:
            error.message = f"{error.message} (after {attempt + 1} attempts)"
            error.args = (error.message, *error.args[1:])

    def _without_refused_stream_options(self, call: Call, error: APIError) -> Call | None:
        """``call`` without ``stream_options`` if the server refused them, else ``None``.

        Later streams of this client are built without them (the server will not change).
        """
        body = call.body
        if not (
            isinstance(error, BadRequestError | UnprocessableEntityError)
            and body is not None
            and "stream_options" in body
            and _STREAM_OPTIONS_REFUSED.search(str(error))
        ):
            return None
        self._stream_options_refused = True
        logger.warning(
            "The server refused stream_options (%s); streaming without usage from now on.", error
        )
        rest = {k: v for k, v in body.items() if k != "stream_options"}
        return dataclasses.replace(call, body=rest)
