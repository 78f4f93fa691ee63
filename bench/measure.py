"""Measured loops: client-process CPU per call, per streamed event, and under concurrency.

Only this process's CPU is counted (``time.process_time``): the server runs in another
process, so its work and the loopback round trip do not show. Clients take turns within each
round (the order rotates every round) so that machine noise spreads over all of them alike;
results keep one sample per round, and the report takes medians.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench.clients import AsyncDriver, SyncDriver

Samples = dict[str, dict[str, list[float]]]
Log = Callable[[str], None]


@dataclass(frozen=True)
class Sizes:
    """How much work one run does; ``quick()`` is the CI smoke size.

    Rounds are many and short: in each, every client takes its turn (``invoke_calls`` calls,
    ``stream_calls`` long and short streams; async: bursts of 20 and 200), so that the
    samples of one round cover the same moment for every client, and differences paired per
    round cancel the machine's drift (see ``report.py``).
    """

    rounds: int = 80
    invoke_calls: int = 16
    stream_calls: int = 1
    long_chunks: int = 220
    short_chunks: int = 20
    async_rounds: int = 12
    c20_batches: int = 3
    c200_batches: int = 1
    import_reps: int = 3
    warm_up: bool = True

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            rounds=2,
            invoke_calls=5,
            stream_calls=1,
            async_rounds=1,
            c20_batches=1,
            c200_batches=1,
            import_reps=1,
            warm_up=False,
        )


def settle() -> None:
    """Collect, then move every surviving object out of the collector's sight.

    Imported frameworks leave millions of long-lived objects; without ``gc.freeze`` each
    ``gc.collect`` below takes a tenth of a second and a full collection landing inside a
    measured loop charges one client for everyone's heap.
    """
    gc.collect()
    gc.freeze()


def _cpu(fn: Callable[[], object], calls: int) -> float:
    """CPU seconds of ``calls`` calls of ``fn`` (in total)."""
    start = time.process_time()
    for _ in range(calls):
        fn()
    return time.process_time() - start


def _rotated(names: list[str], r: int) -> list[str]:
    k = r % len(names) if names else 0
    return names[k:] + names[:k]


def warm_sync(drv: SyncDriver, sizes: Sizes) -> None:
    """Exercise every path once so that lazy imports, pools and caches are in place."""
    for _ in range(3):
        drv.invoke()
    drv.stream(sizes.long_chunks)
    drv.stream(sizes.short_chunks)


def _fail(drivers: dict[str, Any], errors: dict[str, str], name: str, exc: Exception) -> None:
    errors[name] = f"error: {type(exc).__name__}: {exc}"
    drivers.pop(name, None)


def _record(samples: Samples, round_: dict[str, dict[str, float]]) -> None:
    """Append one round's value of every measure to each client's samples."""
    for name, values in round_.items():
        for key, value in values.items():
            samples[name].setdefault(key, []).append(value)


def _sync_round(
    drivers: dict[str, SyncDriver], sizes: Sizes, r: int, errors: dict[str, str]
) -> dict[str, dict[str, float]]:
    """One round: every client's turn of invoke calls and streams, in rotated order."""
    long_n, short_n, n = sizes.long_chunks, sizes.short_chunks, sizes.stream_calls
    out = {}
    gc.collect()  # the last round's young garbage is nobody's cost in this one
    for name in _rotated(list(drivers), r):
        drv = drivers[name]
        try:
            invoke = _cpu(drv.invoke, sizes.invoke_calls)
            long_s = _cpu(partial(drv.stream, long_n), n)
            short_s = _cpu(partial(drv.stream, short_n), n)
        except Exception as exc:
            _fail(drivers, errors, name, exc)
            continue
        # The slope between two stream lengths is the per-event cost with the per-call part
        # (request, headers, set-up) cancelled out.
        out[name] = {
            "invoke": invoke / sizes.invoke_calls,
            "stream_call": long_s / n,
            "event": (long_s - short_s) / n / (long_n - short_n),
        }
    return out


def run_sync(
    drivers: dict[str, SyncDriver], sizes: Sizes, errors: dict[str, str], log: Log
) -> Samples:
    """Interleaved rounds of invoke and streams; a driver that raises is dropped and noted."""
    samples: Samples = {name: {} for name in drivers}
    for r in range(sizes.rounds):
        _record(samples, _sync_round(drivers, sizes, r, errors))
        if (r + 1) % 10 == 0 or r + 1 == sizes.rounds:
            log(f"sync round {r + 1}/{sizes.rounds}")
    return {name: s for name, s in samples.items() if name in drivers}


async def _cpu_concurrent(
    fn: Callable[[], Awaitable[object]], concurrency: int, batches: int
) -> tuple[float, float]:
    """CPU and wall seconds of ``batches`` bursts of ``concurrency`` calls (in total)."""
    start, wall = time.process_time(), time.perf_counter()
    for _ in range(batches):
        await asyncio.gather(*(fn() for _ in range(concurrency)))
    return time.process_time() - start, time.perf_counter() - wall


async def _async_round(
    drivers: dict[str, AsyncDriver], sizes: Sizes, r: int, errors: dict[str, str]
) -> dict[str, dict[str, float]]:
    """One round: every client's bursts of 20 and 200, in rotated order."""
    out: dict[str, dict[str, float]] = {}
    gc.collect()
    for name in _rotated(list(drivers), r):
        sample: dict[str, float] = {}
        try:
            for conc, batches in ((20, sizes.c20_batches), (200, sizes.c200_batches)):
                cpu, wall = await _cpu_concurrent(drivers[name].ainvoke, conc, batches)
                sample[f"c{conc}"], sample[f"c{conc}_wall"] = (
                    cpu / (conc * batches),
                    wall / (conc * batches),
                )
        except Exception as exc:
            _fail(drivers, errors, name, exc)
            continue
        out[name] = sample
    return out


async def run_async(
    drivers: dict[str, AsyncDriver], sizes: Sizes, errors: dict[str, str], log: Log
) -> Samples:
    """Interleaved rounds of 20 and 200 concurrent calls, each client on its own pool."""
    samples: Samples = {name: {} for name in drivers}
    for name in list(drivers):
        try:
            # Opens the pool's connections; without warm-up one call still checks the path.
            await _cpu_concurrent(drivers[name].ainvoke, 200 if sizes.warm_up else 1, 1)
        except Exception as exc:
            _fail(drivers, errors, name, exc)
    for r in range(sizes.async_rounds):
        _record(samples, await _async_round(drivers, sizes, r, errors))
        log(f"async round {r + 1}/{sizes.async_rounds}")
    return {name: s for name, s in samples.items() if name in drivers}
