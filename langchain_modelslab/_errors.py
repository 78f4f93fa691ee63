"""Transport errors re-raised as classes that are also LangChain's provider-neutral errors.

Each class below inherits from the transport's exception *and* the matching
``langchain_core.exceptions`` class, so ``except RateLimitError`` (ours) and
``except ModelRateLimitError`` (LangChain's; what agent retry and summarization middleware
catch) both work. :func:`translate` / :func:`translated` are the one place this happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

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
    EmptyResponseError,
    InsufficientCreditsError,
    InternalServerError,
    MalformedResponseError,
    ModelsLabError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    RequestTooLargeError,
    ServerStreamError,
    StreamError,
    StreamInterruptedError,
    StreamTruncatedError,
    UnprocessableEntityError,
)
from modelslab_transport import UnsupportedContentError as _Unsupported

__all__ = ["ACCOUNT_ERRORS", "UnsupportedContentError", "translate", "translated"]


class ModelsLabConfigurationError(ConfigurationError, ModelError):
    """Missing key or bad settings (nothing was sent)."""


class ModelsLabAPIError(APIError, ModelAPIError):
    """An API failure with no more specific class."""


class ModelsLabStatusError(APIStatusError, ModelAPIError):
    """An error status with no more specific class."""


class ModelsLabBadRequestError(BadRequestError, ModelInvalidRequestError):
    """400."""


class ModelsLabContextOverflowError(ContextWindowExceededError, ContextOverflowError):
    """The prompt does not fit the model's context window."""


class ModelsLabAuthenticationError(AuthenticationError, ModelAuthenticationError):
    """401."""


class ModelsLabInsufficientCreditsError(InsufficientCreditsError, ModelPermissionDeniedError):
    """402: no credits left, so the account may not make the call."""


class ModelsLabPermissionDeniedError(PermissionDeniedError, ModelPermissionDeniedError):
    """403."""


class ModelsLabNotFoundError(NotFoundError, ModelNotFoundError):
    """404."""


class ModelsLabRequestTimeoutError(RequestTimeoutError, ModelTimeoutError):
    """408: the server timed out waiting for the request."""


class ModelsLabConflictError(ConflictError, ModelAPIError):
    """409: transient, worth retrying."""


class ModelsLabRequestTooLargeError(RequestTooLargeError, ModelInvalidRequestError):
    """413."""


class ModelsLabUnprocessableEntityError(UnprocessableEntityError, ModelInvalidRequestError):
    """422."""


class ModelsLabRateLimitError(RateLimitError, ModelRateLimitError):
    """429."""


class ModelsLabInternalServerError(InternalServerError, ModelAPIError):
    """5xx."""


class ModelsLabConnectionError(APIConnectionError, ModelConnectionError):
    """The API could not be reached."""


class ModelsLabTimeoutError(APITimeoutError, ModelTimeoutError):
    """A timeout expired."""


class ModelsLabStreamError(StreamError, ModelAPIError):
    """The answer could not be used."""


class ModelsLabStreamTruncatedError(StreamTruncatedError, ModelAPIError):
    """The stream ended early."""


class ModelsLabStreamInterruptedError(StreamInterruptedError, ModelConnectionError):
    """The connection broke mid-stream (LangChain sees a connection error, as before)."""


class ModelsLabMalformedResponseError(MalformedResponseError, ModelAPIError):
    """The body had no recognisable shape."""


class ModelsLabEmptyResponseError(EmptyResponseError, ModelAPIError):
    """An answer with nothing in it; see the transport's ``EmptyResponseError``."""


class ModelsLabServerStreamError(ServerStreamError, ModelAPIError):
    """The server reported an error mid-stream."""


class UnsupportedContentError(_Unsupported, ModelInvalidRequestError):
    """Input the model or the API cannot take (an image for a text-only model, a PDF block).

    Raised before anything is sent. The transport's ``UnsupportedContentError`` (a
    ``ConfigurationError``: ``except ModelsLabError`` and ``except ValueError`` catch it) and
    LangChain's ``ModelInvalidRequestError``.
    """


_DUAL: dict[type[ModelsLabError], type[ModelsLabError]] = {
    ConfigurationError: ModelsLabConfigurationError,
    _Unsupported: UnsupportedContentError,
    APIError: ModelsLabAPIError,
    APIStatusError: ModelsLabStatusError,
    BadRequestError: ModelsLabBadRequestError,
    ContextWindowExceededError: ModelsLabContextOverflowError,
    AuthenticationError: ModelsLabAuthenticationError,
    InsufficientCreditsError: ModelsLabInsufficientCreditsError,
    PermissionDeniedError: ModelsLabPermissionDeniedError,
    NotFoundError: ModelsLabNotFoundError,
    RequestTimeoutError: ModelsLabRequestTimeoutError,
    ConflictError: ModelsLabConflictError,
    RequestTooLargeError: ModelsLabRequestTooLargeError,
    UnprocessableEntityError: ModelsLabUnprocessableEntityError,
    RateLimitError: ModelsLabRateLimitError,
    InternalServerError: ModelsLabInternalServerError,
    APIConnectionError: ModelsLabConnectionError,
    APITimeoutError: ModelsLabTimeoutError,
    StreamError: ModelsLabStreamError,
    StreamTruncatedError: ModelsLabStreamTruncatedError,
    StreamInterruptedError: ModelsLabStreamInterruptedError,
    MalformedResponseError: ModelsLabMalformedResponseError,
    EmptyResponseError: ModelsLabEmptyResponseError,
    ServerStreamError: ModelsLabServerStreamError,
}
_DUAL_CLASSES = frozenset(_DUAL.values())

# The key is refused, out of credit or not allowed: errors a local fallback (such as the token
# estimate) must not hide, because the user has to fix the account before anything works.
ACCOUNT_ERRORS = (AuthenticationError, InsufficientCreditsError, PermissionDeniedError)


def translate(exc: ModelsLabError) -> ModelsLabError:
    """Return ``exc`` as its dual class (same message and attributes), or as is if it has one.

    The most specific mapped class in the exception's MRO wins, so a subclass the transport
    adds later still maps to its parent's dual class. An exception that is already a
    LangChain ``ModelError`` is returned unchanged.
    """
    if type(exc) in _DUAL_CLASSES or isinstance(exc, ModelError):
        return exc  # already LangChain's too (e.g. UnsupportedContentError): keep its class
    target = next((_DUAL[c] for c in type(exc).__mro__ if c in _DUAL), None)
    if target is None:
        return exc
    dual = target.__new__(target)
    dual.args = exc.args
    dual.__dict__.update(exc.__dict__)
    # LangChain's retry middleware reads is_retryable; follow the transport's own policy.
    dual.is_retryable = exc.retryable  # type: ignore[attr-defined]
    dual.__traceback__ = exc.__traceback__
    dual.__cause__ = exc.__cause__
    dual.__suppress_context__ = exc.__suppress_context__
    return dual


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise any transport error inside the block as its dual class."""
    try:
        yield
    except ModelsLabError as exc:
        raise translate(exc) from exc.__cause__
