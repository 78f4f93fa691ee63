"""Server-sent events framing and a raw ASGI response that can pause, stall and drop.

A response is planned as a list of parts (bytes, :class:`Pause`, :class:`Abort`) so the
fault layer can reshape a normal answer (cut it, stall it, drop the connection) without
knowing the wire format.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ._errors import ApiError, Format

ABORT_KEY = "modelslab_local.abort"
KEEP_ALIVE = b": MODELSLAB PROCESSING\n\n"


@dataclass(frozen=True, slots=True)
class Event:
    """One SSE frame and what it carries.

    ``kind`` is ``comment``, ``start``, ``content``, ``finish``, ``usage`` or ``done``, so
    faults can cut a stream at meaningful places.
    """

    kind: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Pause:
    """Send nothing for ``seconds``."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Abort:
    """Drop the TCP connection here."""


Part = bytes | Pause | Abort


def dumps(payload: Any) -> str:
    """Compact JSON with non-ASCII kept (as upstream servers send it)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def data_event(kind: str, payload: Any, event: str | None = None) -> Event:
    """A ``data:`` frame (with an ``event:`` line for the Anthropic format)."""
    head = f"event: {event}\n" if event else ""
    return Event(kind, f"{head}data: {dumps(payload)}\n\n".encode())


def comment_event(text: str = "MODELSLAB PROCESSING") -> Event:
    """A keep-alive comment line, which SSE clients must ignore."""
    return Event("comment", f": {text}\n\n".encode())


class PlannedResponse(Response):
    """Sends pre-planned parts through raw ASGI messages.

    Args:
        status_code: HTTP status.
        media_type: Content type.
        parts: Body pieces, pauses and an optional connection drop.
        headers: Extra headers.
        delay: Seconds to wait before sending anything (slow first byte).
        length: Send a ``content-length`` (non-streamed bodies) instead of chunking.
    """

    def __init__(
        self,
        status_code: int,
        media_type: str,
        parts: Sequence[Part],
        *,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        length: bool = False,
    ) -> None:
        super().__init__(None, status_code, headers, media_type)
        self.parts = list(parts)
        self.delay = delay
        if not length:
            self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        else:
            size = sum(len(p) for p in self.parts if isinstance(p, bytes))
            self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
            self.raw_headers.append((b"content-length", str(size).encode()))
        if media_type.startswith("text/event-stream"):
            self.raw_headers.append((b"cache-control", b"no-cache"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        if self.parts and isinstance(self.parts[0], Abort):
            await abort(scope)
            return
        start = {"type": "http.response.start", "status": self.status_code}
        await send({**start, "headers": self.raw_headers})
        for part in self.parts:
            if isinstance(part, Pause):
                await asyncio.sleep(part.seconds)
            elif isinstance(part, Abort):
                await abort(scope)
                return
            elif part:
                await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def abort(scope: Scope) -> None:
    """Drop the client connection (uvicorn transport abort); raise where that is impossible."""
    dropper = scope.get(ABORT_KEY)
    if not callable(dropper):
        raise ConnectionAbortedError("simulated connection reset")
    dropper()
    # Let the event loop deliver connection_lost, so the server sees a disconnect rather
    # than an application that returned without answering.
    await asyncio.sleep(0.01)


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response (compact, as the API sends it)."""
    return Response(dumps(payload), status, headers, "application/json")


def error_response(error: ApiError, fmt: Format) -> Response:
    """An error in the shape the request's format (or the fault) asks for."""
    return json_response(error.body(fmt), error.status, error.headers)
