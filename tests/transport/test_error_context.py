"""Connection and timeout errors say where and how long: the host, the limit, the attempts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from modelslab_transport import APIConnectionError, APITimeoutError, ModelsLabClient

REQUEST = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
KEY = "sk-error-context-key-123"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    server.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_read_timeout_names_the_host_the_limit_and_the_attempts(silent_port: int) -> None:
    url = f"http://127.0.0.1:{silent_port}/v1"
    slept: list[float] = []
    client = ModelsLabClient(KEY, base_url=url, timeout=0.3, max_retries=1, _sleep=slept.append)
    with client, pytest.raises(APITimeoutError) as info:
        client.chat(REQUEST)
    text = str(info.value)
    assert f"127.0.0.1:{silent_port}" in text
    assert "read timeout of 0.3 s" in text
    assert "after 2 attempts" in text
    assert KEY not in text


def test_a_refused_connection_names_the_host_not_the_key() -> None:
    port = _free_port()
    client = ModelsLabClient(KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with client, pytest.raises(APIConnectionError) as info:
        client.chat(REQUEST)
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "attempts" not in str(info.value)  # one attempt: nothing to add
    assert KEY not in repr(info.value)
