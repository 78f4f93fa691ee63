"""A deliberately misbehaving HTTP/1.1 server on a raw loopback socket.

The local server is a well-behaved ASGI app; some faults need control below HTTP framing:
a chunked body that stays open after the end marker, or keeps sending comments after it.
Each connection is served by one thread; ``script(request_body) -> list[Step]`` says what to
send after the response head (or returns ``(head, steps)`` to choose the head per request).
A step is bytes for one chunk (``b""`` ends the body), a float (pause that many seconds),
``HOLD`` (keep the body open until the test ends), ``COMMENTS`` (send an SSE comment every
few milliseconds until the peer goes away), ``CLOSE`` (close the connection, mid-body) or
``RESET`` (abort it with a TCP reset). With ``reads=False`` the server accepts connections and
never reads a byte from them.

The server watches every connection it holds: :attr:`RawServer.live` counts those the client
has not closed yet, and :meth:`RawServer.wait_closed` waits for a client to close them all
(the way to check that a call that gave up left no connection behind).
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType

HOLD = "hold"
COMMENTS = "comments"
CLOSE = "close"
RESET = "reset"
# The peer closed (or reset) its end, whether or not its data was read (Linux's POLLRDHUP).
_GONE = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0x2000)
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
        script: Callable[..., list[Step] | tuple[bytes, list[Step]]],
        response_head: bytes = b"",
        *,
        reads: bool = True,
        with_path: bool = False,
    ) -> None:
        self._script = script
        self._with_path = with_path
        self._head = response_head or head()
        self.reads = reads  # may change between calls (a test's next call reads again)
        self._lock = threading.Lock()
        self.live = 0  # connections accepted and not yet closed by the client
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
            with self._lock:
                self.live += 1
            thread = threading.Thread(target=self._watched, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def wait_closed(self, grace: float) -> bool:
        """Whether the client closed every connection within ``grace`` seconds from now."""
        until = time.monotonic() + grace
        while self.live and time.monotonic() < until:
            time.sleep(0.01)
        return self.live == 0

    def _watched(self, conn: socket.socket) -> None:
        try:
            if self.reads:
                self._serve(conn)
            else:
                with conn, contextlib.suppress(OSError):
                    self._gone(conn, 30)
        finally:
            with self._lock:
                self.live -= 1

    def _gone(self, conn: socket.socket, wait: float) -> bool:
        """Wait up to ``wait`` s for the peer to close; True if it did (or the test ended)."""
        poll = select.poll()
        poll.register(conn, _GONE)
        until = time.monotonic() + wait
        while not self._stop.is_set():
            left = until - time.monotonic()
            if left <= 0:
                return False
            if poll.poll(min(left, 0.05) * 1000):
                return True
        return True

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(0.2)
            while not self._stop.is_set():
                request = self._read_path_and_body(conn)
                if request is None:
                    return
                self.requests += 1
                path, body = request
                planned = self._script(path, body) if self._with_path else self._script(body)
                response_head, steps = (
                    planned if isinstance(planned, tuple) else (self._head, planned)
                )
                conn.sendall(response_head)
                if not self._send(conn, steps):
                    return

    def _read_request(self, conn: socket.socket) -> bytes | None:
        """The next request's body; ``None`` once the peer closed."""
        request = self._read_path_and_body(conn)
        return None if request is None else request[1]

    def _read_path_and_body(self, conn: socket.socket) -> tuple[str, bytes] | None:
        """The next request's path and body; ``None`` once the peer closed."""
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
            more = conn.recv(65536)
            if not more:
                return None
            body += more
        path = head.split(b"\r\n", 1)[0].split(b" ")[1].decode() if b" " in head else "/"
        return path, body

    def _send(self, conn: socket.socket, steps: list[Step]) -> bool:
        """Send the steps; False once the connection must not serve another request."""
        for step in steps:
            if step == HOLD:
                self._gone(conn, 30)
                return False
            if step in (CLOSE, RESET):
                if step == RESET:  # linger 0: close sends RST, not FIN
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                return False
            if step == COMMENTS:
                while not self._stop.is_set():
                    conn.sendall(chunk(b": keep-alive\n\n"))
                    time.sleep(0.005)
                return False
            if isinstance(step, float):
                if self._gone(conn, step):
                    return False
                continue
            assert isinstance(step, bytes)
            conn.sendall(chunk(step) if step else b"0\r\n\r\n")
        return True
