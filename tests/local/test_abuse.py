"""The local server under abuse: huge bodies and connections that never finish a request."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from modelslab_local import LocalServer, start_server
from modelslab_local._app import MAX_BODY_BYTES

PATH = "/api/v7/llm/chat/completions"


def _connect(server: LocalServer) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=10)


def _read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    return data


@pytest.mark.parametrize("auth", ["", "Authorization: Bearer modelslab-local\r\n"])
def test_a_body_declared_too_large_is_refused_before_it_is_sent(
    server: LocalServer, auth: str
) -> None:
    """A 64 MiB body is refused (413) after its head alone, with a key or without one."""
    with _connect(server) as sock:
        sock.sendall(
            f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{auth}"
            f"Content-Length: {64 * 1024 * 1024}\r\n\r\n".encode()
        )
        head = _read_head(sock)  # not one byte of the body was sent
    assert head.startswith(b"HTTP/1.1 413"), head[:80]


def test_a_chunked_body_is_cut_off_at_the_limit(server: LocalServer) -> None:
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        piece = b" " * (1024 * 1024)
        while sent <= 4 * MAX_BODY_BYTES:
            sent += len(piece)
            yield piece

    with httpx.Client(timeout=10) as http:
        try:
            status = http.post(server.base_url + "/chat/completions", content=body()).status_code
        except httpx.TransportError:  # the server answered and closed while we still sent
            status = 413
    assert status == 413
    assert sent < 2 * MAX_BODY_BYTES  # it stopped reading near the limit, not at the end


def test_a_body_under_the_limit_is_read(client: httpx.Client) -> None:
    padding = " " * (MAX_BODY_BYTES // 2)
    content = '{"model": "no-such-model", "messages": []}' + padding
    response = client.post("/chat/completions", content=content)
    assert response.status_code != 413


def test_a_connection_that_never_finishes_its_request_is_closed() -> None:
    """Slowloris: a byte of head every 0.2 s; the server closes at its request timeout."""
    with start_server(request_timeout=1.0) as server, _connect(server) as sock:
        sock.sendall(b"POST " + PATH.encode() + b" HTTP/1.1\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 8:
            try:
                sock.sendall(b"X")
                sock.settimeout(0.2)
                if sock.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
        assert closed
        assert 0.8 < time.monotonic() - started < 4


def test_requests_on_a_kept_alive_connection_each_get_the_time() -> None:
    with start_server(request_timeout=1.0) as quick:
        headers = {"Authorization": f"Bearer {quick.api_key}"}
        with httpx.Client(base_url=quick.base_url, headers=headers, timeout=10) as http:
            for _ in range(3):  # one connection, answers 0.6 s apart: each request is in time
                assert http.get("/v1/models").status_code == 200
                time.sleep(0.6)
