"""Faults a test can ask for, per request, to drive every failure a client must handle.

Select one with the header ``x-modelslab-fault: <spec>`` or the path prefix
``/fault/<spec>/api/v7/llm/...`` (so a client's base URL alone can select it). A spec is
``name[:arg][*times][@id]``: ``arg`` tunes the fault (seconds, a message, a status),
``times`` applies it to the first N requests carrying the same ``id`` only (then requests
succeed, for retry tests); the headers ``x-modelslab-fault-times`` and
``x-modelslab-fault-id`` do the same. See :data:`FAULTS` for the names.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ._errors import ApiError, Shape
from ._sse import Abort, Event, Part, Pause

# The longest wait a fault may ask for, and the largest answer (``oversized``) in bytes.
MOST_SECONDS = 600.0
MOST_BYTES = 2 * 1024 * 1024  # the server plans a stream whole: ~4 s per MiB

FAULT_HEADER = "x-modelslab-fault"
TIMES_HEADER = "x-modelslab-fault-times"
ID_HEADER = "x-modelslab-fault-id"
SCOPE_KEY = "modelslab_local.fault"

Kind = Literal["error", "body", "stream", "timing", "reset", "oversized", "json-error"]
_SPEC = re.compile(r"^(?P<name>[^:*@]+)(?::(?P<arg>[^*@]*))?(?:\*(?P<times>\d+))?(?:@(?P<id>.+))?$")


@dataclass(frozen=True, slots=True)
class FaultDef:
    """What a fault does.

    Attributes:
        kind: ``error`` (status + body), ``body`` (a 200 body that is not an answer),
            ``stream`` (reshaped SSE), ``timing`` (delays), ``reset`` (dropped connection),
            ``oversized`` (a huge answer), ``json-error`` (JSON error on a stream request).
        status: HTTP status for ``error``/``json-error``.
        shape: Error body shape.
        message: Default message (the spec's ``arg`` replaces it).
        description: One line for the docs.
    """

    kind: Kind
    status: int = 200
    shape: Shape = "native"
    message: str = ""
    description: str = ""


def _err(status: int, message: str, shape: Shape = "native") -> FaultDef:
    return FaultDef("error", status, shape, message, f"HTTP {status}, {shape} error body")


FAULTS: dict[str, FaultDef] = {
    "400": _err(400, "Bad request: the request could not be processed."),
    "401": _err(401, "Invalid API key."),
    "402": _err(402, "Insufficient credits: please top up your wallet.", "modelslab"),
    "403": _err(403, "Your plan does not allow access to this feature.", "modelslab"),
    "404": _err(404, "Model not found: {model}"),
    "409": _err(409, "Conflict: a request with this id is already being processed."),
    "413": _err(413, "Request entity too large."),
    "422": _err(422, "The messages field is required."),
    "429": FaultDef(
        "error",
        429,
        "modelslab",
        "Rate limit exceeded: too many queued requests.",
        "HTTP 429, ModelsLab body with retry_after (arg: seconds, default 1)",
    ),
    "429-header": FaultDef(
        "error",
        429,
        "native",
        "Rate limit exceeded.",
        "HTTP 429 with a Retry-After header (arg: seconds, default 1)",
    ),
    "500": _err(500, "Internal server error."),
    "502": _err(502, "Bad gateway: the upstream provider failed."),
    "503": _err(503, "Service unavailable: the model is overloaded."),
    "504": _err(504, "Gateway timeout: the upstream provider did not answer."),
    "context-length": _err(
        400, "This model's maximum context length is 30000 tokens; your request exceeded it."
    ),
    "200-error": FaultDef(
        "body",
        message="Something went wrong.",
        description='HTTP 200 {"status": "error", "message": ...}',
    ),
    "200-messege": FaultDef(
        "body",
        message="Something went wrong.",
        description='HTTP 200 {"status": "error", "messege": ...} (typo kept)',
    ),
    "processing": FaultDef(
        "body",
        message="Request is being processed.",
        description='HTTP 200 {"status": "processing", "eta": ..., ...}',
    ),
    "wrong-content-type": FaultDef("body", description="HTTP 200 text/html body"),
    "malformed-json": FaultDef("body", description="HTTP 200 application/json, not JSON"),
    "empty-body": FaultDef("body", description="HTTP 200 application/json, empty body"),
    "oversized": FaultDef(
        "oversized", description="a valid answer of arg bytes (default 1 MiB, at most 2 MiB)"
    ),
    "stream-truncated": FaultDef(
        "stream", description="stream cut mid-answer: no finish, no [DONE]"
    ),
    "stream-malformed": FaultDef("stream", description="a non-JSON data line mid-stream"),
    "stream-error": FaultDef(
        "stream",
        message="Upstream provider error.",
        description="an error event mid-stream, then the end",
    ),
    "stream-error-ml": FaultDef(
        "stream",
        message="Upstream provider error.",
        description='ModelsLab\'s `{"status": "error", ...}` as a data line mid-stream, '
        "then the normal end",
    ),
    "stream-drop": FaultDef("stream", description="connection dropped mid-stream"),
    "stream-json-error": FaultDef(
        "json-error",
        200,
        "modelslab",
        "Stream could not be started.",
        description="JSON error body on a stream request (arg: status)",
    ),
    "stream-json-error-sse": FaultDef(
        "json-error",
        200,
        "modelslab",
        "Rate limit exceeded: too many queued requests.",
        description="the same JSON error body, labelled `text/event-stream`",
    ),
    "slow-first-byte": FaultDef("timing", description="wait arg seconds before the response"),
    "stall": FaultDef("timing", description="stall arg seconds after the first chunk / headers"),
    "keepalive": FaultDef("timing", description="keep-alive comments for arg seconds first"),
    "reset": FaultDef("reset", description="drop the connection before responding"),
}
_DYNAMIC = re.compile(r"^(ml|string)-(\d{3})$")


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """A parsed fault selection."""

    name: str
    definition: FaultDef
    arg: str | None = None
    times: int | None = None
    ident: str | None = None

    def number(self, default: float, most: float) -> float:
        """``arg`` as a number in ``[0, most]``; ``default`` when absent or not a number.

        A fault's argument comes from a request (or a script): ``keepalive:1e12`` or
        ``stall:nan`` must not freeze or crash the server that every other test shares.
        """
        try:
            value = float(self.arg) if self.arg else default
        except ValueError:
            return default
        if not math.isfinite(value):
            return default if math.isnan(value) else most
        return min(max(value, 0.0), most)

    def seconds(self, default: float) -> float:
        """``arg`` as seconds, at most :data:`MOST_SECONDS`."""
        return self.number(default, MOST_SECONDS)


def lookup(name: str) -> FaultDef | None:
    """The definition for a fault name (``ml-<status>`` and ``string-<status>`` included)."""
    if name in FAULTS:
        return FAULTS[name]
    match = _DYNAMIC.match(name)
    if not match:
        return None
    shape: Shape = "modelslab" if match.group(1) == "ml" else "string"
    status = int(match.group(2))
    if not 200 <= status <= 599:  # no HTTP server can answer ``ml-999`` (or a 1xx as final)
        return None
    return FaultDef("error", status, shape, f"Simulated error {status}.")


def parse(text: str, headers: Mapping[str, str]) -> FaultSpec:
    """Parse a spec; headers may add the count and id. Unknown names raise a 400."""
    match = _SPEC.match(text.strip())
    definition = lookup(match.group("name")) if match else None
    if match is None or definition is None:
        raise ApiError(400, f"Unknown fault {text!r}; known: {', '.join(FAULTS)}.")
    times = headers.get(TIMES_HEADER) or match.group("times")
    return FaultSpec(
        match.group("name"),
        definition,
        match.group("arg"),
        int(times) if times and times.isdigit() else None,
        headers.get(ID_HEADER) or match.group("id"),
    )


@dataclass
class FaultCounter:
    """Counts requests per fault id so a counted fault stops after N requests."""

    _seen: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def active(self, spec: FaultSpec) -> bool:
        """Whether ``spec`` applies to this request (and count it)."""
        if spec.times is None:
            return True
        key = spec.ident or f"{spec.name}:{spec.arg}"
        with self._lock:
            self._seen[key] = self._seen.get(key, 0) + 1
            return self._seen[key] <= spec.times


def reshape_stream(events: list[Event], spec: FaultSpec, error: bytes) -> list[Part]:
    """Apply a stream or timing fault to a planned event list."""
    data = [e.data for e in events]
    content_at = [i for i, e in enumerate(events) if e.kind == "content"]
    middle = content_at[len(content_at) // 2] if content_at else 1
    first_data = next((i for i, e in enumerate(events) if e.kind != "comment"), 0)
    name = spec.name
    if name == "stream-truncated":
        return list(data[: middle + 1])
    if name == "stream-malformed":
        return [
            *data[: middle + 1],
            b'data: {"id": "broken", "choices": [\n\n',
            *data[middle + 1 :],
        ]
    if name == "stream-error":
        return [*data[: middle + 1], error]
    if name == "stream-error-ml":
        report = {"status": "error", "message": spec.arg or spec.definition.message}
        return [*data[: middle + 1], f"data: {json.dumps(report)}\n\n".encode(), data[-1]]
    if name == "stream-drop":
        return [*data[: middle + 1], Abort()]
    if name == "stall":
        return [*data[: first_data + 1], Pause(spec.seconds(1.0)), *data[first_data + 1 :]]
    if name == "keepalive":
        beats = max(int(spec.seconds(0.5) / 0.1), 1)
        ticks: list[Part] = [
            b": keep-alive\n\n" if i % 2 == 0 else Pause(0.1) for i in range(beats * 2)
        ]
        return [*ticks, *data]
    return list(data)
