"""Error classification: every ModelsLab error shape, statuses, HTTP-200 errors, redaction."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from modelslab_transport import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ContextWindowExceededError,
    InsufficientCreditsError,
    InternalServerError,
    MalformedResponseError,
    ModelsLabError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    ServerStreamError,
    StreamError,
    StreamTruncatedError,
    UnprocessableEntityError,
)
from modelslab_transport._error_map import error_from_response, parse_retry_after
from modelslab_transport._errors import redact

from .conftest import KEY

NOW = 1_700_000_000.0

STATUS_CLASSES = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (402, InsufficientCreditsError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (413, RequestTooLargeError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (502, InternalServerError),
    (503, InternalServerError),
    (529, InternalServerError),
    (418, APIStatusError),
]


def classify(status: int, body: Any, headers: dict[str, str] | None = None) -> APIError:
    return error_from_response(status, httpx.Headers(headers or {}), body, secret=KEY, now=NOW)


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_status_maps_to_class(status: int, cls: type[APIStatusError]) -> None:
    error = classify(status, {"error": {"message": "nope", "type": "x"}})
    assert type(error) is cls
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert error.http_status == status
    assert "nope" in str(error)
    assert f"HTTP {status}" in str(error)


SHAPES = [
    pytest.param(
        {"error": {"message": "bad model", "type": "invalid_request_error", "code": 400}},
        "bad model",
        id="openai",
    ),
    pytest.param(
        {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}},
        "bad",
        id="anthropic",
    ),
    pytest.param({"status": "error", "message": "Invalid request"}, "Invalid request", id="status"),
    pytest.param({"status": "error", "messege": "Typo field"}, "Typo field", id="messege-typo"),
    pytest.param(
        {"status": "error", "message": {"prompt": ["required"]}},
        "required",
        id="status-dict-message",
    ),
    pytest.param({"error": "plain string"}, "plain string", id="error-string"),
    pytest.param({"detail": "Not allowed"}, "Not allowed", id="detail-string"),
    pytest.param(
        {"detail": [{"loc": ["body", "model"], "msg": "field required"}]},
        "field required",
        id="detail-list",
    ),
    pytest.param({"status": "error"}, "without a message", id="status-only"),
    pytest.param({"error": {"messege": "nested typo"}}, "nested typo", id="nested-messege"),
    pytest.param("<html>502 Bad Gateway</html>", "502 Bad Gateway", id="html-text"),
    pytest.param(None, "HTTP 400 with no error message", id="empty-body"),
    pytest.param({"unexpected": True}, "HTTP 400 with no error message", id="unknown-json"),
]


@pytest.mark.parametrize(("body", "words"), SHAPES)
def test_every_error_shape_keeps_the_servers_words(body: Any, words: str) -> None:
    error = classify(400, body)
    assert isinstance(error, BadRequestError)
    assert words in error.message
    assert error.body == body


def test_long_text_bodies_are_truncated_in_the_message() -> None:
    error = classify(500, "x" * 5000)
    assert len(error.message) < 700


OVERFLOW = [
    "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.",
    "context_length_exceeded",
    "Too many tokens in the prompt",
    "prompt is too long: 250000 tokens > 200000 maximum",
    "Input is too long for requested model.",
    "Requested tokens exceed the context window of the model",
]


@pytest.mark.parametrize("message", OVERFLOW)
@pytest.mark.parametrize("status", [400, 413, 422, 200])
def test_context_overflow(message: str, status: int) -> None:
    error = classify(status, {"error": {"message": message}})
    assert isinstance(error, ContextWindowExceededError)
    assert isinstance(error, BadRequestError)
    assert not error.retryable


def test_overflow_wording_does_not_change_other_statuses() -> None:
    assert type(classify(500, {"error": {"message": OVERFLOW[0]}})) is InternalServerError


OK_BODIES = [
    pytest.param(
        {"status": "error", "message": "Rate limit exceeded, retry later"},
        RateLimitError,
        429,
        id="rate-limit-words",
    ),
    pytest.param(
        {"status": "error", "message": "Queue limit exceeded", "retry_after": 30},
        RateLimitError,
        429,
        id="queue-words",
    ),
    pytest.param(
        {"status": "error", "messege": "Insufficient credits in your wallet"},
        InsufficientCreditsError,
        402,
        id="credits-messege",
    ),
    pytest.param(
        {"status": "error", "message": "Invalid API key"},
        AuthenticationError,
        401,
        id="invalid-key",
    ),
    pytest.param(
        {"status": "error", "message": "Unauthorized"}, AuthenticationError, 401, id="unauthorized"
    ),
    pytest.param(
        {"status": "error", "message": "Model not found: m-9"}, NotFoundError, 404, id="not-found"
    ),
    pytest.param(
        {"status": "error", "message": "Your plan is not allowed to use this model"},
        PermissionDeniedError,
        403,
        id="plan",
    ),
    pytest.param(
        {"status": "error", "message": "Upstream unavailable"},
        InternalServerError,
        500,
        id="unavailable",
    ),
    pytest.param(
        {"error": {"message": "whatever", "code": 429}}, RateLimitError, 429, id="numeric-code"
    ),
    pytest.param(
        {"error": {"message": "whatever", "code": "503"}},
        InternalServerError,
        503,
        id="string-code",
    ),
    pytest.param(
        {"status": "error", "message": "whatever", "status_code": 401},
        AuthenticationError,
        401,
        id="status_code-field",
    ),
    pytest.param(
        {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
        InternalServerError,
        529,
        id="anthropic-type",
    ),
    pytest.param(
        {"error": {"message": "whatever", "code": "rate_limit_exceeded"}},
        RateLimitError,
        429,
        id="code-word",
    ),
    pytest.param(
        {"status": "error", "message": "Something odd happened"},
        APIStatusError,
        200,
        id="unclassifiable-kept-200",
    ),
]


@pytest.mark.parametrize(("body", "cls", "status"), OK_BODIES)
def test_errors_inside_http_200(body: Any, cls: type[APIStatusError], status: int) -> None:
    error = classify(200, body)
    assert type(error) is cls
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert error.http_status == 200
    assert "HTTP 200" in str(error)


def test_processing_status_is_a_clear_unsupported_error() -> None:
    error = classify(200, {"status": "processing", "id": 12, "eta": 5, "fetch_result": "u"})
    assert type(error) is APIError
    assert "asynchronous" in error.message
    assert "not supported" in error.message


@pytest.mark.parametrize(
    "body", [{"foo": 1}, [1, 2], "plain text", None, {"status": "success", "message": "answer"}]
)
def test_unrecognisable_200_body_is_malformed(body: Any) -> None:
    assert isinstance(classify(200, body), MalformedResponseError)


RETRY_AFTER = [
    pytest.param({"retry_after": 30}, {}, 30.0, id="body-seconds"),
    pytest.param({"retry_after": "2.5"}, {}, 2.5, id="body-string"),
    pytest.param({"error": {"retry_after": 4}}, {}, 4.0, id="body-nested"),
    pytest.param({}, {"retry-after-ms": "1500"}, 1.5, id="header-ms"),
    pytest.param({}, {"Retry-After": "7"}, 7.0, id="header-seconds"),
    pytest.param({}, {"Retry-After": "Tue, 14 Nov 2023 22:13:30 GMT"}, 10.0, id="header-date"),
    pytest.param({}, {"Retry-After": "Tue, 14 Nov 2023 22:00:00 GMT"}, 0.0, id="date-in-past"),
    pytest.param({}, {"Retry-After": "soon"}, None, id="header-garbage"),
    pytest.param({"retry_after": -3}, {}, None, id="negative-ignored"),
    pytest.param({"retry_after": 3}, {"Retry-After": "9"}, 3.0, id="body-wins"),
    pytest.param({}, {"retry-after-ms": "200", "Retry-After": "9"}, 0.2, id="ms-beats-seconds"),
    pytest.param({}, {"retry-after-ms": "x", "Retry-After": "9"}, 9.0, id="bad-ms-falls-back"),
    pytest.param({}, {}, None, id="none"),
    pytest.param({}, {"X-RateLimit-Reset": "12"}, 12.0, id="reset-seconds"),
    pytest.param({}, {"X-RateLimit-Reset": "1700000010"}, 10.0, id="reset-epoch"),
    pytest.param({}, {"X-RateLimit-Reset": "1699999995000"}, 0.0, id="reset-epoch-ms-past"),
    pytest.param({}, {"X-RateLimit-Reset": "1700000015500"}, 15.5, id="reset-epoch-ms"),
    pytest.param({}, {"X-RateLimit-Reset": "later"}, None, id="reset-garbage"),
    pytest.param({}, {"X-RateLimit-Reset": "12", "Retry-After": "3"}, 3.0, id="retry-after-wins"),
]


@pytest.mark.parametrize(("body", "headers", "expected"), RETRY_AFTER)
def test_retry_after(body: Any, headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(httpx.Headers(headers), body, NOW) == expected
    error = classify(429, {"status": "error", "message": "slow down", **body}, headers)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-request-id": "req-1"}, "req-1"),
        ({"request-id": "req-2"}, "req-2"),
        ({"cf-ray": "ray-3"}, "ray-3"),
        ({"x-request-id": "a", "cf-ray": "b"}, "a"),
        ({}, None),
    ],
)
def test_request_id(headers: dict[str, str], expected: str | None) -> None:
    assert classify(500, {"error": {"message": "x"}}, headers).request_id == expected


def test_echoed_key_is_redacted_from_message_and_body() -> None:
    body = {"status": "error", "message": f"Invalid key {KEY}", "meta": {"key": KEY, "n": [KEY]}}
    error = classify(401, body)
    assert KEY not in str(error)
    assert KEY not in repr(error)
    assert KEY not in repr(error.body)
    assert "***" in error.message


def test_redact_walks_nested_values_and_keeps_others() -> None:
    value = {"a": [KEY, 1, None, {"b": f"x{KEY}y"}], "c": 2.5}
    assert redact(value, KEY) == {"a": ["***", 1, None, {"b": "x***y"}], "c": 2.5}
    assert redact(value, None) is value


RETRYABLE = [
    (ConfigurationError("x"), False),
    (APIError("x"), False),
    (APIConnectionError(), True),
    (APITimeoutError("t"), True),
    (StreamTruncatedError("x"), True),
    (MalformedResponseError("x"), False),
    (ServerStreamError("x"), False),
    (ServerStreamError("x", status_code=429), True),
    (ServerStreamError("x", status_code=529), True),
    (StreamError("x"), False),
    *(
        (APIStatusError("x", status_code=s), s in (408, 409, 429) or s >= 500)
        for s in (400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 503)
    ),
]


@pytest.mark.parametrize(("error", "expected"), RETRYABLE)
def test_retryable(error: ModelsLabError, expected: bool) -> None:
    assert error.retryable is expected


def test_tree() -> None:
    assert issubclass(ConfigurationError, ModelsLabError)
    assert issubclass(ConfigurationError, ValueError)
    assert issubclass(APIStatusError, APIError)
    assert issubclass(ContextWindowExceededError, BadRequestError)
    assert issubclass(APITimeoutError, APIConnectionError)
    for cls in (StreamTruncatedError, MalformedResponseError, ServerStreamError):
        assert issubclass(cls, StreamError)
        assert issubclass(cls, APIError)


@pytest.mark.parametrize(
    "body", [{"error": {"message": ""}}, {"message": "  "}, {"error": {"message": "", "type": "x"}}]
)
def test_an_empty_server_message_is_said_plainly(body: Any) -> None:
    error = error_from_response(500, httpx.Headers(), body)
    assert str(error) == "HTTP 500 with no error message."  # the status said once
