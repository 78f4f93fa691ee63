"""The benchmark's arithmetic and verdicts: paired deltas, ratios, met / MISSED."""

from __future__ import annotations

import pytest

from bench.clients import CASES
from bench.report import Results, table, target_table

US = 1e-6


def _results(**sync: list[float]) -> Results:
    names = {"raw": "raw httpx", "lc": "ChatModelsLab", "peer": "ChatOpenAI", "li": "ModelsLabLLM"}
    data = {names[k]: {"invoke": v, "event": [x / 10 for x in v]} for k, v in sync.items()}
    return Results(CASES, status={}, sync=data)


def test_delta_is_the_median_of_per_round_differences() -> None:
    # Rounds move together: raw 100/300/200, ours 150/420/240 -> differences 50/120/40.
    res = _results(raw=[100 * US, 300 * US, 200 * US], lc=[150 * US, 420 * US, 240 * US])
    assert res.delta("sync", "ChatModelsLab", "invoke") == pytest.approx(50 * US)
    assert res.ratio("sync", "ChatModelsLab", "raw httpx", "invoke") == pytest.approx(1.2)


def test_delta_is_unknown_when_rounds_do_not_pair() -> None:
    res = _results(raw=[100 * US, 200 * US], lc=[150 * US])
    assert res.delta("sync", "ChatModelsLab", "invoke") is None


@pytest.mark.parametrize(
    ("ours_us", "verdict"), [(240.0, "+140 µs met"), (260.0, "+160 µs MISSED")]
)
def test_invoke_target_verdict(ours_us: float, verdict: str) -> None:
    res = _results(raw=[100 * US], lc=[ours_us * US], peer=[800 * US])
    line = next(ln for ln in target_table(res).splitlines() if ln.startswith("invoke"))
    assert verdict in line


def test_missing_client_shows_its_status_not_a_number() -> None:
    res = _results(raw=[100 * US])
    res.status["ModelsLabLLM"] = "not importable"
    line = next(ln for ln in target_table(res).splitlines() if ln.startswith("invoke"))
    assert "not importable" in line
    assert "met" not in line


def test_table_aligns_columns_and_spans_status_rows() -> None:
    rows = [["x", "1.0", "22.5"], ["longer name", "not importable"]]
    lines = table("T", ["client", "a µs", "b"], rows).splitlines()
    assert lines[0] == "== T =="
    assert lines[1] == "client       a µs     b"
    assert lines[3] == "x             1.0  22.5"
    assert lines[4] == "longer name  not importable"
