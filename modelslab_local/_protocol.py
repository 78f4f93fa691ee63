"""The server's HTTP/1.1 protocol: uvicorn's h11 one, with a time limit on receiving a request.

uvicorn times out a connection idle *between* requests (its keep-alive timeout), but not one
that is sending a request: a client that sends a header byte every few seconds ("slowloris")
holds its connection open forever, and a hundred of them hold a hundred. Here each request,
head and body, must arrive whole within ``request_timeout`` seconds of the connection opening
or of the previous response ending; a connection that does not make it is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["REQUEST_TIMEOUT", "guarded_protocol"]

# Long enough for a slow client on a slow link to send a chat request with images.
REQUEST_TIMEOUT = 30.0


class _GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol that closes a connection whose request does not arrive in time."""

    request_timeout = REQUEST_TIMEOUT
    _request_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.SEND_BODY and self.conn.their_state is not h11.IDLE:
            self._disarm()  # the request is in whole: answering it has no limit here

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection gets the same time

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._request_timer = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None

    def _too_slow(self) -> None:
        self._request_timer = None
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(request_timeout: float) -> type[Any]:
    """The protocol class for uvicorn's ``http`` setting, with ``request_timeout`` seconds."""
    return type("GuardedH11Protocol", (_GuardedH11Protocol,), {"request_timeout": request_timeout})
