"""Retry policy: whether to repeat a failed attempt, and how long to wait first. Pure.

Repeated: 408, 409, 429, 5xx (also when ModelsLab reports them inside an HTTP 200 body) and
connection failures / timeouts that happened before any response arrived. Never repeated:
other 4xx (a bad key or an empty balance does not fix itself), malformed answers, and anything
after a stream was handed to the caller.

Wait: what the server asked for (body ``retry_after``, ``retry-after-ms``, ``Retry-After``
seconds or HTTP date, ``X-RateLimit-Reset``), capped at 60 s; otherwise 0.5 s * 2**attempt
capped at 8 s, reduced by up to 25 % jitter so that many clients do not retry in lockstep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._constants import (
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRY_JITTER,
    is_retryable_status,
)
from ._error_map import parse_retry_after
from ._errors import APIConnectionError, APIError, APIStatusError

__all__ = ["backoff", "decide", "decide_for_error", "is_retryable_status"]


def backoff(attempt: int, rng: Callable[[], float]) -> float:
    """Exponential backoff for retry number ``attempt`` (0-based), with jitter."""
    delay = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return delay * (1.0 - RETRY_JITTER * rng())


def _worth_retrying(error_or_status: int | BaseException) -> bool:
    if isinstance(error_or_status, int):
        return is_retryable_status(error_or_status)
    if isinstance(error_or_status, APIConnectionError):
        # After a response started the server may have done (and billed) the work.
        return error_or_status.before_response
    if isinstance(error_or_status, APIStatusError):
        return is_retryable_status(error_or_status.status_code)
    return False


def decide(
    attempt: int,
    max_retries: int,
    error_or_status: int | BaseException,
    headers: Mapping[str, str] | None = None,
    body_retry_after: Any = None,
    rng: Callable[[], float] = lambda: 0.0,
    now: float | None = None,
) -> float | None:
    """Seconds to wait before retrying, or ``None`` to give up.

    Args:
        attempt: Retries already made (0 for the first failure).
        max_retries: Most retries allowed.
        error_or_status: The failure: an HTTP status, or the exception it was mapped to.
        headers: Response headers, if a response arrived.
        body_retry_after: The error body (or its ``retry_after`` value), if any.
        rng: Returns a float in [0, 1) for jitter.
        now: Current epoch seconds, for ``Retry-After`` HTTP dates.
    """
    if attempt >= max_retries or not _worth_retrying(error_or_status):
        return None
    if body_retry_after is not None and not isinstance(body_retry_after, dict):
        body_retry_after = {"retry_after": body_retry_after}
    asked = parse_retry_after(headers or {}, body_retry_after, now)
    if asked is not None:
        return min(asked, MAX_RETRY_AFTER)
    return backoff(attempt, rng)


def decide_for_error(
    attempt: int,
    max_retries: int,
    error: APIError,
    rng: Callable[[], float],
    now: float | None,
) -> float | None:
    """:func:`decide` for an exception the client raised (body and headers come with it)."""
    if isinstance(error, APIStatusError):
        return decide(attempt, max_retries, error, error.headers, error.body, rng, now)
    return decide(attempt, max_retries, error, None, None, rng, now)
