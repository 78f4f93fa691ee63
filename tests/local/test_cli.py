"""The ``modelslab-local serve`` command, run as a real subprocess."""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest
from local_helpers import chat_body

from modelslab_local.__main__ import main

# Generous bounds, not waits: on a loaded 2-core machine the interpreter alone can take
# seconds to start and import, and the first request can queue behind start-up.
BANNER_TIMEOUT = 45.0
READY_TIMEOUT = 20.0


def _first_line(stream: IO[str], timeout: float) -> str:
    """The first line of ``stream``, or ``""`` if none comes within ``timeout`` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return ""


def _post_when_ready(proc: subprocess.Popen[str], base_url: str) -> httpx.Response:
    """POST a chat request, retrying refused connections until the server answers."""
    deadline = time.monotonic() + READY_TIMEOUT
    headers = {"x-api-key": "k-123"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=READY_TIMEOUT) as http:
        while True:
            try:
                return http.post("/chat/completions", json=chat_body())
            except httpx.ConnectError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
            time.sleep(0.05)  # a poll interval, not a wait for readiness


@contextmanager
def serving(*options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``modelslab-local serve --port 0 --api-key k-123 *options``, its banner line once bound.

    Fails the test with the server's stderr when no banner comes; stops the server after.
    """
    command = [
        sys.executable,
        "-m",
        "modelslab_local",
        "serve",
        "--port",
        "0",
        "--api-key",
        "k-123",
        *options,
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        try:
            banner = _first_line(proc.stdout, BANNER_TIMEOUT)  # printed once the port is bound
            if not banner:  # the process died or hangs: show why
                proc.terminate()
                proc.wait(timeout=10)
                pytest.fail(f"no banner; exit {proc.returncode}: {proc.stderr.read()}")
            yield proc, banner
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            proc.stderr.close()
            proc.stdout.close()


def test_serve_answers_then_stops_on_terminate() -> None:
    with serving("--engine", "deterministic") as (proc, banner):
        assert proc.stdout is not None
        assert "k-123" not in banner
        base_url = banner.split()[3]
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/api/v7/llm")
        # Then the engine, and the two lines that let the user's own code use the server.
        rest = [_first_line(proc.stdout, 5.0) for _ in range(4)]
        assert f"  export MODELSLAB_BASE_URL={base_url}\n" in rest
        assert "  export MODELSLAB_API_KEY=<the key you passed>\n" in rest
        assert not [line for line in rest if "k-123" in line]  # a given key is never echoed
        response = _post_when_ready(proc, base_url)
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["content"]


def test_busy_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port), "--engine", "deterministic"]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_serve_answers_from_a_script_file(tmp_path: Path) -> None:
    script = tmp_path / "replies.json"
    script.write_text('[{"text": "Scripted hello"}]', encoding="utf-8")
    with serving("--script", str(script)) as (proc, banner):
        assert proc.stdout is not None
        assert "scripted: 1 replies queued" in _first_line(proc.stdout, 5.0)
        response = _post_when_ready(proc, banner.split()[3])
        assert response.json()["choices"][0]["message"]["content"] == "Scripted hello"


def test_a_bad_script_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "replies.json"
    script.write_text('[{"fault": "nope"}]', encoding="utf-8")
    assert main(["serve", "--script", str(script)]) == 1
    assert "Unknown fault 'nope'" in capsys.readouterr().err
