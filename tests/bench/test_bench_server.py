"""The bench server answers like an OpenAI-compatible endpoint, so every client gets the same
bytes: a canned completion, or N content chunks + a usage chunk + ``[DONE]``.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from bench.server import ServerProcess


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess(chunks=7) as srv:
        yield srv


def _post(client: httpx.Client, server: ServerProcess, body: dict[str, object]) -> httpx.Response:
    headers = {"Authorization": "Bearer any-key"}
    return client.post(f"{server.base_url}/chat/completions", json=body, headers=headers)


def test_completion_is_a_chat_completion(server: ServerProcess) -> None:
    with httpx.Client() as client:
        data = _post(client, server, {"model": "m", "messages": []}).json()
    assert data["object"] == "chat.completion"
    assert data["choices"][0]["message"]["content"]
    assert data["usage"]["total_tokens"] == 21


@pytest.mark.parametrize(
    ("prompt", "chunks"), [("hello", 7), ("n=3 please", 3), ("n=250 please", 250)]
)
def test_stream_has_n_chunks_then_usage_then_done(
    server: ServerProcess, prompt: str, chunks: int
) -> None:
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": prompt}]}
    with httpx.Client() as client:
        lines = [ln for ln in _post(client, server, body).iter_lines() if ln]
    assert lines[-1] == "data: [DONE]"
    events = [json.loads(ln.removeprefix("data: ")) for ln in lines[:-1]]
    assert len(events) == chunks + 1
    assert events[-1]["usage"]["completion_tokens"] == 9
    assert events[-1]["choices"] == []
    assert events[-2]["choices"][0]["finish_reason"] == "stop"


def test_one_connection_serves_back_to_back_requests(server: ServerProcess) -> None:
    body = b'{"model": "m", "messages": []}'
    head = b"POST /api/v7/llm/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
    request = head % len(body) + body
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request * 3)
        received = b""
        while received.count(b"chat.completion") < 3:
            chunk = sock.recv(65536)
            assert chunk, "server closed the connection"
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 3


def test_unknown_path_is_404(server: ServerProcess) -> None:
    with httpx.Client() as client:
        assert client.get(f"{server.url}/nothing").status_code == 404
