"""The Ray recipe end to end: a local Ray instance, the local server, both adapters.

Skips where Ray cannot be installed (it is the optional ``ray`` extra).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from modelslab_transport import DEFAULT_MODEL, estimate_cost

from .conftest import SERVER_KEY, load_example

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")
# Ray Data reads deprecated settings of its own while copying its context.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FAIL_AT = 9  # this row names a model the server does not serve
CASES = [(7 * n, n + 3) for n in range(20)]
PROMPTS: list[Any] = [f"What is {a} + {b}?" for a, b in CASES]
PROMPTS[FAIL_AT] = {"prompt": PROMPTS[FAIL_AT], "model": "no-such-model"}


def test_the_command_line_prints_only_its_own_lines_by_default(server: Any, tmp_path: Path) -> None:
    """A fresh Ray started by the command line: no line of Ray's own on stderr."""
    (tmp_path / "prompts.txt").write_text("What is 1 + 2?\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELSLAB_", "RAY_"))}
    env.update(MODELSLAB_API_KEY=SERVER_KEY, MODELSLAB_BASE_URL=server.base_url)
    cli = Path(__file__).resolve().parents[2] / "examples" / "ray_batch_cli.py"
    done = subprocess.run(
        [sys.executable, str(cli), str(tmp_path / "prompts.txt"), "--workers", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["answer"] == "1 + 2 = 3."
    lines = done.stderr.splitlines()
    assert lines, "no progress or summary"
    assert lines[-1].startswith("1 prompts in"), done.stderr
    assert all(line.startswith("prompts: ") for line in lines[:-1]), done.stderr


@pytest.fixture(scope="module")
def cluster(server: Any) -> Iterator[Any]:
    """A local Ray instance whose workers do not inherit an API key from this process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MODELSLAB_API_KEY", raising=False)
        ray.init(
            num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING
        )
    try:
        yield server
    finally:
        ray.shutdown()


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_batch_on_ray_checks_every_row(
    cluster: Any, recipe: ModuleType, framework: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = recipe.run_batch(
        PROMPTS,
        framework=framework,
        base_url=cluster.base_url,
        api_key=SERVER_KEY,
        workers=2,
        per_worker_concurrency=2,
        plan_limit=5,
        batch_size=4,
        max_retries=0,
    )
    assert [row.id for row in result.rows] == list(range(len(CASES)))
    for row, (a, b) in zip(result.rows, CASES, strict=True):
        assert row.prompt == f"What is {a} + {b}?"
        if row.id == FAIL_AT:
            assert row.answer is None
            assert row.error is not None
            assert "NotFoundError" in row.error
            assert "no-such-model" in row.error
            continue
        assert row.error is None, row.error
        assert row.answer == f"{a} + {b} = {a + b}."
        assert row.input_tokens > 0
        assert row.output_tokens > 0
        usage = {"input_tokens": row.input_tokens, "output_tokens": row.output_tokens}
        assert row.cost == pytest.approx(estimate_cost(DEFAULT_MODEL, usage))
    assert [row.id for row in result.failed] == [FAIL_AT]
    assert result.input_tokens == sum(row.input_tokens for row in result.rows)
    assert result.cost == pytest.approx(sum(row.cost or 0.0 for row in result.rows))
    assert result.cost > 0
    err = capsys.readouterr().err
    assert result.summary() in err  # printed after the progress bar
    assert f"{len(CASES)}/{len(CASES)}" in err  # the bar reached the end
    assert SERVER_KEY not in err
    assert all(SERVER_KEY not in (row.error or "") for row in result.rows)


def test_what_ray_ships_to_the_actors_carries_no_key(recipe: ModuleType) -> None:
    recipe._ship_this_module_by_value()  # as run_batch does: the class travels by value
    spec = recipe.ModelSpec("llama_index", base_url="http://127.0.0.1:9/api/v7/llm")
    payload = ray.cloudpickle.dumps((recipe.PromptWorker, {"spec": spec}))
    assert b"PromptWorker" in payload
    assert SERVER_KEY.encode() not in payload
    assert b"sk-" not in payload


def test_command_line_writes_one_json_row_per_prompt(
    cluster: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    cli = load_example("ray_batch_cli")
    (tmp_path / "prompts.txt").write_text("What is 1 + 2?\n\nWhat is 6 * 7?\n", encoding="utf-8")
    monkeypatch.setenv("MODELSLAB_API_KEY", SERVER_KEY)  # shipped to the actors by the CLI
    monkeypatch.setenv("MODELSLAB_BASE_URL", cluster.base_url)
    cli.main([str(tmp_path / "prompts.txt"), "--framework", "llama_index", "--plan-limit", "2"])
    out, err = capfd.readouterr()  # file descriptors: Ray's own log lines would show here
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["answer"], r["error"]) for r in rows] == [
        (0, "1 + 2 = 3.", None),
        (1, "6 * 7 = 42.", None),
    ]
    # Redirected output stays legible: our progress lines and one summary, nothing else.
    lines = err.splitlines()
    assert lines[-1].startswith("2 prompts in"), err
    assert sum("prompts in" in line for line in lines) == 1
    assert all(line.startswith("prompts: ") for line in lines[:-1]), err
    assert "\r" not in err
    assert "0.0 requests/s" not in err
    assert "0.0 after" not in err


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_rate_limited_rows_fail_alone_and_the_job_goes_on(
    cluster: Any, recipe: ModuleType, framework: str
) -> None:
    # The first two requests through this URL get HTTP 429 (whichever actors send them);
    # with retries off, exactly those two rows fail, typed, and every other row is answered.
    url = cluster.fault_base_url(f"429:0*2@ray-{framework}")
    result = recipe.run_batch(
        PROMPTS[:FAIL_AT],
        framework=framework,
        base_url=url,
        api_key=SERVER_KEY,
        workers=2,
        per_worker_concurrency=2,
        plan_limit=5,
        batch_size=3,
        max_retries=0,
        progress=False,
    )
    failed = result.failed
    assert len(failed) == 2
    assert all("RateLimitError" in (row.error or "") for row in failed)
    for row in result.rows:
        if row not in failed:
            a, b = CASES[row.id]
            assert row.answer == f"{a} + {b} = {a + b}."
