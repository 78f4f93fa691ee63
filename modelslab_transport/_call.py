"""One logical API call, and how the answer to one attempt of it is read. Pure.

Decisions on what the API leaves open (``docs/modelslab-api.md`` §10): a stream request
answered with a 2xx JSON body is read as that body (an error report raises its typed error
and is retried like any other; a complete answer becomes a one-event stream); any other 2xx
content type raises ``MalformedResponseError``; a missing content type is read as an event
stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ._bodies import json_or_text, media_type
from ._catalog import reported_context
from ._common import is_error_payload
from ._error_map import error_fields, error_from_response
from ._errors import MalformedResponseError, redact
from ._hints import API_PREFIX, add_hints
from ._types import JSON, ApiFormat, ModelEntry

__all__ = ["Call", "compose", "contexts_by_id", "interpret", "keeps_open"]


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


def compose(outer: Callable[[Any], Any], inner: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``outer(inner(value))`` as one parser."""
    return lambda value: outer(inner(value))


def contexts_by_id(entries: list[ModelEntry]) -> dict[str, int]:
    """Model id -> the context length its ``/v1/models`` entry reports (when it does)."""
    return {e["id"]: n for e in entries if (n := reported_context(e)) is not None}


def keeps_open(call: Call, response: httpx.Response) -> bool:
    """Whether ``response`` is a successful event stream the caller will iterate.

    A missing content type is given the benefit of the doubt (we asked for a stream).
    """
    return call.stream and response.is_success and media_type(response) in ("text/event-stream", "")


def interpret(
    call: Call, response: httpx.Response, content: bytes, *, secret: str | None, now: float
) -> Any:
    """The parsed result of a read response (its body is ``content``), or its typed error.

    Args:
        call: The call the response answers.
        response: The response, read.
        content: Its body.
        secret: The API key, kept out of every message and body.
        now: Epoch seconds, for ``Retry-After`` dates.
    """
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
    error = error_from_response(
        response.status_code, response.headers, body, secret=secret, now=now
    )
    raise add_hints(error, _request_path(response), call.body)


def _request_path(response: httpx.Response) -> str:
    """The path the response answers (a response built without its request has none)."""
    try:
        return response.request.url.path
    except RuntimeError:
        return API_PREFIX
