"""Classify an error response: the one pure function from (status, headers, body) to exception.

ModelsLab error bodies come in several shapes (``docs/modelslab-api.md`` §8.1), all recognised
here: ``{"error": {"message", "type", "code"}}`` (OpenAI), ``{"type": "error", "error": {...}}``
(Anthropic), ``{"status": "error", "message": ...}`` (site-wide, sometimes spelt ``messege``,
with ``retry_after`` on 429), ``{"error": "<string>"}`` and ``{"detail": ...}``. They may arrive
with HTTP 200, in which case the status is inferred from a ``code`` in the body or the wording.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
import time
from collections.abc import Mapping
from typing import Any

from ._errors import (
    APIError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ContextWindowExceededError,
    InsufficientCreditsError,
    InternalServerError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    RequestTooLargeError,
    UnprocessableEntityError,
    redact,
    redact_headers,
)

__all__ = [
    "error_fields",
    "error_from_response",
    "infer_status",
    "is_context_overflow",
    "parse_retry_after",
    "request_id_from",
]

_MAX_MESSAGE = 600

_CLASS_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    413: RequestTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

# Anthropic / OpenAI ``error.type`` values and what status they stand for.
_STATUS_BY_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "billing_error": 402,
    "insufficient_quota": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "model_not_found": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "api_error": 500,
    "server_error": 500,
    "overloaded_error": 529,
    "timeout_error": 504,
}

# Wording of error bodies that arrive with HTTP 200 (no status to go by). Order matters.
_STATUS_BY_WORDING = (
    (re.compile(r"rate.?limit|too many requests|queue", re.I), 429),
    (re.compile(r"credit|balance|insufficient|payment|billing", re.I), 402),
    (re.compile(r"unauthori[sz]ed|invalid.{0,10}(api.?)?key|api.?key|authenticat", re.I), 401),
    (re.compile(r"forbidden|not allowed|permission|upgrade your plan", re.I), 403),
    (re.compile(r"not.?found|does not exist|no such model|unknown model", re.I), 404),
    (re.compile(r"server error|internal error|unavailable|overloaded|timed? ?out", re.I), 500),
)

_CONTEXT_OVERFLOW = re.compile(
    r"maximum context length|context.?length.?exceeded|context window|context length"
    r"|too many tokens|prompt is too long|input is too long|exceeds? the (model'?s? )?"
    r"(context|maximum)|reduce the length of the messages|max_model_len",
    re.I,
)

_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "cf-ray")


def request_id_from(headers: Mapping[str, str]) -> str | None:
    """Return the first request-id-like header value, if any."""
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def is_context_overflow(message: str) -> bool:
    """Whether ``message`` says the prompt does not fit the model's context window."""
    return bool(_CONTEXT_OVERFLOW.search(message))


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # pragma: no cover - json.dumps(default=str) hardly fails
        return str(value)


def _detail_text(detail: Any) -> str:
    # FastAPI-style validation errors: [{"loc": [...], "msg": "...", ...}, ...]
    if isinstance(detail, list):
        parts = [d.get("msg") if isinstance(d, dict) and "msg" in d else d for d in detail]
        return "; ".join(_as_text(p) for p in parts)
    return _as_text(detail)


def error_fields(body: Any) -> tuple[str | None, str | None, Any]:
    """Extract ``(message, type, code)`` from any known ModelsLab error shape.

    Returns ``(None, None, None)`` when ``body`` has no error shape at all.
    """
    if not isinstance(body, dict):
        return None, None, None
    err = body.get("error")
    if isinstance(err, dict):
        msg = err.get("message", err.get("messege"))
        return (None if msg is None else _as_text(msg)), err.get("type"), err.get("code")
    if isinstance(err, str) and err:
        return err, body.get("type"), body.get("code")
    # ``messege`` is a misspelling ModelsLab's own docs show in real error bodies.
    for key in ("message", "messege"):
        msg = body.get(key)
        if msg is not None and body.get("status") != "success":
            return _as_text(msg), body.get("type"), body.get("code")
    if "detail" in body:
        return _detail_text(body["detail"]), None, body.get("code")
    if body.get("status") == "error":
        return "The server reported an error without a message.", None, body.get("code")
    return None, None, None


def _status_from_code(code: Any) -> int | None:
    try:
        value = int(code)
    except (TypeError, ValueError):
        return _STATUS_BY_TYPE.get(code) if isinstance(code, str) else None
    return value if 400 <= value <= 599 else None


def infer_status(body: Any, err_type: Any, code: Any, message: str) -> int | None:
    """Guess the real status of an error reported with HTTP 200, or ``None``."""
    for candidate in (code, body.get("status_code") if isinstance(body, dict) else None):
        status = _status_from_code(candidate)
        if status is not None:
            return status
    if isinstance(err_type, str) and err_type in _STATUS_BY_TYPE:
        return _STATUS_BY_TYPE[err_type]
    for pattern, status in _STATUS_BY_WORDING:
        if pattern.search(message):
            return status
    return None


def _body_retry_after(body: Any) -> float | None:
    if not isinstance(body, dict):
        return None
    value: Any = body.get("retry_after")
    if value is None and isinstance(body.get("error"), dict):
        value = body["error"].get("retry_after")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds < math.inf else None


def _header_seconds(value: str, divisor: float = 1.0) -> float | None:
    """A header's number of seconds, at least 0; ``None`` for NaN or infinity.

    Those would break the sleep before a retry. Raises ``ValueError`` for text that is not
    a number.
    """
    seconds = float(value) / divisor
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def parse_retry_after(
    headers: Mapping[str, str], body: Any = None, now: float | None = None
) -> float | None:
    """Return how long the server asked to wait, in seconds, or ``None``.

    Looks at the body's ``retry_after`` (seconds, ModelsLab's documented field), then
    ``retry-after-ms``, then ``Retry-After`` (seconds or an HTTP date), then
    ``X-RateLimit-Reset``. The retry policy caps any of them (60 s).
    """
    seconds = _body_retry_after(body)
    if seconds is not None:
        return seconds
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            seconds = _header_seconds(millis, 1000.0)
        except ValueError:
            seconds = None
        if seconds is not None:
            return seconds
    current = time.time() if now is None else now
    value = headers.get("retry-after")
    if not value:
        return _rate_limit_reset(headers.get("x-ratelimit-reset"), current)
    try:
        return _header_seconds(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(when.timestamp() - current, 0.0)


def _rate_limit_reset(value: str | None, now: float) -> float | None:
    """Seconds until ``X-RateLimit-Reset``, the last resort (``docs/modelslab-api.md`` §10.14).

    Servers send it as seconds to wait, or as the epoch time of the reset in seconds or in
    milliseconds; the size of the number tells which.
    """
    try:
        number = float(value) if value else math.nan
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    if number >= 1e12:  # epoch milliseconds
        return max(number / 1000.0 - now, 0.0)
    if number >= 1e9:  # epoch seconds
        return max(number - now, 0.0)
    return number


def _class_for(status: int, message: str) -> type[APIStatusError]:
    if status in (200, 400, 413, 422) and is_context_overflow(message):
        return ContextWindowExceededError
    if status >= 500:
        return InternalServerError
    return _CLASS_BY_STATUS.get(status, APIStatusError)


def _text_message(body: Any, status: int) -> str:
    if isinstance(body, str) and body.strip():
        text = " ".join(body.split())
        return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "..."
    return f"HTTP {status} with no error message."


def error_from_response(
    status_code: int,
    headers: Mapping[str, str],
    body: Any,
    *,
    secret: str | None = None,
    now: float | None = None,
) -> APIError:
    """Map a response that is an error into the matching exception (pure).

    Args:
        status_code: The HTTP status (a 2xx means the body is an error reported in a 200).
        headers: Response headers (case-insensitive mapping expected, e.g. ``httpx.Headers``).
        body: The parsed JSON body, the body text when it is not JSON, or ``None``.
        secret: The API key, redacted from message and body if the server echoes it.
        now: Current epoch seconds, for ``Retry-After`` HTTP dates (tests inject it).

    Returns:
        An :class:`APIStatusError` subclass; for a 2xx body with
        ``{"status": "processing"}`` a plain :class:`APIError` (async jobs are not supported);
        for a 2xx body with no error shape a :class:`MalformedResponseError`.
    """
    body = redact(body, secret)
    headers = redact_headers(headers, secret)
    request_id = request_id_from(headers)
    message, err_type, code = error_fields(body)
    status = status_code
    if 200 <= status_code < 300:
        if message is None or body.get("status") == "processing":
            return _unusable_ok_body(body, request_id)
        status = infer_status(body, err_type, code, message) or status_code
    if not message or message.isspace():  # an error shape with an empty message says nothing
        message = _text_message(body, status_code)
    cls = _class_for(status, message)
    kwargs: dict[str, Any] = {
        "status_code": status,
        "body": body,
        "request_id": request_id,
        "http_status": status_code,
        "headers": headers,
    }
    if cls is RateLimitError:
        kwargs["retry_after"] = parse_retry_after(headers, body, now)
    # A message made up here already names the status: say it once.
    said = message.startswith(f"HTTP {status_code} ")
    return cls(message if said else f"{message} (HTTP {status_code})", **kwargs)


def _unusable_ok_body(body: Any, request_id: str | None) -> APIError:
    """A 2xx body that is neither an answer nor an error report."""
    if isinstance(body, dict) and body.get("status") == "processing":
        return APIError(
            "ModelsLab answered with status 'processing' (an asynchronous job); "
            "asynchronous LLM jobs are not supported by this client.",
            body=body,
            request_id=request_id,
        )
    return MalformedResponseError(
        f"Unrecognised response body: {_text_message(_as_text(body), 200)}",
        body=body,
        request_id=request_id,
    )
