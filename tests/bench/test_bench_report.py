"""The benchmark's arithmetic and verdicts: paired deltas, ratios, met / MISSED."""

from __future__ import annotations

import pytest

from bench.clients import CASES
from bench.report import Results, floor_table, table

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


def _floored(ours: list[float], peer: list[float], floor: list[float], rounds: int = 20) -> Results:
    # The same round repeated: enough paired rounds for a verdict unless ``rounds`` is small.
    ours, peer, floor = (v * rounds if len(v) == 1 else v for v in (ours, peer, floor))
    data = {
        "LC floor": {"invoke": floor, "event": floor},
        "ChatModelsLab": {"invoke": ours, "event": ours},
        "ChatOpenAI": {"invoke": peer, "event": peer},
    }
    return Results(CASES, status={}, sync=data)


def _line(res: Results, label: str) -> str:
    return next(ln for ln in floor_table(res).splitlines() if ln.startswith(label))


@pytest.mark.parametrize(("ours_us", "verdict"), [(520.0, "+2.0% "), (540.0, "+4.0% ")])
def test_share_is_ours_above_floor_over_peer_above_floor(ours_us: float, verdict: str) -> None:
    # Floor 500, peer 1500: the peer adds 1000, so 3 % is 30 µs above the floor.
    res = _floored([ours_us * US], [1500 * US], [500 * US])
    line = _line(res, "langchain per call")
    assert verdict in line
    assert line.endswith("met" if ours_us == 520.0 else "MISSED")


def test_a_quick_run_gives_no_verdict() -> None:
    res = _floored([520 * US], [1500 * US], [500 * US], rounds=2)
    line = _line(res, "langchain per call")
    assert "+2.0%" in line
    assert line.endswith("too few rounds")


def test_share_pairs_rounds_before_taking_medians() -> None:
    # The machine slows down in round 2: paired, ours stays 10 above the floor every round.
    floor = [500 * US, 900 * US, 520 * US]
    res = _floored([f + 10 * US for f in floor], [f + 1000 * US for f in floor], floor)
    assert "+10.0 ±" in _line(res, "langchain per call")
    assert "+1.0%" in _line(res, "langchain per call")


def test_missing_client_shows_its_status_not_a_number() -> None:
    res = _floored([], [1500 * US], [500 * US])
    res.status["ChatModelsLab"] = "not importable"
    line = _line(res, "langchain per call")
    assert "not importable" in line
    assert "met" not in line


def test_table_aligns_columns_and_spans_status_rows() -> None:
    rows = [["x", "1.0", "22.5"], ["longer name", "not importable"]]
    lines = table("T", ["client", "a µs", "b"], rows).splitlines()
    assert lines[0] == "== T =="
    assert lines[1] == "client       a µs     b"
    assert lines[3] == "x             1.0  22.5"
    assert lines[4] == "longer name  not importable"
