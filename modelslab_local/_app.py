"""The ASGI application: routes, auth, fault selection, validation and rendering."""

from __future__ import annotations

import hmac
import json
import os
import re
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from modelslab_transport import get_model_info, list_catalog

from . import _anthropic_out, _faults, _openai_out, _tokens
from ._anthropic_in import parse_messages
from ._assets import get_asset
from ._deterministic import DeterministicEngine
from ._engine import Engine, EngineAnswer, EngineRequest, finalize
from ._errors import ApiError, Format
from ._fault_responses import early_fault, oversized, stream_error
from ._images import resolve_image
from ._requests import API_PREFIX, ParsedRequest, check_json, parse_chat
from ._script import Reply, ScriptedEngine
from ._sse import ABORT_KEY, Pause, PlannedResponse, dumps, error_response, json_response

DEFAULT_API_KEY = "modelslab-local"
API_KEY_ENV = "MODELSLAB_LOCAL_API_KEY"
_CREATED = 1_712_345_678  # a fixed timestamp keeps /v1/models byte-stable


def default_api_key() -> str:
    """The accepted key: ``$MODELSLAB_LOCAL_API_KEY`` or ``modelslab-local``."""
    return os.environ.get(API_KEY_ENV) or DEFAULT_API_KEY


class _Settings:
    def __init__(self, api_key: str, engine: Engine, allow_unknown_models: bool) -> None:
        self.api_key = api_key
        self.engine = engine
        self.allow_unknown_models = allow_unknown_models
        self.counter = _faults.FaultCounter()


# --------------------------------------------------------------------------- request checks


# Larger than any request a chat needs (ModelsLab takes images by URL or as base64 of a few
# MiB); without a limit anyone reaching the port, key or not, makes the server hold any size.
MAX_BODY_BYTES = 32 * 1024 * 1024


def _too_large() -> ApiError:
    return ApiError(  # closing the connection stops the rest of the body from being read
        413,
        f"Request body is larger than {MAX_BODY_BYTES} bytes.",
        code="body_too_large",
        headers={"Connection": "close"},
    )


async def _body(request: Request) -> dict[str, Any]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()  # refused before reading a byte of it
    raw = bytearray()
    async for piece in request.stream():  # a chunked body says no size: counted as it comes
        raw += piece
        if len(raw) > MAX_BODY_BYTES:
            raise _too_large()
    try:
        return check_json(json.loads(raw or b"null"))
    except ValueError:
        raise ApiError(400, "Request body is not valid JSON.", code="invalid_json") from None


def _authorize(settings: _Settings, request: Request, body: dict[str, Any] | None) -> None:
    """Bearer token, ``x-api-key``/``key`` header or ``key`` in the body, as ModelsLab allows."""
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
    body_key = body.get("key") if body else None
    offered = [request.headers.get("x-api-key"), request.headers.get("key"), bearer, body_key]
    keys = [k for k in offered if isinstance(k, str) and k]
    if not keys:
        raise ApiError(
            401,
            "Missing API key: send 'Authorization: Bearer <key>', an 'x-api-key' header "
            "or 'key' in the JSON body.",
            code="missing_api_key",
        )
    expected = settings.api_key.encode()
    if not any(hmac.compare_digest(k.encode(), expected) for k in keys):
        raise ApiError(401, "Invalid API key.", code="invalid_api_key")


async def _authorized_body(settings: _Settings, request: Request) -> dict[str, Any]:
    """The JSON body of an authorized request (a keyless request is a 401 even if malformed)."""
    try:
        body = await _body(request)
    except ApiError as error:
        if error.status != 413:  # a body too large to read is refused as such, key or not
            _authorize(settings, request, None)  # as ModelsLab: who you are is checked first
        raise
    _authorize(settings, request, body)
    return body


def _fault(settings: _Settings, request: Request) -> _faults.FaultSpec | None:
    text = request.headers.get(_faults.FAULT_HEADER) or request.scope.get(_faults.SCOPE_KEY)
    if not text:
        return None
    spec = _faults.parse(str(text), request.headers)
    return spec if settings.counter.active(spec) else None


def _scripted_reply(
    settings: _Settings, body: dict[str, Any], *, record: bool = True
) -> Reply | None:
    """The next scripted reply, when the engine is a script (it records ``body`` once)."""
    engine = settings.engine
    return engine.next_reply(body, record=record) if isinstance(engine, ScriptedEngine) else None


def _reply_fault(reply: Reply | None, request: Request) -> _faults.FaultSpec | None:
    return _faults.parse(reply.fault, request.headers) if reply and reply.fault else None


def _check_model(settings: _Settings, parsed: ParsedRequest) -> Any:
    info = get_model_info(parsed.model)
    if not info.known and not settings.allow_unknown_models:
        raise ApiError(404, f"Model not found: {parsed.model}", code="model_not_found")
    limit = info.max_output_tokens
    if parsed.max_tokens is not None and limit and parsed.max_tokens > limit:
        raise ApiError(
            400, f"max_tokens must be at most {limit} for {parsed.model}, got {parsed.max_tokens}."
        )
    if parsed.image_urls and info.vision is False:
        raise ApiError(
            400, f"Model {parsed.model} does not support image input.", code="unsupported_input"
        )
    if parsed.tools and info.tools is False:
        raise ApiError(400, f"Model {parsed.model} does not support tool calling.")
    kind = (parsed.response_format or {}).get("type")
    if kind == "json_schema" and info.json_schema is False:
        raise ApiError(400, f"Model {parsed.model} does not support response_format json_schema.")
    prompt = _tokens.count_messages(parsed.messages, parsed.tools)
    if info.known and info.context_window and prompt > info.context_window:
        raise ApiError(
            400,
            f"This model's maximum context length is {info.context_window} tokens, "
            f"but the request has {prompt} input tokens (context length exceeded).",
            code="context_length_exceeded",
        )
    return info


async def _engine_request(settings: _Settings, parsed: ParsedRequest) -> EngineRequest:
    info = _check_model(settings, parsed)
    images = [await resolve_image(index, url) for index, url in parsed.image_urls]
    default_max = min(1000, info.max_output_tokens or 1000)
    return EngineRequest(
        model=parsed.model,
        messages=parsed.messages,
        tools=parsed.tools,
        tool_choice=parsed.tool_choice,
        parallel_tool_calls=parsed.parallel_tool_calls,
        response_format=parsed.response_format,
        stop=parsed.stop,
        max_tokens=parsed.max_tokens or default_max,
        reasoning=bool(info.reasoning),
        images=images,
        temperature=parsed.temperature,
    )


# --------------------------------------------------------------------------- responses


async def _answers(
    settings: _Settings,
    request: EngineRequest,
    reply: Reply | None,
    body: dict[str, Any],
    n: int,
) -> list[EngineAnswer]:
    """The ``n`` answers to a request: one per choice, each finalized (stop, budget, usage).

    A script gives the next ``n`` replies; an engine is asked once per choice, told which
    one it is (``EngineRequest.choice``) so that it can make them differ.
    """
    answers = []
    for k in range(n):
        scripted = reply if k == 0 else _scripted_reply(settings, body, record=False)
        if scripted is not None:
            answer = scripted.answer()
        else:
            choice = replace(request, choice=k)
            answer = await run_in_threadpool(settings.engine.generate, choice)
        answers.append(finalize(answer, request))
    return answers


def _deliver(
    answers: list[EngineAnswer], parsed: ParsedRequest, spec: _faults.FaultSpec | None
) -> Response:
    """Render the answers in the request's format, shaped by a stream or timing fault."""
    answer = answers[0]
    delay = spec.seconds(1.0) if spec and spec.name == "slow-first-byte" else 0.0
    if parsed.stream:
        if parsed.fmt == "anthropic":
            events = _anthropic_out.stream(answer, parsed.model)
        else:
            events = _openai_out.stream(
                answer,
                parsed.model,
                include_usage=parsed.include_usage,
                top_logprobs=parsed.top_logprobs,
            )
        message = spec.definition.message if spec else ""
        parts = (
            _faults.reshape_stream(events, spec, stream_error(parsed.fmt, message))
            if spec
            else [e.data for e in events]
        )
        return PlannedResponse(200, "text/event-stream; charset=utf-8", parts, delay=delay)
    if parsed.fmt == "anthropic":
        payload = _anthropic_out.message(answer, parsed.model)
    else:
        payload = _openai_out.completion(answer, parsed.model, parsed.top_logprobs, answers[1:])
    body = dumps(payload).encode()
    stall = [Pause(spec.seconds(1.0))] if spec and spec.name == "stall" else []
    return PlannedResponse(200, "application/json", [*stall, body], delay=delay, length=True)


# --------------------------------------------------------------------------- endpoints


def _chat_endpoint(settings: _Settings, fmt: Format) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            body = await _authorized_body(settings, request)
            reply = _scripted_reply(settings, body)
            spec = _fault(settings, request) or _reply_fault(reply, request)
            stream = bool(body.get("stream", body.get("streaming")))
            early = early_fault(spec, fmt, body, stream) if spec else None
            if early is not None:
                return early
            parsed = parse_chat(body) if fmt == "openai" else parse_messages(body)
            engine_request = await _engine_request(settings, parsed)
            answers = await _answers(settings, engine_request, reply, body, parsed.n)
            if spec and spec.name == "oversized":
                answers[0] = oversized(answers[0], spec)
            return _deliver(answers, parsed, spec)
        except ApiError as error:
            return error_response(error, fmt)

    return endpoint


def _count_tokens_endpoint(settings: _Settings) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            body = await _authorized_body(settings, request)
            spec = _fault(settings, request)
            early = early_fault(spec, "anthropic", body, False) if spec else None
            if early is not None:
                return early
            parsed = parse_messages(body, need_max_tokens=False)
            _check_model(settings, parsed)
            return json_response(
                {"input_tokens": _tokens.count_messages(parsed.messages, parsed.tools)}
            )
        except ApiError as error:
            return error_response(error, "anthropic")

    return endpoint


def _models_endpoint(settings: _Settings) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            _authorize(settings, request, None)
            spec = _fault(settings, request)
            early = early_fault(spec, "openai", {}, False) if spec else None
            if early is not None:
                return early
            data = [
                {
                    "id": m.id,
                    "object": "model",
                    "created": _CREATED,
                    "owned_by": m.provider or "modelslab",
                }
                for m in list_catalog()
            ]
            return json_response({"object": "list", "data": data})
        except ApiError as error:
            return error_response(error, "openai")

    return endpoint


async def _asset(request: Request) -> Response:
    asset = get_asset(request.path_params["name"])
    if asset is None:
        return json_response(
            {"error": {"message": "Asset not found.", "type": "not_found_error"}}, 404
        )
    return Response(asset[0], media_type=asset[1], headers={"cache-control": "max-age=3600"})


async def _health(request: Request) -> Response:
    return json_response(
        {"status": "ok", "base_url": f"{str(request.base_url).rstrip('/')}{API_PREFIX}"}
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = (
        "Not found." if status == 404 else "Method not allowed." if status == 405 else "Error."
    )
    return error_response(
        ApiError(status, f"{message} ({request.method} {request.url.path})"), "openai"
    )


class _Outer:
    """Outermost ASGI layer, in front of the router.

    Strips a ``/fault/<spec>`` path prefix, and exposes a way to drop the connection (the
    server's transport) for the ``reset`` faults.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            scope = dict(scope)
            if transport is not None:
                scope[ABORT_KEY] = transport.abort
            match = re.match(r"^/fault/([^/]+)(/.*)$", scope["path"])
            if match:
                scope[_faults.SCOPE_KEY] = unquote(match.group(1))
                scope["path"] = match.group(2)
                scope["raw_path"] = match.group(2).encode()
        await self.app(scope, receive, send)


def create_app(
    api_key: str | None = None,
    engine: Engine | None = None,
    *,
    allow_unknown_models: bool = False,
) -> ASGIApp:
    """Build the ASGI app.

    Args:
        api_key: The accepted key; defaults to :func:`default_api_key`.
        engine: The model behind the API; defaults to the deterministic engine.
        allow_unknown_models: Serve ids the catalog does not list instead of answering 404.
    """
    settings = _Settings(
        api_key or default_api_key(), engine or DeterministicEngine(), allow_unknown_models
    )
    routes = [
        Route(
            f"{API_PREFIX}/chat/completions", _chat_endpoint(settings, "openai"), methods=["POST"]
        ),
        Route(f"{API_PREFIX}/v1/messages", _chat_endpoint(settings, "anthropic"), methods=["POST"]),
        Route(
            f"{API_PREFIX}/v1/messages/count_tokens",
            _count_tokens_endpoint(settings),
            methods=["POST"],
        ),
        Route(f"{API_PREFIX}/v1/models", _models_endpoint(settings), methods=["GET"]),
        Route("/assets/{name}", _asset, methods=["GET"]),
        Route("/", _health, methods=["GET"]),
        Route("/health", _health, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _http_error, 405: _http_error})
    return _Outer(app)
