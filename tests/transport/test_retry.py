"""The pure retry policy: what is retried, and how long it waits."""

from __future__ import annotations

from typing import Any

import pytest

from modelslab_transport import (
    APIConnectionError,
    APITimeoutError,
    MalformedResponseError,
    RateLimitError,
    StreamTruncatedError,
)
from modelslab_transport._retry import backoff, decide


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (529, True),
        (400, False),
        (401, False),
        (402, False),
        (403, False),
        (404, False),
        (413, False),
        (422, False),
    ],
)
def test_which_statuses_are_retried(status: int, retried: bool) -> None:
    assert (decide(0, 2, status) is not None) is retried


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (APIConnectionError(), True),
        (APITimeoutError("t"), True),
        (APIConnectionError(before_response=False), False),
        (APITimeoutError("t", before_response=False), False),
        (RateLimitError("x", status_code=429), True),
        (RateLimitError("x", status_code=200, http_status=200), False),
        (MalformedResponseError("x"), False),
        (StreamTruncatedError("x"), False),
        (ValueError("x"), False),
    ],
)
def test_which_errors_are_retried(error: BaseException, retried: bool) -> None:
    assert (decide(0, 2, error) is not None) is retried


@pytest.mark.parametrize(
    ("attempt", "max_retries", "retried"),
    [(0, 0, False), (0, 1, True), (1, 1, False), (1, 2, True), (2, 2, False), (5, 10, True)],
)
def test_attempt_budget(attempt: int, max_retries: int, retried: bool) -> None:
    assert (decide(attempt, max_retries, 503) is not None) is retried


@pytest.mark.parametrize(
    ("attempt", "rng", "expected"),
    [
        (0, 0.0, 0.5),
        (1, 0.0, 1.0),
        (2, 0.0, 2.0),
        (3, 0.0, 4.0),
        (4, 0.0, 8.0),
        (9, 0.0, 8.0),
        (0, 1.0, 0.375),
        (4, 1.0, 6.0),
        (2, 0.5, 1.75),
    ],
)
def test_exponential_backoff_with_jitter(attempt: int, rng: float, expected: float) -> None:
    assert backoff(attempt, lambda: rng) == pytest.approx(expected)
    assert decide(attempt, 99, 500, rng=lambda: rng) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"retry-after": "3"}, None, 3.0),
        ({"retry-after-ms": "250"}, None, 0.25),
        ({}, 12, 12.0),
        ({}, {"retry_after": 12}, 12.0),
        ({"retry-after": "3"}, 12, 12.0),
        ({"retry-after": "600"}, None, 60.0),
        ({}, 3600, 60.0),
        ({"retry-after": "0"}, None, 0.0),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}, None, 10.0),
        ({"retry-after": "garbage"}, None, 0.5),
    ],
)
def test_server_requested_wait_wins_and_is_capped(
    headers: dict[str, str], body: Any, expected: float
) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert decide(0, 2, 429, headers, body, lambda: 0.0, now) == pytest.approx(expected)


def test_server_wait_is_not_used_for_unretryable_statuses() -> None:
    assert decide(0, 2, 400, {"retry-after": "1"}) is None
