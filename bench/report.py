"""Turn samples into the printed tables: medians, deltas and ratios, targets met or missed.

Deltas over raw httpx are paired: each round's sample minus raw httpx's sample of the same
round, then the median, so that a noisy round moves both sides together. Ratios are of
medians. Nothing here asserts: a missed target is printed, never raised.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.clients import UNLIMITED, Case

RAW = "raw httpx"
MB = 1024 * 1024


@dataclass
class Results:
    """Everything one run measured, keyed by client name."""

    cases: Sequence[Case]
    status: dict[str, str]
    sizes: Any = None
    sync: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    aio: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)

    def med(self, part: str, name: str, key: str) -> float | None:
        values = getattr(self, part).get(name, {}).get(key)
        return statistics.median(values) if values else None

    def paired(self, part: str, name: str, key: str, base: str | None = RAW) -> list[float]:
        """Per-round differences ``name - base`` (empty when either is missing or unpaired)."""
        mine = getattr(self, part).get(name, {}).get(key)
        other = getattr(self, part).get(base, {}).get(key) if base else None
        if not mine or not other or len(mine) != len(other):
            return []
        return [a - b for a, b in zip(mine, other, strict=True)]

    def delta(self, part: str, name: str, key: str, base: str | None = RAW) -> float | None:
        """The median of :meth:`paired` (``None`` when there is nothing to pair)."""
        diffs = self.paired(part, name, key, base)
        return statistics.median(diffs) if diffs else None

    def ratio(self, part: str, name: str, other: str | None, key: str) -> float | None:
        a = self.med(part, name, key)
        b = self.med(part, other, key) if other else None
        return a / b if a is not None and b else None


def _fmt(value: float | None, spec: str, scale: float = 1.0, sign: bool = False) -> str:
    if value is None:
        return "—"
    text = format(value * scale, spec)
    return f"+{text}" if sign and value >= 0 else text


def _us(v: float | None) -> str:
    return _fmt(v, ".1f", 1e6)


def _dus(v: float | None) -> str:
    return _fmt(v, ".1f", 1e6, sign=True)


def _x(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}×"


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render a plain-text table; a two-cell row (name, message) spans the number columns."""
    full = [r for r in rows if len(r) == len(headers)]
    widths = [len(h) for h in headers]
    for r in full:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]
    widths[0] = max(widths[0], *(len(r[0]) for r in rows))

    def line(cells: Sequence[str]) -> str:
        if len(cells) != len(headers):
            return f"{cells[0].ljust(widths[0])}  {' '.join(cells[1:])}"
        rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([cells[0].ljust(widths[0]), *rest]).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([f"== {title} ==", line(headers), sep, *(line(r) for r in rows)])


_PHASE = {"sync": "sync", "aio": "async", "imports": "imports"}


def _rows(res: Results, part: str, cells: Callable[[Case], list[str]]) -> list[list[str]]:
    rows = []
    for case in res.cases:
        if _PHASE[part] not in case.phases:
            continue
        if getattr(res, part).get(case.name):
            rows.append([case.name, *cells(case)])
        else:
            rows.append([case.name, res.status.get(case.name, "not measured")])
    return rows


def sync_table(res: Results, rounds: int, long_chunks: int) -> str:
    def cells(c: Case) -> list[str]:
        n = c.name
        return [
            _us(res.med("sync", n, "invoke")),
            _dus(res.delta("sync", n, "invoke")),
            _x(res.ratio("sync", n, RAW, "invoke")),
            _x(res.ratio("sync", n, c.peer, "invoke")),
            _us(res.med("sync", n, "stream_call")),
            _us(res.med("sync", n, "event")),
            _dus(res.delta("sync", n, "event")),
            _x(res.ratio("sync", n, RAW, "event")),
            _x(res.ratio("sync", n, c.peer, "event")),
        ]

    headers = ["client", "invoke µs", "Δraw µs", "×raw", "×peer"]
    headers += [f"stream({long_chunks}) µs", "event µs", "Δraw µs", "×raw", "×peer"]
    title = f"Sync: client CPU per call and per streamed event (median of {rounds} rounds)"
    return table(title, headers, _rows(res, "sync", cells))


def async_table(res: Results, rounds: int) -> str:
    def cells(c: Case) -> list[str]:
        n = c.name
        return [
            _us(res.med("aio", n, "c20")),
            _dus(res.delta("aio", n, "c20")),
            _x(res.ratio("aio", n, RAW, "c20")),
            _x(res.ratio("aio", n, c.peer, "c20")),
            _us(res.med("aio", n, "c200")),
            _dus(res.delta("aio", n, "c200")),
            _x(res.ratio("aio", n, RAW, "c200")),
            _x(res.ratio("aio", n, c.peer, "c200")),
            _us(res.med("aio", n, "c200_wall")),
        ]

    headers = ["client", "c20 µs", "Δraw µs", "×raw", "×peer"]
    headers += ["c200 µs", "Δraw µs", "×raw", "×peer", "c200 wall µs"]
    title = f"Async: client CPU per call at 20 and 200 concurrent (median of {rounds} rounds)"
    note = (
        f"\n{UNLIMITED.strip()} = our client with max_concurrency=0, so that every request is in"
        " flight at once as for the peers; the plain rows keep the default budget (5 in flight)."
    )
    return table(title, headers, _rows(res, "aio", cells)) + note


def _heavy(imp: dict[str, Any]) -> str:
    mine = [m for m in imp["heavy"] if m not in imp["floor_heavy"]]
    return ", ".join(mine) if mine else "none"


def import_table(res: Results, reps: int) -> str:
    def cells(c: Case) -> list[str]:
        imp = res.imports[c.name]
        return [
            _fmt(imp["import_s"], ".0f", 1e3),
            _fmt(imp["rss_bytes"] / MB, ".1f"),
            _fmt(imp["first_construct_s"], ".2f", 1e3),
            _fmt(imp["construct_s"], ".3f", 1e3),
            _heavy(imp),
        ]

    cases = [c for c in res.cases if c.target_import]
    sub = Results(cases, res.status, imports=res.imports)
    headers = ["client", "import ms", "RSS MB", "1st construct ms", "construct ms"]
    headers += ["adds openai/tiktoken"]
    title = f"Import above the framework floor, and construction (fresh process, median of {reps})"
    return table(title, headers, _rows(sub, "imports", cells))


@dataclass(frozen=True)
class Target:
    """One line of the target table: how to get the value, its limit, how to print it."""

    label: str
    value: Callable[[Results, Case], float | None]
    limit: Callable[[Case], float | None]
    show: Callable[[float], str]


def _imp(key: str, scale: float) -> Callable[[Results, Case], float | None]:
    def get(res: Results, c: Case) -> float | None:
        imp = res.imports.get(c.name)
        return imp[key] * scale if imp else None

    return get


def _no_heavy(res: Results, c: Case) -> float | None:
    imp = res.imports.get(c.name)
    return None if imp is None else float(_heavy(imp) != "none")


# The target (issue "performance at the floor"): what our adapter adds above the thinnest
# model of its framework is at most this share of what the framework's usual OpenAI
# client (the peer) adds above the same floor, per call and per streamed event.
SHARE_LIMIT = 0.03

TARGETS = (
    Target("import ≤ +100 ms", _imp("import_s", 1e3), lambda c: 100, lambda v: f"{v:.0f} ms"),
    Target("import ≤ +15 MB RSS", _imp("rss_bytes", 1 / MB), lambda c: 15, lambda v: f"{v:.1f} MB"),
    Target("imports openai/tiktoken: no", _no_heavy, lambda c: 0, lambda v: "yes" if v else "no"),
    Target("construct ≤ 5 ms", _imp("construct_s", 1e3), lambda c: 5, lambda v: f"{v:.2f} ms"),
)


def target_table(res: Results) -> str:
    ours = [c for c in res.cases if c.ours]
    rows = []
    for t in TARGETS:
        row = [t.label]
        for c in ours:
            v = t.value(res, c)
            if v is None:
                row.append(res.status.get(c.name, "not measured").split(":")[0])
            else:
                limit = t.limit(c)
                verdict = "" if limit is None else " met" if v <= limit else " MISSED"
                row.append(t.show(v) + verdict)
        rows.append(row)
    return table("Targets (this run)", ["target", *(c.name for c in ours)], rows)


def _spread(diffs: list[float]) -> float:
    """Half the interquartile range of paired differences: how far a typical round strays."""
    if len(diffs) < 4:
        return max(diffs) - min(diffs) if len(diffs) > 1 else 0.0
    q1, _, q3 = statistics.quantiles(diffs, n=4)
    return (q3 - q1) / 2


_FLOOR_MEASURES = (
    ("sync", "invoke", "per call", "", 0),
    ("sync", "event", "per event", "", 1),
    ("aio", "c20", "async c20, per call", UNLIMITED, 0),
    ("aio", "c200", "async c200, per call", UNLIMITED, 0),
)


def floor_rows(res: Results, c: Case) -> list[list[str]]:
    """One framework's rows: floor, ours and the peer above it, the share, the verdict."""
    peer = next((p for p in res.cases if p.name == c.peer), None)
    rows = []
    for part, key, label, suffix, decimals in _FLOOR_MEASURES:
        ours = res.paired(part, c.name + suffix, key, c.floor)
        theirs = res.paired(part, peer.name, key, c.floor) if peer else []
        floor = res.med(part, c.floor, key) if c.floor else None
        if not ours or floor is None:
            rows.append([f"{c.family} {label}", res.status.get(c.name, "not measured")])
            continue
        above, noise = statistics.median(ours), _spread(ours)
        peer_above = statistics.median(theirs) if theirs else None
        share = above / peer_above if peer_above else None
        verdict = _verdict(share, len(ours)) if part == "sync" else ""
        rows.append(
            [
                f"{c.family} {label}",
                _fmt(floor, f".{decimals}f", 1e6),
                f"{_fmt(above, f'+.{decimals + 1}f', 1e6)} ±{noise * 1e6:.{decimals + 1}f}",
                _fmt(peer_above, f"+.{decimals}f", 1e6),
                "—" if share is None else f"{share:+.1%}",
                verdict,
            ]
        )
    return rows


# Fewer paired rounds than this (``--quick`` has 2) cannot tell a few percent from noise.
MIN_ROUNDS_FOR_VERDICT = 20


def _verdict(share: float | None, rounds: int) -> str:
    if share is None:
        return ""
    if rounds < MIN_ROUNDS_FOR_VERDICT:
        return "too few rounds"
    return "met" if share <= SHARE_LIMIT else "MISSED"


def floor_table(res: Results) -> str:
    """Ours and the peer above each framework's floor: the issue's target, as shares."""
    rows = [row for c in res.cases if c.ours for row in floor_rows(res, c)]
    headers = ["framework, measure", "floor µs", "ours − floor µs", "peer − floor µs"]
    headers += ["share", f"≤{SHARE_LIMIT:.0%}"]
    title = "Above the framework floor (client CPU; paired per round, median ± half IQR)"
    note = (
        "\nshare = (ours − floor) ÷ (peer − floor); the target is the sync rows. Async rows "
        f"use our client with max_concurrency=0 ({UNLIMITED.strip()}), as the peers have no budget."
    )
    return table(title, headers, rows) + note


def _noise(res: Results, part: str, key: str) -> str:
    values = getattr(res, part).get(RAW, {}).get(key)
    if not values or len(values) < 2:
        return ""
    lo, hi, mid = min(values), max(values), statistics.median(values)
    return (
        f"\nNoise: raw httpx {key} ranged {lo * 1e6:.0f}–{hi * 1e6:.0f} µs across rounds "
        f"(spread {(hi - lo) / mid:.0%} of its median; deltas are paired per round)."
    )


def render(res: Results) -> str:
    """Return all tables, separated by blank lines."""
    sizes = res.sizes
    parts = [
        sync_table(res, sizes.rounds, sizes.long_chunks) + _noise(res, "sync", "invoke"),
        async_table(res, sizes.async_rounds) + _noise(res, "aio", "c20"),
    ]
    if res.imports:
        parts.append(import_table(res, sizes.import_reps))
    parts.append(floor_table(res))
    parts.append(target_table(res))
    if res.status:
        parts.append("\n".join(["Notes:", *(f"  {n}: {s}" for n, s in res.status.items())]))
    return "\n\n".join(parts)
