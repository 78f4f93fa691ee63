"""The calls a client sends, built from its settings. Pure: no I/O, no client state.

``BaseClient`` passes its :class:`ClientConfig` (and, for a stream, whether the server refused
``stream_options``); the request rules are checked here, before anything is sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from . import _anthropic, _anthropic_request, _openai, _openai_request
from ._bodies import is_count, is_model_list, parse_models
from ._call import Call, compose
from ._chat_request import check_streamable
from ._config import ClientConfig
from ._constants import CHAT_COMPLETIONS_PATH, COUNT_TOKENS_PATH, MESSAGES_PATH, MODELS_PATH
from ._errors import ConfigurationError
from ._reasoning import check_reasoning_values
from ._stream import deltas_from_completion
from ._types import JSON, ApiFormat, ChatRequest
from ._validate import check_deadline, check_request_shape, check_sampling, shown

__all__ = ["call_deadline", "chat_call", "count_call", "messages_call", "models_call"]


def chat_call(
    config: ClientConfig,
    request: ChatRequest,
    api_format: ApiFormat,
    stream: bool,
    timeout: float | None,
    deadline: float | None,
    *,
    stream_options_refused: bool = False,
) -> Call:
    """A chat call in ``api_format`` (a stream when ``stream``), its request rules checked.

    ``stream_options_refused``: the server refused ``stream_options`` before, so a stream
    goes without them.
    """
    accepts: Callable[[Any], bool]
    parse: Callable[[Any], Any]
    _check_request(request)
    if stream:
        check_streamable(request)
    if api_format == "openai":
        body = _openai_request.build_body(request, stream=stream)
        path, accepts, parse = (
            CHAT_COMPLETIONS_PATH,
            _openai.is_completion,
            _openai.parse_completion,
        )
    elif api_format == "anthropic":
        body = _anthropic_request.build_body(request, stream=stream)
        path = MESSAGES_PATH
        accepts, parse = _anthropic.is_message, _anthropic.parse_message
    else:
        raise ConfigurationError(
            f"api_format must be 'openai' or 'anthropic', got {shown(api_format)}."
        )
    if stream and stream_options_refused:
        body.pop("stream_options", None)
    call = _answer_call(config, path, body, stream, api_format, timeout, accepts, parse)
    return _with_deadline(config, call, timeout, deadline)


def messages_call(
    config: ClientConfig,
    body: JSON,
    stream: bool,
    timeout: float | None,
    deadline: float | None = None,
) -> Call:
    """A call with a Messages body written in Anthropic's shape (sent nearly as is)."""
    check_sampling(body)
    native = _anthropic_request.native_body(body, stream=stream)
    call = _answer_call(
        config,
        MESSAGES_PATH,
        native,
        stream,
        "anthropic",
        timeout,
        _anthropic.is_message,
        _anthropic.parse_message,
    )
    return _with_deadline(config, call, timeout, deadline)


def count_call(config: ClientConfig, request: ChatRequest) -> Call:
    """A call counting the input tokens of ``request`` (the Messages endpoint's count)."""
    _check_request(request)
    body = _anthropic_request.build_count_body(request)
    call = Call(
        "POST",
        COUNT_TOKENS_PATH,
        body,
        False,
        "anthropic",
        config.timeout,
        is_count,
        lambda b: b["input_tokens"],
    )
    return _with_deadline(config, call, None, None)  # the client's deadline bounds it too


def models_call(
    config: ClientConfig, path: str = MODELS_PATH, deadline: float | None = None
) -> Call:
    """``GET`` the model list at ``path`` within ``deadline`` (default: the client's)."""
    return Call(
        "GET",
        path,
        None,
        False,
        "openai",
        config.timeout,
        is_model_list,
        parse_models,
        config.deadline if deadline is None else deadline,
    )


def _check_request(request: ChatRequest) -> None:
    """Check what a request must meet before its body is built.

    Its shape, its sampling fields, and the shape of ``thinking``, which the body builders
    read (each raises ``ConfigurationError``).
    """
    check_request_shape(request)
    check_sampling(request)
    check_reasoning_values(None, request.get("thinking"))


def call_deadline(
    config: ClientConfig, timeout: float | None, deadline: float | None
) -> float | None:
    """The overall deadline of a call given its per-call options (``None``: unbounded).

    The one given for this call, else a timeout given for this call (a caller asking one
    call for 2 s means the whole call), else the client's ``deadline`` setting.

    Raises:
        ConfigurationError: ``deadline`` or ``timeout`` is not a number above zero.
    """
    chosen = check_deadline(deadline)
    if chosen is None and timeout is not None:
        chosen = check_deadline(timeout)
    return config.deadline if chosen is None else chosen


def _with_deadline(
    config: ClientConfig, call: Call, timeout: float | None, deadline: float | None
) -> Call:
    """``call`` with its overall deadline (see :func:`call_deadline`)."""
    chosen = call_deadline(config, timeout, deadline)
    return call if chosen is None else dataclasses.replace(call, deadline=chosen)


def _answer_call(
    config: ClientConfig,
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
        parse = compose(deltas_from_completion, parse)
    return Call(
        "POST",
        path,
        body,
        stream,
        api_format,
        config.call_timeout(timeout),
        accepts,
        parse,
    )
