"""``python -m bench --profile NAME``: where one client's CPU goes, per call and per event.

Runs the client against the bench server under ``cProfile`` (invoke loop, a long stream loop,
async batches of 20) and prints the functions with the most own time, in µs per call or per
event, so that a missed target can be traced to a file and function. The profiler's clock is
this process's CPU time, like the benchmark's: time spent waiting for the server is not
counted. Profiling inflates small functions; compare rows with each other, not with the
benchmark's totals.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.clients import Case
from bench.measure import Sizes, warm_sync
from bench.server import ServerProcess

_TOP = 25
_ROOT = str(Path(__file__).resolve().parent.parent)


def _lines(rows: list[tuple[float, float, int, str]], per: int) -> list[str]:
    out = [f"{'own µs':>9} {'cum µs':>9} {'calls':>7}  function"]
    for tottime, cumtime, ncalls, where in rows:
        short = where.split("site-packages/")[-1].replace(_ROOT + "/", "")
        own, cum = tottime / per * 1e6, cumtime / per * 1e6
        out.append(f"{own:9.1f} {cum:9.1f} {ncalls / per:7.1f}  {short}")
    return out


def _excluded(where: str) -> bool:
    # The project's virtualenv may live inside it; its site-packages are not ours.
    return "site-packages" in where or f"{_ROOT}/bench/" in where


def _top(prof: cProfile.Profile, per: int, unit: str) -> str:
    """Top functions by own time overall, then those of this project's packages."""
    rows = []
    raw = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    for (path, line, func), (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
        rows.append((tottime, cumtime, ncalls, f"{path}:{line}:{func}"))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows)
    ours = [r for r in rows if r[3].startswith(_ROOT) and not _excluded(r[3])]
    mine = sum(r[0] for r in ours)
    out = [f"total {total / per * 1e6:.1f} µs per {unit} (CPU, profiled)"]
    out += _lines(rows[:_TOP], per)
    out.append(f"-- this project's packages: {mine / per * 1e6:.1f} µs own time per {unit}")
    out += _lines(ours[:_TOP], per)
    return "\n".join(out)


def _profiled(fn: Callable[[], object], calls: int) -> cProfile.Profile:
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for _ in range(calls):
        fn()
    prof.disable()
    return prof


async def _profiled_async(
    make: Callable[[], Awaitable[object]], concurrency: int, batches: int
) -> cProfile.Profile:
    await asyncio.gather(*(make() for _ in range(concurrency)))
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for _ in range(batches):
        await asyncio.gather(*(make() for _ in range(concurrency)))
    prof.disable()
    return prof


def profile_case(case: Case, invoke_calls: int = 300, streams: int = 20, batches: int = 15) -> None:
    """Print the top own-time functions of ``case``: invoke, streaming, async at 20."""
    sizes = Sizes()
    with ServerProcess(chunks=sizes.long_chunks) as server:
        drv = case.make_sync(server.base_url)
        warm_sync(drv, sizes)
        inv = _profiled(drv.invoke, invoke_calls)
        n = sizes.long_chunks
        stream = _profiled(lambda: drv.stream(n), streams)
        drv.close()
        adrv = case.make_async(server.base_url)
        aio = asyncio.run(_profiled_async(adrv.ainvoke, 20, batches))
    print(f"== {case.name}: invoke ({invoke_calls} calls) ==")
    print(_top(inv, invoke_calls, "call"))
    print(f"\n== {case.name}: stream of {n} chunks ({streams} streams), per event ==")
    print(_top(stream, streams * n, "event"))
    print(f"\n== {case.name}: async, 20 concurrent ({batches} batches), per call ==")
    print(_top(aio, batches * 20, "call"))
