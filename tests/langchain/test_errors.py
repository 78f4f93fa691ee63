"""Every transport error surfaces as a class that is also LangChain's matching error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
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
from langchain_core.messages import HumanMessage
from lc_helpers import Scripted

import modelslab_transport as mt
from langchain_modelslab import ChatModelsLab, UnsupportedContentError
from langchain_modelslab._errors import translate, translated

SECRET = "sk-scripted-secret"


def _status(cls: type[mt.APIStatusError], code: int) -> mt.APIStatusError:
    return cls(f"boom {code}", status_code=code, body={"error": "x"}, request_id="req-1")


# (transport error instance, LangChain class it must also be)
PURE_TABLE: list[tuple[str, mt.ModelsLabError, type[ModelError]]] = [
    ("configuration", mt.ConfigurationError("no key"), ModelError),
    ("api", mt.APIError("odd", body={"status": "processing"}), ModelAPIError),
    ("status", _status(mt.APIStatusError, 418), ModelAPIError),
    ("400", _status(mt.BadRequestError, 400), ModelInvalidRequestError),
    ("context", _status(mt.ContextWindowExceededError, 400), ContextOverflowError),
    ("401", _status(mt.AuthenticationError, 401), ModelAuthenticationError),
    ("402", _status(mt.InsufficientCreditsError, 402), ModelPermissionDeniedError),
    ("403", _status(mt.PermissionDeniedError, 403), ModelPermissionDeniedError),
    ("404", _status(mt.NotFoundError, 404), ModelNotFoundError),
    ("409", _status(mt.ConflictError, 409), ModelAPIError),
    ("413", _status(mt.RequestTooLargeError, 413), ModelInvalidRequestError),
    ("422", _status(mt.UnprocessableEntityError, 422), ModelInvalidRequestError),
    ("429", mt.RateLimitError("slow down", retry_after=3.0, status_code=429), ModelRateLimitError),
    ("500", _status(mt.InternalServerError, 503), ModelAPIError),
    ("connection", mt.APIConnectionError("refused"), ModelConnectionError),
    ("timeout", mt.APITimeoutError("timed out"), ModelTimeoutError),
    ("stream", mt.StreamError("bad"), ModelAPIError),
    ("truncated", mt.StreamTruncatedError("cut"), ModelAPIError),
    ("malformed", mt.MalformedResponseError("not json"), ModelAPIError),
    ("server stream", mt.ServerStreamError("upstream", status_code=502), ModelAPIError),
]


@pytest.mark.parametrize(
    ("error", "core"), [c[1:] for c in PURE_TABLE], ids=[c[0] for c in PURE_TABLE]
)
def test_translate_keeps_everything_and_adds_the_core_class(
    error: mt.ModelsLabError, core: type[ModelError]
) -> None:
    dual = translate(error)
    assert isinstance(dual, type(error))
    assert isinstance(dual, core)
    assert type(dual) is not type(error)
    assert str(dual) == str(error)
    assert vars(dual) == {**vars(error), "is_retryable": error.retryable}
    assert dual.is_retryable is error.retryable  # type: ignore[attr-defined]
    assert translate(dual) is dual


def test_rate_limit_attributes_survive() -> None:
    dual = translate(mt.RateLimitError("slow", retry_after=3.0, status_code=429, request_id="r"))
    assert isinstance(dual, mt.RateLimitError)
    assert (dual.retry_after, dual.status_code, dual.request_id) == (3.0, 429, "r")
    assert dual.is_retryable is True  # type: ignore[attr-defined]


def test_a_new_transport_subclass_maps_through_its_parent() -> None:
    class TeapotError(mt.BadRequestError):
        pass

    dual = translate(TeapotError("tea", status_code=400))
    assert isinstance(dual, ModelInvalidRequestError)
    assert isinstance(dual, mt.BadRequestError)


def test_translated_reraises_with_the_original_cause() -> None:
    root = OSError("socket")
    with pytest.raises(ModelConnectionError) as info, translated():
        raise mt.APIConnectionError("refused") from root
    assert info.value.__cause__ is root
    with pytest.raises(KeyError), translated():
        raise KeyError("not ours")


# (fault spec, transport class, LangChain class) as served by the local server
FAULTS: list[tuple[str, type[Exception], type[ModelError]]] = [
    ("400", mt.BadRequestError, ModelInvalidRequestError),
    ("401", mt.AuthenticationError, ModelAuthenticationError),
    ("402", mt.InsufficientCreditsError, ModelPermissionDeniedError),
    ("403", mt.PermissionDeniedError, ModelPermissionDeniedError),
    ("404", mt.NotFoundError, ModelNotFoundError),
    ("409", mt.ConflictError, ModelAPIError),
    ("413", mt.RequestTooLargeError, ModelInvalidRequestError),
    ("422", mt.UnprocessableEntityError, ModelInvalidRequestError),
    ("429", mt.RateLimitError, ModelRateLimitError),
    ("500", mt.InternalServerError, ModelAPIError),
    ("503", mt.InternalServerError, ModelAPIError),
    ("context-length", mt.ContextWindowExceededError, ContextOverflowError),
    ("200-error", mt.APIStatusError, ModelAPIError),
    ("processing", mt.APIError, ModelAPIError),
    ("malformed-json", mt.MalformedResponseError, ModelAPIError),
    ("wrong-content-type", mt.MalformedResponseError, ModelAPIError),
    ("reset", mt.APIConnectionError, ModelConnectionError),
]
# Faults that only a streamed answer can show.
STREAM_FAULTS: list[tuple[str, type[Exception], type[ModelError]]] = [
    ("stream-truncated", mt.StreamTruncatedError, ModelAPIError),
    ("stream-malformed", mt.MalformedResponseError, ModelAPIError),
    ("stream-error", mt.ServerStreamError, ModelAPIError),
    ("stream-drop", mt.APIConnectionError, ModelConnectionError),
]
MODES = ["invoke", "ainvoke", "stream", "astream"]


async def _call(model: ChatModelsLab, mode: str, prompt: Any = "hi") -> None:
    if mode == "invoke":
        model.invoke(prompt)
    elif mode == "ainvoke":
        await model.ainvoke(prompt)
    elif mode == "stream":
        list(model.stream(prompt))
    else:
        _ = [c async for c in model.astream(prompt)]


# Every fault in every call mode; the faults inside an event stream in the streaming modes.
ERROR_CASES = [
    pytest.param(mode, *fault, id=f"{fault[0]}-{mode}")
    for faults, modes in ((FAULTS, MODES), (STREAM_FAULTS, ["stream", "astream"]))
    for fault in faults
    for mode in modes
]


@pytest.mark.parametrize(("mode", "spec", "ours", "core"), ERROR_CASES)
async def test_server_errors_map(
    make_model: Callable[..., ChatModelsLab],
    server: Any,
    mode: str,
    spec: str,
    ours: type[Exception],
    core: type[ModelError],
) -> None:
    model = make_model(base_url=server.fault_base_url(spec))
    with pytest.raises(ours) as info:
        await _call(model, mode)
    assert isinstance(info.value, core)
    assert server.api_key not in str(info.value)
    await model.aclose()


@pytest.mark.parametrize("mode", MODES)
async def test_timeouts_map(
    make_model: Callable[..., ChatModelsLab], server: Any, mode: str
) -> None:
    model = make_model(base_url=server.fault_base_url("stall:0.5"), timeout=0.1)
    with pytest.raises(mt.APITimeoutError) as info:
        await _call(model, mode)
    assert isinstance(info.value, ModelTimeoutError)
    assert info.value.is_retryable  # type: ignore[attr-defined]
    await model.aclose()


@pytest.mark.parametrize("mode", MODES)
async def test_missing_key(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.delenv("MODELSLAB_API_KEY", raising=False)
    fake = Scripted([httpx.Response(500)])
    with pytest.raises(mt.ConfigurationError, match="MODELSLAB_API_KEY") as info:
        await _call(fake.model(api_key=None), mode)
    assert isinstance(info.value, ModelError)
    assert fake.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_unsupported_content_is_caught_as_a_modelslab_error(mode: str) -> None:
    fake = Scripted([httpx.Response(500)])
    pdf = HumanMessage([{"type": "file", "base64": "JVBERi0", "mime_type": "application/pdf"}])
    with pytest.raises(mt.ModelsLabError) as info:
        await _call(fake.model(), mode, [pdf])
    assert type(info.value) is UnsupportedContentError  # not flattened by translate()
    assert isinstance(info.value, mt.ConfigurationError)
    assert isinstance(info.value, ModelInvalidRequestError)
    assert "messages[0]" in str(info.value)
    assert "application/pdf" in str(info.value)
    assert fake.requests == []


def test_translate_keeps_an_error_that_is_already_langchains() -> None:
    error = UnsupportedContentError("messages[0]: no PDFs")
    assert translate(error) is error
    with pytest.raises(UnsupportedContentError), translated():
        raise error


@pytest.mark.parametrize("mode", MODES)
async def test_key_echoed_by_the_server_is_redacted(mode: str) -> None:
    echo = {"error": {"message": f"Key {SECRET} is not valid", "type": "authentication_error"}}
    fake = Scripted([httpx.Response(401, json=echo)])
    with pytest.raises(ModelAuthenticationError) as info:
        await _call(fake.model(), mode)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)
    assert SECRET not in repr(getattr(info.value, "body", None))


def test_retries_follow_the_transport_policy(
    make_model: Callable[..., ChatModelsLab], server: Any
) -> None:
    # Two failures, then success: max_retries=2 absorbs them (Retry-After: 0 keeps it quick).
    model = make_model(base_url=server.fault_base_url("429-header:0*2@lc-retry"), max_retries=2)
    assert model.invoke("hi").text
