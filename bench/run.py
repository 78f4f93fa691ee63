"""Benchmark entry point: ``python -m bench [--quick] [--only NAME ...] [--json PATH]``.

One run starts the bench server in a child process, then measures every client in the same
process with interleaved rounds: sync invoke and streams, async at 20 and 200 concurrent
requests, and import/construction cost in fresh interpreters. It prints tables of client CPU,
deltas and ratios to raw httpx and to each adapter's peer, and which targets were met.

It is a benchmark, not a test: it never fails on a number. It exits 1 only when a client
crashed, and a client whose package is not installed is reported as "not importable".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from importlib import metadata
from typing import Any

from bench import measure
from bench.clients import CASES, UNLIMITED, AsyncDriver, Case, SyncDriver
from bench.imports import measure_imports
from bench.report import Results, render
from bench.server import ServerProcess

_DISTS = (
    "httpx",
    "openai",
    "langchain-core",
    "langchain-openai",
    "llama-index-core",
    "llama-index-llms-openai-like",
    "modelslab-integrations",
)


def _log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _versions() -> str:
    found = []
    for dist in _DISTS:
        try:
            found.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            found.append(f"{dist} (not installed)")
    return ", ".join(found)


def _build(cases: Sequence[Case], url: str, status: dict[str, str], sync: bool) -> dict[str, Any]:
    """Build a driver per case; a missing package or a failing constructor becomes a status."""
    drivers: dict[str, Any] = {}
    for case in cases:
        if case.name in status or ("sync" if sync else "async") not in case.phases:
            continue
        try:
            drivers[case.name] = (case.make_sync if sync else case.make_async)(url)
        except ImportError as exc:
            status[case.name] = "not importable"
            _log(f"{case.name}: not importable ({exc})")
        except Exception as exc:
            status[case.name] = f"error: {type(exc).__name__}: {exc}"
    return drivers


def _sync_phase(cases: Sequence[Case], url: str, sizes: measure.Sizes, res: Results) -> None:
    drivers: dict[str, SyncDriver] = _build(cases, url, res.status, sync=True)
    for name, drv in list(drivers.items()):
        try:
            measure.warm_sync(drv, sizes)
        except Exception as exc:
            res.status[name] = f"error: {type(exc).__name__}: {exc}"
            del drivers[name]
    all_drivers = dict(drivers)
    measure.settle()
    res.sync = measure.run_sync(drivers, sizes, res.status, _log)
    for drv in all_drivers.values():
        drv.close()


async def _async_phase(cases: Sequence[Case], url: str, sizes: measure.Sizes, res: Results) -> None:
    drivers: dict[str, AsyncDriver] = _build(cases, url, res.status, sync=False)
    all_drivers = dict(drivers)
    measure.settle()
    res.aio = await measure.run_async(drivers, sizes, res.status, _log)
    for drv in all_drivers.values():
        await drv.aclose()


def _import_phase(cases: Sequence[Case], url: str, sizes: measure.Sizes, res: Results) -> None:
    for case in cases:
        if not case.target_import or case.name in res.status or "imports" not in case.phases:
            continue
        try:
            res.imports[case.name] = measure_imports(case, url, sizes.import_reps, sizes.warm_up)
        except Exception as exc:
            res.status[case.name] = f"import failed: {exc}"
        _log(f"imports measured: {case.name}")


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    names = [c.name for c in CASES if not c.name.endswith(UNLIMITED)]
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="CI smoke size (small counts)")
    p.add_argument("--rounds", type=int, help="sync rounds (default 80; quick 2)")
    p.add_argument("--only", nargs="+", choices=names, help="clients to run (raw httpx is kept)")
    p.add_argument("--skip-imports", action="store_true", help="skip the import measurements")
    p.add_argument("--json", metavar="PATH", help="also write the raw samples as JSON")
    p.add_argument("--profile", choices=names, help="profile one client instead of the run")
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> Results:
    """Run every phase and return the results (nothing printed but progress on stderr)."""
    sizes = measure.Sizes.quick() if args.quick else measure.Sizes()
    if args.rounds:
        # Async rounds are longer: as many in proportion as the default sizes have.
        share = max(1, args.rounds * sizes.async_rounds // sizes.rounds)
        sizes = replace(sizes, rounds=args.rounds, async_rounds=share)
    wanted = set(args.only or [c.name for c in CASES]) | {"raw httpx"}
    cases = [c for c in CASES if c.name.removesuffix(UNLIMITED) in wanted]
    res = Results(cases, status={}, sizes=sizes)
    with ServerProcess(chunks=sizes.long_chunks) as server:
        _log(f"server on {server.base_url}")
        _sync_phase(cases, server.base_url, sizes, res)
        asyncio.run(_async_phase(cases, server.base_url, sizes, res))
        if not args.skip_imports:
            _import_phase(cases, server.base_url, sizes, res)
    return res


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the tables; return the process exit code."""
    args = _parse(argv)
    if args.profile:
        from bench.profile import profile_case

        profile_case(next(c for c in CASES if c.name == args.profile))
        return 0
    started = time.perf_counter()
    res = run(args)
    print("ModelsLab client benchmark: client-process CPU (the server runs in its own process)")
    print(f"Python {platform.python_version()} on {platform.platform()}, ", end="")
    print(f"{os.cpu_count()} CPUs; {_versions()}")
    print()
    print(render(res))
    print(f"\n(run took {time.perf_counter() - started:.0f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(_dump(res), fh, indent=1)
    crashed = {n: s for n, s in res.status.items() if s.startswith(("error", "import failed"))}
    return 1 if crashed else 0


def _dump(res: Results) -> dict[str, Any]:
    return {
        "sizes": asdict(res.sizes),
        "status": res.status,
        "sync": res.sync,
        "async": res.aio,
        "imports": res.imports,
    }


if __name__ == "__main__":
    sys.exit(main())
