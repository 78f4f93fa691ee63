"""The transport's exceptions, and the one function that turns a bad answer into one of them.

Exception tree::

    ModelsLabError
    ├── ConfigurationError            bad arguments, missing key, insecure base URL
    │   └── UnsupportedContentError   input the model or the API cannot take (``_chat_request``)
    └── APIError                      anything that went wrong talking to the API
        ├── APIStatusError            the server answered with an error (``status_code``)
        │   ├── BadRequestError                 400
        │   │   └── ContextWindowExceededError  the prompt does not fit the model
        │   ├── AuthenticationError             401
        │   ├── InsufficientCreditsError        402
        │   ├── PermissionDeniedError           403
        │   ├── NotFoundError                   404
        │   ├── RequestTimeoutError             408
        │   ├── ConflictError                   409
        │   ├── RequestTooLargeError            413
        │   ├── UnprocessableEntityError        422
        │   ├── RateLimitError                  429 (``retry_after``)
        │   └── InternalServerError             >= 500
        ├── APIConnectionError        no answer: DNS, refused, reset, TLS ...
        │   └── APITimeoutError       connect / read / write / pool timeout
        └── StreamError               the answer itself is unusable
            ├── StreamTruncatedError  the event stream ended before the answer did
            │   └── StreamInterruptedError  the connection broke mid-stream (also an
            │                               APIConnectionError, so older handlers still see it)
            ├── MalformedResponseError  not JSON, not SSE, or an unrecognisable shape
            │   └── EmptyResponseError  an answer with nothing in it
            └── ServerStreamError     the server sent an error event mid-stream

ModelsLab reports errors in several shapes and sometimes inside an HTTP 200; ``_error_map``
turns a response into one of these. Every message carries the server's own words with the API key
redacted (see :func:`redact`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._constants import is_retryable_status

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "ContextWindowExceededError",
    "EmptyResponseError",
    "InsufficientCreditsError",
    "InternalServerError",
    "MalformedResponseError",
    "ModelsLabError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "RequestTooLargeError",
    "ServerStreamError",
    "StreamError",
    "StreamInterruptedError",
    "StreamTruncatedError",
    "UnprocessableEntityError",
    "redact",
    "redact_headers",
    "scrub",
]


class ModelsLabError(Exception):
    """Base class of every exception raised by this package."""

    @property
    def retryable(self) -> bool:
        """Whether repeating the same request may succeed."""
        return False


class ConfigurationError(ModelsLabError, ValueError):
    """The client or the request is misconfigured (nothing was sent)."""


class APIError(ModelsLabError):
    """Something went wrong talking to the API.

    Attributes:
        message: Human-readable description (the server's words where there are any).
        body: The parsed error body (or its text), API key redacted; ``None`` when absent.
        request_id: The server's request id (``x-request-id``, ``request-id`` or ``cf-ray``).
    """

    def __init__(self, message: str, *, body: Any = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.body = body
        self.request_id = request_id


class APIStatusError(APIError):
    """The server answered with an error.

    Attributes:
        status_code: The error's status: the HTTP status, or for an error reported inside an
            HTTP 200 body the status its ``code`` or wording implies (200 when nothing does).
        http_status: The HTTP status line's code as received.
        headers: The response headers.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: Any = None,
        request_id: str | None = None,
        http_status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, body=body, request_id=request_id)
        self.status_code = status_code
        self.http_status = status_code if http_status is None else http_status
        self.headers: Mapping[str, str] = headers if headers is not None else {}

    @property
    def retryable(self) -> bool:
        """408, 409, 429 and 5xx are worth repeating."""
        return is_retryable_status(self.status_code)


class BadRequestError(APIStatusError):
    """400: the request is invalid."""


class ContextWindowExceededError(BadRequestError):
    """The prompt plus ``max_tokens`` does not fit the model's context window."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or invalid."""


class InsufficientCreditsError(APIStatusError):
    """402: the account has no credits left."""


class PermissionDeniedError(APIStatusError):
    """403: the plan does not allow this model or feature."""


class NotFoundError(APIStatusError):
    """404: unknown route or model."""


class RequestTimeoutError(APIStatusError):
    """408: the server gave up waiting for the request; transient, retried."""


class ConflictError(APIStatusError):
    """409: conflicting concurrent request."""


class RequestTooLargeError(APIStatusError):
    """413: the request body is too large."""


class UnprocessableEntityError(APIStatusError):
    """422: the request is well-formed but was rejected."""


class RateLimitError(APIStatusError):
    """429: too many queued requests.

    Attributes:
        retry_after: Seconds the server asked to wait, when it said so.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: the server or its upstream failed."""


class APIConnectionError(APIError):
    """No usable answer arrived: the connection failed or broke.

    Attributes:
        before_response: True when the failure happened before any response arrived, so the
            server most likely did not process the request (the transport retries only these).
    """

    def __init__(
        self,
        message: str = "Connection error.",
        *,
        before_response: bool = True,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.before_response = before_response

    @property
    def retryable(self) -> bool:
        """Connection failures are transient."""
        return True


class APITimeoutError(APIConnectionError):
    """The connect, read (also between stream events), write or pool timeout expired."""


class StreamError(APIError):
    """The answer (streamed or not) could not be used."""


class StreamTruncatedError(StreamError):
    """The event stream ended before the answer was complete."""

    @property
    def retryable(self) -> bool:
        """A dropped stream is transient; repeating the whole request may succeed."""
        return True


class StreamInterruptedError(StreamTruncatedError, APIConnectionError):
    """The connection broke while the event stream was being read: part of an answer came.

    A :class:`StreamTruncatedError` (the answer is incomplete) that is also an
    :class:`APIConnectionError`, so ``except APIConnectionError`` written for it before it
    had its own class still catches it. ``before_response`` is always False: the server
    may have done (and billed) the work, so the transport does not repeat the request.
    """

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        APIConnectionError.__init__(self, message, before_response=False, request_id=request_id)


class MalformedResponseError(StreamError):
    """The body is not JSON / SSE, or has a shape no ModelsLab answer has."""


class EmptyResponseError(MalformedResponseError):
    """A successful-looking answer with nothing in it; the message names what was missing.

    No choice, no message, no content and no stop reason, or a stream with no answer event
    before its end marker. A real empty text with a real finish reason is not this.
    """


class ServerStreamError(StreamError):
    """The server reported an error inside the event stream.

    Attributes:
        status_code: The status the error payload names (``code``/``type``), if any.
    """

    def __init__(self, message: str, *, status_code: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code

    @property
    def retryable(self) -> bool:
        """Rate limits and server failures reported mid-stream are transient."""
        return is_retryable_status(self.status_code or 0)


# ----------------------------------------------------------------------------- redaction


def redact(value: Any, secret: str | None) -> Any:
    """Return ``value`` with every occurrence of ``secret`` replaced by ``"***"``.

    Walks strings, dicts and lists, so a body that echoes the key is safe to keep.
    """
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, "***") if secret in value else value
    if isinstance(value, dict):
        return {k: redact(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, secret) for v in value]
    return value


def redact_headers(headers: Mapping[str, str], secret: str | None) -> Mapping[str, str]:
    """``headers``, or a plain copy with ``secret`` redacted if any value echoes it."""
    if not secret or not any(secret in value for value in headers.values()):
        return headers
    return {name: redact(value, secret) for name, value in headers.items()}


def scrub(error: APIError, secret: str | None) -> APIError:
    """Redact ``secret`` from an already-built error, in place: everything it shows.

    Message, ``args``, body, request id and (for status errors) the response headers; a
    server that echoes the key back must not put it into the caller's logs.
    """
    if secret:
        error.message = redact(error.message, secret)
        error.body = redact(error.body, secret)
        error.args = tuple(redact(a, secret) for a in error.args)
        if error.request_id is not None:
            error.request_id = redact(error.request_id, secret)
        if isinstance(error, APIStatusError):
            error.headers = redact_headers(error.headers, secret)
    return error
