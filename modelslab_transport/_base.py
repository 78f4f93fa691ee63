"""Everything the sync and async clients share: calls, requests, answers, retries.

The clients in ``_client.py`` / ``_async_client.py`` only send, read, sleep and loop; every
decision is made here, without I/O.

Decisions on what the API leaves open (see the research notes, section 14):

* A stream request answered with a 2xx JSON body: an error report raises the typed error
  (and is retried like any other); a complete answer (a server that ignored ``stream``)
  becomes a one-event stream. Any other 2xx content type raises ``MalformedResponseError``;
  a missing content type is read as an event stream.
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
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from . import _anthropic, _anthropic_request, _openai
from ._bodies import is_count, is_model_list, json_or_text, media_type, parse_models
from ._catalog import reported_context
from ._common import is_error_payload
from ._config import ClientConfig, resolve_config
from ._deadline import deadline_error
from ._error_map import error_fields, error_from_response
from ._errors import (
    APIConnectionError,
    APIError,
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    UnprocessableEntityError,
    redact,
    scrub,
)
from ._httpx_errors import translate_httpx_errors
from ._log_redaction import guard_secret
from ._retry import decide_for_error
from ._stream import deltas_from_completion
from ._types import JSON, ApiFormat, ChatRequest, ModelEntry
from ._validate import check_deadline, check_sampling

__all__ = ["BaseClient", "Call", "translate_httpx_errors"]


logger = logging.getLogger("modelslab_transport")

# What a server says when it does not know OpenAI's ``stream_options`` (usage in a stream);
# whether ModelsLab honours it is undocumented (research notes, contradiction 10).
_STREAM_OPTIONS_REFUSED = re.compile(r"stream_options|include_usage", re.IGNORECASE)

MODELS_PATH = "/v1/models"
# The longest a model object waits, once, to learn an unknown model's context length.
DISCOVERY_DEADLINE = 5.0
# The docs' OpenAI-SDK example (base URL + ``/models``) implies this path too; tried on 404.
MODELS_FALLBACK_PATH = "/models"


@dataclass(frozen=True, slots=True)
class Call:
    """One logical API call (repeated as-is on retry)."""

    method: str
    path: str
    body: JSON | None
    stream: bool
    api_format: ApiFormat
    timeout: httpx.Timeout
    accepts: Callable[[Any], bool]
    parse: Callable[[Any], Any]
    # Seconds the whole call may take (see ``BaseClient._start``); None: unbounded.
    deadline: float | None = None


def contexts_by_id(entries: list[ModelEntry]) -> dict[str, int]:
    """Model id -> the context length its ``/v1/models`` entry reports (when it does)."""
    return {e["id"]: n for e in entries if (n := reported_context(e)) is not None}


class BaseClient:
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

    def _chat_call(
        self,
        request: ChatRequest,
        api_format: ApiFormat,
        stream: bool,
        timeout: float | None,
        deadline: float | None = None,
    ) -> Call:
        accepts: Callable[[Any], bool]
        parse: Callable[[Any], Any]
        check_sampling(request)
        if api_format == "openai":
            body = _openai.build_body(request, stream=stream)
            path, accepts, parse = _openai.PATH, _openai.is_completion, _openai.parse_completion
        elif api_format == "anthropic":
            body = _anthropic_request.build_body(request, stream=stream)
            path = _anthropic_request.PATH
            accepts, parse = _anthropic.is_message, _anthropic.parse_message
        else:
            raise ConfigurationError(
                f"api_format must be 'openai' or 'anthropic', got {api_format!r}."
            )
        if stream and self._stream_options_refused:
            body.pop("stream_options", None)
        call = self._answer_call(path, body, stream, api_format, timeout, accepts, parse)
        return self._with_deadline(call, timeout, deadline)

    def _messages_call(
        self, body: JSON, stream: bool, timeout: float | None, deadline: float | None = None
    ) -> Call:
        """A call with a Messages body written in Anthropic's shape (sent nearly as is)."""
        check_sampling(body)
        native = _anthropic_request.native_body(body, stream=stream)
        call = self._answer_call(_anthropic_request.PATH, native, stream, "anthropic", timeout,
                                 _anthropic.is_message, _anthropic.parse_message)  # fmt: skip
        return self._with_deadline(call, timeout, deadline)

    def _with_deadline(self, call: Call, timeout: float | None, deadline: float | None) -> Call:
        """``call`` with its overall deadline.

        The one given for this call, else a timeout given for this call (a caller asking one
        call for 2 s means the whole call), else the client's ``deadline`` setting.
        """
        chosen = check_deadline(deadline)
        if chosen is None and timeout is not None:
            chosen = check_deadline(timeout)
        if chosen is None:
            chosen = self._config.deadline
        return call if chosen is None else dataclasses.replace(call, deadline=chosen)

    @staticmethod
    def _start(call: Call) -> float | None:
        """The monotonic time by which ``call`` must be done (``None``: no deadline)."""
        return None if call.deadline is None else time.monotonic() + call.deadline

    @staticmethod
    def _attempt_timeout(call: Call, until: float | None) -> httpx.Timeout:
        """The httpx timeouts of one attempt, none longer than what is left of the deadline.

        A stream keeps its read timeout: it bounds the wait for each chunk of an answer that
        may rightly take longer than the deadline (which covers it up to its first event).
        """
        if until is None:
            return call.timeout
        left = until - time.monotonic()
        if left <= 0:
            raise deadline_error(call.deadline, "before sending")
        t = call.timeout

        def cap(value: float | None) -> float:
            return left if value is None else min(value, left)

        read = t.read if call.stream else cap(t.read)
        return httpx.Timeout(
            connect=cap(t.connect), read=read, write=cap(t.write), pool=cap(t.pool)
        )

    def _answer_call(
        self,
        path: str,
        body: JSON,
        stream: bool,
        api_format: ApiFormat,
        timeout: float | None,
        accepts: Callable[[Any], bool],
        parse: Callable[[Any], Any],
    ) -> Call:
        """A call answered with a completion (or, when ``stream``, an event stream)."""
        if stream:  # a complete JSON answer to a stream request becomes a one-event stream
            parse = _compose(deltas_from_completion, parse)
        return Call("POST", path, body, stream, api_format, self._config.call_timeout(timeout),
                    accepts, parse)  # fmt: skip

    def _count_call(self, request: ChatRequest) -> Call:
        body = _anthropic_request.build_count_body(request)
        return Call("POST", _anthropic_request.COUNT_PATH, body, False, "anthropic",
                    self._config.timeout, is_count, lambda b: b["input_tokens"])  # fmt: skip

    def _models_call(self, path: str = MODELS_PATH, deadline: float | None = None) -> Call:
        return Call("GET", path, None, False, "openai", self._config.timeout,
                    is_model_list, parse_models, deadline)  # fmt: skip

    def _build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        call: Call,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Request:
        """The httpx request for one attempt (raises ConfigurationError before any I/O)."""
        headers = self._config.headers(
            call.path, stream=call.stream, json_body=call.body is not None
        )
        content: bytes | None = None
        if call.body is not None:
            try:
                content = json.dumps(
                    self._config.finish_body(call.body), ensure_ascii=False, allow_nan=False
                ).encode()
            except (TypeError, ValueError) as exc:
                raise ConfigurationError(f"The request is not JSON-serializable: {exc}") from None
        logger.debug("%s %s (stream=%s)", call.method, self._config.url(call.path), call.stream)
        return http.build_request(
            call.method, self._config.url(call.path), content=content, headers=headers,
            timeout=call.timeout if timeout is None else timeout,
        )  # fmt: skip

    # --------------------------------------------------------------- reading answers

    @staticmethod
    def _keeps_open(call: Call, response: httpx.Response) -> bool:
        """Whether ``response`` is a successful event stream the caller will iterate.

        A missing content type is given the benefit of the doubt (we asked for a stream).
        """
        return (
            call.stream
            and response.is_success
            and media_type(response) in ("text/event-stream", "")
        )

    def _interpret(self, call: Call, response: httpx.Response, content: bytes) -> Any:
        """The parsed result of a read response (its body is ``content``), or its typed error."""
        secret = self._config.secret()
        body = json_or_text(content)
        if response.is_success:
            media = media_type(response)
            if (
                call.stream
                and not (media.endswith("json") or media.endswith("+json"))
                # An error report under a wrong content type is still the server's words.
                and error_fields(body)[0] is None
            ):
                raise MalformedResponseError(
                    f"Expected an event stream, got content type {media!r}.",
                    body=redact(body, secret),
                )
            if isinstance(body, str):
                shown = redact(body[:200], secret)  # a body may echo the key
                raise MalformedResponseError(f"The response is not JSON: {shown!r}")
            # An answer's shape with an error in it (``{"choices": [], "error": {...}}``) is
            # the error it reports: a 429 there is retried like any 429.
            if call.accepts(body) and not (isinstance(body, dict) and is_error_payload(body)):
                return call.parse(body)
        raise error_from_response(
            response.status_code, response.headers, body, secret=secret, now=self._clock()
        )

    # --------------------------------------------------------------------- retrying

    def _retry_delay(
        self, call: Call, attempt: int, error: APIError, until: float | None = None
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to raise ``error``.

        A stream request refused because of ``stream_options`` is resent at once without it
        (not counted as a retry): the answer then simply comes without usage. No retry is
        made that could not start before the call's deadline (``until``): the caller gets
        the error at once instead of after a wait that could not end in an answer.
        """
        if self._drop_refused_stream_options(call, error):
            return 0.0
        delay = decide_for_error(
            attempt, self._config.max_retries, error, self._random, self._clock()
        )
        if delay is not None and until is not None and time.monotonic() + delay >= until:
            logger.info(
                "Not retrying %s %s: waiting %.2f s would pass the call's deadline of %g s.",
                call.method, call.path, delay, call.deadline,
            )  # fmt: skip
            return None
        if delay is not None:
            logger.info(
                "Retrying %s %s in %.2f s (retry %d of %d) after: %s",
                call.method, call.path, delay, attempt + 1, self._config.max_retries, error,
            )  # fmt: skip
        return delay

    def _scrub(self, error: APIError) -> None:
        """The boundary every failed attempt passes: the key leaves no trace in ``error``.

        Done before the error is logged for a retry or raised to the caller, whatever built
        it (a server echoing the key in its body, headers or request id).
        """
        scrub(error, self._config.secret())

    @staticmethod
    def _note_attempts(error: APIError, attempt: int) -> None:
        """Make a connection or timeout error raised after retries say how many were made.

        A 1 s timeout that took 4 s through two retries should not look like a 4 s timeout.
        """
        if attempt > 0 and isinstance(error, APIConnectionError):
            error.message = f"{error.message} (after {attempt + 1} attempts)"
            error.args = (error.message, *error.args[1:])

    def _drop_refused_stream_options(self, call: Call, error: APIError) -> bool:
        body = call.body
        if not (
            isinstance(error, BadRequestError | UnprocessableEntityError)
            and body is not None
            and "stream_options" in body
            and _STREAM_OPTIONS_REFUSED.search(str(error))
        ):
            return False
        del body["stream_options"]  # the call's own body, built for it alone
        self._stream_options_refused = True
        logger.warning(
            "The server refused stream_options (%s); streaming without usage from now on.", error
        )
        return True


def _compose(outer: Callable[[Any], Any], inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: outer(inner(value))
