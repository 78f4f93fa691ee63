"""The benchmark's quick mode runs end to end and prints its tables.

A smoke test only: it checks that every phase ran and reported every client, never a time.
Skipped unless the ``bench`` extra (the peers) is installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("openai")
pytest.importorskip("langchain_openai")
pytest.importorskip("llama_index.llms.openai_like")

ROOT = Path(__file__).resolve().parents[2]
HEADERS = (
    "== Sync: client CPU per call and per streamed event",
    "== Async: client CPU per call at 20 and 200 concurrent",
    "== Import above the framework floor, and construction",
    "== Above the framework floor",
    "== Targets (this run) ==",
)
CLIENTS = ("raw httpx", "openai SDK", "ChatOpenAI", "OpenAILike", "ChatModelsLab", "ModelsLabLLM")


@pytest.mark.timeout(240)
def test_quick_mode_exits_0_and_prints_every_table() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=230,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for header in HEADERS:
        assert header in proc.stdout
    sync_table = proc.stdout.split("== Async")[0]
    for client in CLIENTS:
        assert f"\n{client} " in sync_table, client
