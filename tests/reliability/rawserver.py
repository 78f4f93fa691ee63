"""A deliberately misbehaving HTTP/1.1 server on a raw loopback socket.

The local server is a well-behaved ASGI app; some faults need control below HTTP framing:
a chunked body that stays open after the end marker, or keeps sending comments after it.
Each connection is served by one thread; ``script(request_body) -> list[Step]`` says what to
send after the response head (or returns ``(head, steps)`` to choose the head per request).
A step is bytes for one chunk (``b""`` ends the body), a float (pause that many seconds),
``HOLD`` (keep the body open until the test ends) or ``COMMENTS`` (send an SSE comment every
few milliseconds until the peer goes away).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

HOLD = "hold"
COMMENTS = "comments"
Step = bytes | str | float

EVENT_STREAM = "text/event-stream"
JSON = "application/json"


def head(content_type: str = EVENT_STREAM, status: str = "200 OK", extra: str = "") -> bytes:
    """A chunked HTTP/1.1 response head."""
    return (
        f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n{extra}"
        "transfer-encoding: chunked\r\nconnection: keep-alive\r\n\r\n"
    ).encode()


def chunk(data: bytes) -> bytes:
    """One HTTP/1.1 chunk carrying ``data``."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class RawServer:
    """Serve ``script`` on ``127.0.0.1:<free port>`` until the ``with`` block ends."""

    def __init__(
        self,
        script: Callable[[bytes], list[Step] | tuple[bytes, list[Step]]],
        response_head: bytes = b"",
    ) -> None:
        self._script = script
        self._head = response_head or head()
        self.requests = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.connections = 0
        self._threads: list[threading.Thread] = []

    @property
    def base_url(self) -> str:
        """The base URL clients use (plain http on loopback)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> RawServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(0.2)
            while not self._stop.is_set():
                body = self._read_request(conn)
                if body is None:
                    return
                self.requests += 1
                planned = self._script(body)
                response_head, steps = (
                    planned if isinstance(planned, tuple) else (self._head, planned)
                )
                conn.sendall(response_head)
                if not self._send(conn, steps):
                    return

    def _read_request(self, conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                more = conn.recv(65536)
            except TimeoutError:
                if self._stop.is_set():
                    return None
                continue
            if not more:
                return None
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += conn.recv(65536)
        return body

    def _send(self, conn: socket.socket, steps: list[Step]) -> bool:
        """Send the steps; False once the connection must not serve another request."""
        for step in steps:
            if step == HOLD:
                self._stop.wait(30)
                return False
            if step == COMMENTS:
                while not self._stop.is_set():
                    conn.sendall(chunk(b": keep-alive\n\n"))
                    time.sleep(0.005)
                return False
            if isinstance(step, float):
                if self._stop.wait(step):
                    return False
                continue
            assert isinstance(step, bytes)
            conn.sendall(chunk(step) if step else b"0\r\n\r\n")
        return True
