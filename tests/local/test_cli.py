"""The ``modelslab-local serve`` command, run as a real subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest
from local_helpers import chat_body

from modelslab_local.__main__ import main


def test_serve_answers_then_stops_on_terminate() -> None:
    command = [
        sys.executable,
        "-m",
        "modelslab_local",
        "serve",
        "--port",
        "0",
        "--api-key",
        "k-123",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            banner = proc.stdout.readline()  # printed once the port is bound
            if not banner:  # the process died: show why
                proc.wait(timeout=10)
                pytest.fail(f"server exited {proc.returncode}: {proc.stderr.read()}")  # type: ignore[union-attr]
            assert "k-123" not in banner
            base_url = banner.split()[3]
            assert base_url.startswith("http://127.0.0.1:")
            assert base_url.endswith("/api/v7/llm")
            with httpx.Client(
                base_url=base_url, headers={"x-api-key": "k-123"}, timeout=10
            ) as http:
                # The port listens before the banner, so this waits in the backlog if need be.
                response = http.post("/chat/completions", json=chat_body())
            assert response.status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            assert proc.stderr is not None
            proc.stderr.close()
            proc.stdout.close()  # type: ignore[union-attr]


def test_busy_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
