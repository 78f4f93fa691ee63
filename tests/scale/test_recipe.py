"""The Ray recipe's parts that need no Ray: the budget guard, rows, results, the actor."""

from __future__ import annotations

import math
import pickle
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from modelslab_transport import DEFAULT_MODEL, ConfigurationError, estimate_cost

from .conftest import SERVER_KEY, load_example


@pytest.mark.parametrize(
    ("workers", "per_worker", "plan", "error"),
    [
        (1, 5, 5, None),
        (2, 2, 5, None),
        (5, 3, 15, None),
        (3, 2, 5, "3 x 2 = 6 requests in flight exceeds plan_limit 5"),
        (11, 1, 10, "11 x 1 = 11"),
        (0, 1, 5, "workers must be"),
        (2, 0, 5, "per_worker_concurrency must be"),
        (1, 1, 0, "plan_limit must be"),
    ],
)
def test_budget_guard(
    recipe: ModuleType, workers: int, per_worker: int, plan: int, error: str | None
) -> None:
    if error is None:
        recipe.check_budget(workers, per_worker, plan)
    else:
        with pytest.raises(ConfigurationError, match=error):
            recipe.check_budget(workers, per_worker, plan)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"workers": 3, "per_worker_concurrency": 2, "plan_limit": 5}, "exceeds plan_limit 5"),
        ({"workers": 6, "plan_limit": 5}, "per_worker_concurrency must be"),  # 5 // 6 == 0
        ({"prompts": ["ok", {"text": "no prompt key"}]}, "Prompt 1 has no 'prompt'"),
    ],
)
def test_run_batch_refuses_a_bad_job_before_starting_ray(
    recipe: ModuleType, kwargs: dict[str, Any], error: str
) -> None:
    prompts = kwargs.pop("prompts", ["What is 1 + 1?"])
    with pytest.raises(ConfigurationError, match=error):
        recipe.run_batch(prompts, **kwargs)


def test_the_actor_payload_carries_no_key(recipe: ModuleType) -> None:
    spec = recipe.ModelSpec("langchain", base_url="http://127.0.0.1:9/api/v7/llm")
    payload = pickle.dumps((recipe.PromptWorker, {"spec": spec}))
    assert b"SECRET" not in payload
    assert pickle.loads(payload)[1]["spec"] == spec


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_worker_answers_rows_and_keeps_failures_in_their_row(
    recipe: ModuleType, server: Any, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", SERVER_KEY)
    spec = recipe.ModelSpec(framework, base_url=server.base_url, max_concurrency=2, max_retries=0)
    worker = recipe.PromptWorker(spec)
    try:
        out = worker(
            {
                "id": [0, 1, 2],
                "prompt": ["What is 7 + 5?", "What is 2 + 2?", "What is 3 * 4?"],
                "model": ["", "no-such-model", ""],
            }
        )
    finally:
        worker.close()
    assert set(out) == set(recipe.COLUMNS)
    rows = [recipe.row_from_record({k: out[k][i] for k in out}) for i in range(3)]
    assert [r.id for r in rows] == [0, 1, 2]
    assert [r.answer for r in rows] == ["7 + 5 = 12.", None, "3 * 4 = 12."]
    assert rows[1].error is not None
    assert rows[1].error.startswith(("NotFoundError", "ModelsLabNotFoundError"))
    assert "no-such-model" in rows[1].error
    assert (rows[1].input_tokens, rows[1].output_tokens, rows[1].cost) == (0, 0, None)
    for row in (rows[0], rows[2]):
        assert row.error is None
        assert row.input_tokens > 0
        assert row.output_tokens > 0
        usage = {"input_tokens": row.input_tokens, "output_tokens": row.output_tokens}
        assert row.cost == pytest.approx(estimate_cost(DEFAULT_MODEL, usage))


def test_worker_without_a_key_refuses_to_start(recipe: ModuleType) -> None:
    with pytest.raises(ConfigurationError, match="MODELSLAB_API_KEY"):
        recipe.PromptWorker(recipe.ModelSpec("langchain"))


def test_batch_result_totals_and_summary(recipe: ModuleType) -> None:
    row = recipe.RowResult
    rows = [
        row(0, "a", "x", None, 10, 20, 0.5),
        row(1, "b", None, "NotFoundError: gone", 0, 0, None),
        row(2, "c", "y", None, 5, 5, 0.25),
        row(3, "d", "z", None, 1, 1, None),  # a model without a catalog price
    ]
    result = recipe.BatchResult(rows, seconds=4.0, warmup_seconds=2.0, first_rows=2)
    assert [r.id for r in result.failed] == [1]
    assert (result.input_tokens, result.output_tokens) == (16, 26)
    assert math.isclose(result.cost, 0.75)
    assert result.requests_per_second == 1.0
    assert result.steady_requests_per_second == 1.0  # 2 more rows in the last 2 s
    summary = result.summary()
    for part in ("4 prompts", "3 answered, 1 failed", "16 in / 26 out", "$0.750000"):
        assert part in summary


def test_a_job_over_before_the_first_block_is_too_short_to_measure(recipe: ModuleType) -> None:
    rows = [recipe.RowResult(i, "p", "a", None, 1, 1, None) for i in range(2)]
    summary = recipe.BatchResult(rows, seconds=3.0, warmup_seconds=3.0, first_rows=2).summary()
    assert "too short to measure after start-up" in summary
    assert "0.0" not in summary.split(":")[0]
    slow = recipe.BatchResult(rows, seconds=40.0, warmup_seconds=1.0, first_rows=1).summary()
    assert "(0.05 requests/s, 0.026 after start-up)" in slow


def _cli_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI on ``argv``, expecting it to stop before Ray; its one stderr line."""
    cli = load_example("ray_batch_cli")
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code not in (0, None)
    message = str(stop.value.code) + capsys.readouterr().err
    assert len(message.strip().splitlines()) == 1, message
    return message


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--workers", "8"], "--workers 8 is more than --plan-limit 5"),
        (["--workers", "2", "--per-worker", "3"], "--workers 2 x --per-worker 3 = 6"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--per-worker", "0"], "--per-worker must be at least 1"),
        (["--plan-limit", "0"], "--plan-limit must be at least 1"),
        ([], "No MODELSLAB_API_KEY"),
    ],
)
def test_cli_refuses_a_mistake_in_one_line_naming_the_option(
    argv: list[str],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if expected != "No MODELSLAB_API_KEY":
        monkeypatch.setenv("MODELSLAB_API_KEY", "sk-cli-test")
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("What is 1 + 2?\n", encoding="utf-8")
    message = _cli_error([str(prompts), *argv], capsys)
    assert expected in message
    assert "per_worker_concurrency" not in message
    assert "sk-cli-test" not in message
    assert "ray" not in sys.modules or not sys.modules["ray"].is_initialized()


def test_cli_names_a_missing_prompts_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", "sk-cli-test")
    message = _cli_error([str(tmp_path / "missing.txt")], capsys)
    assert "missing.txt" in message


def test_cli_help_gives_every_option_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        load_example("ray_batch_cli").main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in ("--framework", "--model", "--workers", "--per-worker", "--plan-limit"):
        assert option in text
    for default in ("(default: langchain)", "(default: 1)", "(default: 5)"):
        assert default in text
