"""Fault-injection answers that replace or reshape the server's normal response.

Which fault applies is decided in ``_faults.py`` (by header or model suffix); this module
builds what the client then receives: an error in one of ModelsLab's shapes, a broken body,
an answer of a chosen size, or the error event a broken stream ends with.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.responses import Response

from . import _faults
from ._engine import EngineAnswer
from ._errors import ApiError, Format
from ._requests import API_PREFIX
from ._sse import Abort, PlannedResponse, dumps, error_response, json_response

__all__ = ["early_fault", "oversized", "stream_error"]


def early_fault(
    spec: _faults.FaultSpec, fmt: Format, body: dict[str, Any], stream: bool
) -> Response | None:
    """A response that replaces the answer entirely, or ``None``."""
    fault = spec.definition
    if fault.kind == "error":
        return error_response(_fault_error(spec, str(body.get("model", ""))), fmt)
    if fault.kind == "json-error" and stream:
        status = int(spec.arg) if spec.arg and spec.arg.isdigit() else fault.status
        report = {"status": "error", "message": fault.message}
        if spec.name == "stream-json-error-sse":  # the report, mislabelled as a stream
            return Response(dumps(report), 200, media_type="text/event-stream")
        return json_response(report, status)
    if fault.kind == "reset":
        return PlannedResponse(200, "application/json", [Abort()])
    if fault.kind == "body":
        return _fault_body(spec)
    return None


def _fault_error(spec: _faults.FaultSpec, model: str) -> ApiError:
    fault = spec.definition
    if spec.name == "429":
        wait = spec.seconds(1.0)
        retry = int(wait) if wait.is_integer() else wait
        return ApiError(429, fault.message, shape="modelslab", extra={"retry_after": retry})
    if spec.name == "429-header":
        return ApiError(429, fault.message, headers={"Retry-After": spec.arg or "1"})
    message = spec.arg or fault.message.format(model=model)
    return ApiError(fault.status, message, shape=fault.shape)


def _fault_body(spec: _faults.FaultSpec) -> Response:
    message = spec.arg or spec.definition.message
    bodies: dict[str, tuple[str, bytes]] = {
        "200-error": ("application/json", dumps({"status": "error", "message": message}).encode()),
        "200-messege": (
            "application/json",
            dumps({"status": "error", "messege": message}).encode(),
        ),
        "processing": ("application/json", dumps(_processing(message)).encode()),
        "wrong-content-type": ("text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
        "malformed-json": ("application/json", b'{"id": "chatcmpl-broken", "choices": ['),
        "empty-body": ("application/json", b""),
    }
    media, content = bodies[spec.name]
    return Response(content, 200, media_type=media)


def _processing(message: str) -> dict[str, Any]:
    fetch = f"{API_PREFIX}/fetch/1001"
    return {
        "status": "processing",
        "id": 1001,
        "eta": 10,
        "message": message,
        "fetch_result": fetch,
        "future_links": [],
    }


def stream_error(fmt: Format, message: str) -> bytes:
    if fmt == "anthropic":
        payload = {"type": "error", "error": {"type": "api_error", "message": message}}
        return f"event: error\ndata: {dumps(payload)}\n\n".encode()
    payload = {"error": {"message": message, "type": "server_error", "code": 500}}
    return f"data: {dumps(payload)}\n\n".encode()


def oversized(answer: EngineAnswer, spec: _faults.FaultSpec) -> EngineAnswer:
    size = int(spec.number(1024 * 1024, _faults.MOST_BYTES))
    words = ("lorem ipsum dolor sit amet " * (size // 27 + 1))[:size]
    return replace(answer, text=words, tool_calls=[], finish_reason="stop", stop_sequence=None)
