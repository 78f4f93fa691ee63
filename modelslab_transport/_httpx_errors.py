"""httpx's exceptions re-raised as the transport's: the one place this happens."""

from __future__ import annotations

import httpx

from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    MalformedResponseError,
    StreamInterruptedError,
)

__all__ = ["translated_httpx_error"]


def translated_httpx_error(
    exc: httpx.HTTPError, *, before_response: bool, mid_stream: bool = False
) -> APIError:
    """The transport's exception for one of httpx's (raise it ``from exc``).

    Messages name the host (never the path or query, which is not ours to show) and, for a
    timeout, which limit fired and its value. Callers use a plain ``try`` around each send
    and read: a context manager per stream chunk costs more than parsing the chunk.

    A connection that breaks while an event stream is being read (``mid_stream``) gave part
    of an answer, so it is a :class:`StreamInterruptedError`: a ``StreamTruncatedError``
    (and still an ``APIConnectionError`` for older handlers). A timeout stays an
    ``APITimeoutError``.
    """
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"Request to {_host(exc)} timed out: {_limit(exc)} ({type(exc).__name__}).",
            before_response=before_response,
        )
    if isinstance(exc, httpx.DecodingError):
        return MalformedResponseError(f"Could not decode the response body: {exc}")
    if mid_stream:
        return StreamInterruptedError(
            f"The event stream from {_host(exc)} was cut before the answer was complete "
            f"({type(exc).__name__}): {exc}"
        )
    return APIConnectionError(
        f"Connection error with {_host(exc)} ({type(exc).__name__}): {exc}",
        before_response=before_response,
    )


_TIMEOUT_PHASES: dict[type[httpx.TimeoutException], str] = {
    httpx.ConnectTimeout: "connect",
    httpx.ReadTimeout: "read",
    httpx.WriteTimeout: "write",
    httpx.PoolTimeout: "pool",
}


def _host(exc: httpx.HTTPError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # an exception raised without its request
        return "the server"
    return f"{url.host}:{url.port}" if url.port else str(url.host)


def _limit(exc: httpx.TimeoutException) -> str:
    phase = _TIMEOUT_PHASES.get(type(exc))
    try:
        seconds = exc.request.extensions.get("timeout", {}).get(phase)
    except RuntimeError:
        seconds = None
    if phase is None:
        return "a timeout passed"
    if not isinstance(seconds, int | float):
        return f"the {phase} timeout passed"
    return f"the {phase} timeout of {seconds:g} s passed"
