"""``make demo`` works offline: ``examples/demo.py`` run as the Makefile runs it.

Without ``MODELSLAB_API_KEY`` the demo starts the local server itself; the deterministic
engine keeps its answers fixed whether or not the optional real model is installed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess[str]:
    return _run_demo_with({"MODELSLAB_LOCAL_ENGINE": "deterministic"})


def test_demo_exits_cleanly(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Traceback" not in demo.stderr


def test_demo_names_the_local_backend(demo: subprocess.CompletedProcess[str]) -> None:
    lines = demo.stdout.splitlines()
    assert lines[0].startswith("backend: local ModelsLab-compatible server at http://127.0.0.1:")
    assert lines[0].endswith("/api/v7/llm")
    assert "engine:  deterministic engine" in lines
    assert "model:   baidu-ernie-4.5-vl-28b-a3b" in lines


def test_demo_says_why_it_is_offline_and_what_answers(
    demo: subprocess.CompletedProcess[str],
) -> None:
    out = demo.stdout
    assert "why:     MODELSLAB_API_KEY is not set, so the demo runs offline" in out
    assert "rule-based, not a language model" in out
    assert "make local-model" in out


def test_demo_with_a_key_and_a_local_url_names_that_server() -> None:
    """A key plus a local base URL is the local server, not ModelsLab."""
    from modelslab_local import start_server

    with start_server(engine="deterministic") as server:
        done = _run_demo_with(
            {"MODELSLAB_API_KEY": server.api_key, "MODELSLAB_BASE_URL": server.base_url}
        )
    assert done.returncode == 0, done.stderr[-3000:]
    first = done.stdout.splitlines()[0]
    assert first == f"backend: the server at {server.base_url} (MODELSLAB_BASE_URL; " + (
        "MODELSLAB_API_KEY is set), not ModelsLab"
    )


def test_demo_shows_both_answers(demo: subprocess.CompletedProcess[str]) -> None:
    out = demo.stdout
    agent, _, rag = out.partition("LlamaIndex RAG (VectorStoreIndex + ModelsLabLLM):")
    assert "LangChain agent (create_agent + ChatModelsLab):" in agent
    assert "tools called: ['get_weather']" in agent
    assert "answer: According to get_weather: It is 18 °C and sunny in Paris." in agent
    assert "answer: The Eiffel Tower in Paris is 330 metres tall" in rag


def _run_demo_with(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``examples/demo.py`` run with no ``MODELSLAB_*`` variable of this shell but these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSLAB_")}
    env.update(env_overrides, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "examples/demo.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def _closed_loopback_port() -> int:
    """A port nothing listens on: bound by the OS, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _assert_short_failure(done: subprocess.CompletedProcess[str], url: str, cause: str) -> None:
    """Non-zero, no traceback, a few lines: what was tried, why it failed, how to go offline."""
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    report = done.stderr.splitlines()
    assert 2 <= len(report) <= 5, done.stderr[-3000:]
    assert report[0] == f"demo failed: no answer from {url} for model baidu-ernie-4.5-vl-28b-a3b"
    assert report[1].startswith("why:")
    assert cause in report[1]
    assert "unset MODELSLAB_API_KEY" in done.stderr
    assert "modelslab-local serve" in done.stderr


def test_demo_with_a_key_and_no_server_says_why_in_a_few_lines() -> None:
    url = f"http://127.0.0.1:{_closed_loopback_port()}/api/v7/llm"
    done = _run_demo_with({"MODELSLAB_API_KEY": "demo-key", "MODELSLAB_BASE_URL": url})
    _assert_short_failure(done, url, "Connection refused")


def test_demo_with_a_wrong_key_says_the_server_refused_it() -> None:
    from modelslab_local import start_server

    with start_server(engine="deterministic", api_key="the-right-key") as server:
        done = _run_demo_with(
            {"MODELSLAB_API_KEY": "a-wrong-key", "MODELSLAB_BASE_URL": server.base_url}
        )
    _assert_short_failure(done, server.base_url, "401")
    assert "a-wrong-key" not in done.stdout + done.stderr
