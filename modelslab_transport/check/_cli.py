"""``modelslab-check``: run the battery against your key and model, print a table or JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import httpx

from .. import DEFAULT_MODEL, ModelsLabClient, ModelsLabError, estimate_cost
from ._cassette import CassetteRecorder, CassetteReplayer
from ._probes import Probe, ProbeContext, probes_for

__all__ = ["main", "run_battery"]

_HOW = "set MODELSLAB_API_KEY and run: modelslab-check --model MODEL (or --replay DIR)"
_REPLAY_KEY = "modelslab-check-replay"  # any key: the replayed answers do not look at it


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelslab-check",
        description="Check what ModelsLab's LLM API does for your key and model.",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL, help="model id (default %(default)s)")
    parser.add_argument(
        "--api-format", choices=["openai", "anthropic", "both"], default="both",
        help="which endpoint(s) to probe (default %(default)s)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print a JSON report at the end")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--record", metavar="DIR", type=Path, help="write vcrpy cassettes here")
    group.add_argument("--replay", metavar="DIR", type=Path, help="answer from cassettes")
    parser.add_argument("--base-url", default=None, help="default: $MODELSLAB_BASE_URL")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    return parser


def _run_probe(probe: Probe, ctx: ProbeContext) -> dict[str, Any]:
    started = time.monotonic()
    try:
        outcome, detail, contradiction = probe.run(ctx)
    except ModelsLabError as error:
        outcome, detail, contradiction = "fails", f"{type(error).__name__}: {error}", None
    return {
        "name": probe.name,
        "outcome": outcome,
        "detail": detail,
        "contradiction": contradiction,
        "seconds": round(time.monotonic() - started, 2),
    }


def run_battery(
    client: ModelsLabClient,
    wrong_key_client: ModelsLabClient,
    model: str,
    formats: list[str],
    *,
    cassettes: CassetteRecorder | CassetteReplayer | None = None,
    out: TextIO | None = None,
) -> dict[str, Any]:
    """Run every probe in order and return the report (``probes``, ``cost_usd``, ``model``).

    Args:
        client: The client for the key under test.
        wrong_key_client: A client with a key the API must refuse.
        model: The model id probed.
        formats: ``["openai"]``, ``["anthropic"]`` or both.
        cassettes: The recorder or replayer the clients' transport is (each probe its own
            cassette, named after the probe).
        out: Where the table goes as the probes run (``None``: nowhere).
    """
    ctx = ProbeContext(client, wrong_key_client, model)
    battery = probes_for(formats)
    results = []
    for number, probe in enumerate(battery, 1):
        if cassettes is not None:
            cassettes.start(probe.name)
        result = _run_probe(probe, ctx)
        results.append(result)
        if out is not None:
            mark = f" (settles §10.{result['contradiction']})" if result["contradiction"] else ""
            print(
                f"[{number:2}/{len(battery)}] {probe.name:26} {result['outcome']:8} "
                f"{result['detail']}{mark}",
                file=out,
                flush=True,
            )
    if cassettes is not None:
        cassettes.flush()
    costs = [estimate_cost(model, usage) for usage in ctx.usages]
    cost = None if any(c is None for c in costs) else round(sum(c or 0.0 for c in costs), 6)
    return {"model": model, "formats": formats, "probes": results, "cost_usd": cost}


def _clients(
    args: argparse.Namespace, key: str, transport: httpx.BaseTransport | None
) -> tuple[ModelsLabClient, ModelsLabClient]:
    base_url = args.base_url or os.environ.get("MODELSLAB_BASE_URL") or None
    common: dict[str, Any] = {
        "base_url": base_url,
        "timeout": args.timeout,
        "max_retries": 1,
        "transport": transport,
    }
    return (
        ModelsLabClient(key, **common),
        ModelsLabClient("modelslab-check-wrong-key", **common),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: 0 when the battery ran (whatever its outcomes), 2 when it could not."""
    args = _parser().parse_args(argv)
    key = os.environ.get("MODELSLAB_API_KEY", "")
    if not key and args.replay is None:
        print(f"modelslab-check: no key; {_HOW}", file=sys.stderr)
        return 2
    formats = ["openai", "anthropic"] if args.api_format == "both" else [args.api_format]
    try:
        cassettes: CassetteRecorder | CassetteReplayer | None = None
        if args.replay is not None:
            cassettes, key = CassetteReplayer(args.replay), key or _REPLAY_KEY
        elif args.record is not None:
            cassettes = CassetteRecorder(args.record, key)
        client, wrong = _clients(args, key, cassettes)
    except ModelsLabError as error:
        print(f"modelslab-check: {error}", file=sys.stderr)
        return 2
    table = sys.stderr if args.json else sys.stdout
    print(f"modelslab-check: {args.model}, {' + '.join(formats)}", file=table, flush=True)
    with client, wrong:
        report = run_battery(client, wrong, args.model, formats, cassettes=cassettes, out=table)
    if cassettes is not None:
        cassettes.close()
    counts = {o: sum(p["outcome"] == o for p in report["probes"]) for o in ("ok", "differs")}
    spent = "unknown (no catalog price)" if report["cost_usd"] is None else f"${report['cost_usd']}"
    print(
        f"{len(report['probes'])} probes: {counts['ok']} ok, {counts['differs']} differ; "
        f"spent {spent} at list prices",
        file=table,
    )
    if args.json:
        print(json.dumps(report, indent=2))
    return 0
