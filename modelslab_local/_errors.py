"""Error responses in the shapes ModelsLab documents (``docs/modelslab-api.md`` §8.1).

* ``openai``: ``{"error": {"message", "type", "code"}}`` (v7 OpenAPI, Chat Completions).
* ``anthropic``: ``{"type": "error", "error": {"type", "message"}}`` (Messages).
* ``modelslab``: ``{"status": "error", "message": ...}`` (site-wide error pages; 402/429).
* ``string``: ``{"error": "<message>"}``.
"""

from __future__ import annotations

from typing import Any, Literal

Shape = Literal["native", "openai", "anthropic", "modelslab", "string"]
Format = Literal["openai", "anthropic"]

_TYPES = {
    400: ("invalid_request_error", "invalid_request_error"),
    401: ("authentication_error", "authentication_error"),
    402: ("insufficient_credits", "billing_error"),
    403: ("permission_error", "permission_error"),
    404: ("not_found_error", "not_found_error"),
    409: ("conflict_error", "invalid_request_error"),
    413: ("request_too_large", "request_too_large"),
    422: ("validation_error", "invalid_request_error"),
    429: ("rate_limit_error", "rate_limit_error"),
    500: ("server_error", "api_error"),
    502: ("bad_gateway", "api_error"),
    503: ("service_unavailable", "overloaded_error"),
    504: ("gateway_timeout", "api_error"),
}


class ApiError(Exception):
    """An error the server answers with.

    Args:
        status: HTTP status code.
        message: The human-readable message (what ModelsLab would say).
        code: A machine-readable code for the OpenAI shape.
        shape: Body shape; ``native`` picks the endpoint's own format.
        headers: Extra response headers (``Retry-After``).
        extra: Extra top-level body fields (``retry_after``).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        shape: Shape = "native",
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.shape: Shape = shape
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self, fmt: Format) -> dict[str, Any]:
        """The JSON body for an endpoint of format ``fmt``."""
        shape = fmt if self.shape == "native" else self.shape
        openai_type, anthropic_type = _TYPES.get(self.status, ("api_error", "api_error"))
        if shape == "modelslab":
            body: dict[str, Any] = {"status": "error", "message": self.message}
        elif shape == "string":
            body = {"error": self.message}
        elif shape == "anthropic":
            body = {"type": "error", "error": {"type": anthropic_type, "message": self.message}}
        else:
            code = self.code or openai_type
            body = {"error": {"message": self.message, "type": openai_type, "code": code}}
        return {**body, **self.extra}


def bad_request(message: str, code: str = "invalid_request") -> ApiError:
    """A 400 with the server's message."""
    return ApiError(400, message, code=code)


def unprocessable(message: str) -> ApiError:
    """A 422 validation error."""
    return ApiError(422, message, code="validation_error")
