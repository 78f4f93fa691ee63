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

    A sync round gives every client ``invoke_calls`` calls and ``stream_calls`` long and short
    streams, handed out in ``slices`` turns (clients alternate every slice), so that the
    samples of one round cover the same seconds for every client and paired differences
    cancel the machine's drift.
    """

    rounds: int = 9
    slices: int = 8
    invoke_calls: int = 96
    stream_calls: int = 8
    long_chunks: int = 220
    short_chunks: int = 20
    async_rounds: int = 5
    c20_batches: int = 10
    c200_batches: int = 2
    import_reps: int = 3
    warm_up: bool = True

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            rounds=2,
            slices=1,
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


def _split(total: int, parts: int) -> list[int]:
    """``total`` as ``parts`` near-equal whole numbers (some may be 0)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _sync_round(
    drivers: dict[str, SyncDriver], sizes: Sizes, r: int, errors: dict[str, str]
) -> dict[str, dict[str, float]]:
    """One round: every client's invoke and stream work, in alternating slices."""
    long_n, short_n = sizes.long_chunks, sizes.short_chunks
    spent = {name: [0.0, 0.0, 0.0] for name in drivers}  # invoke, long, short
    calls = _split(sizes.invoke_calls, sizes.slices)
    streams = _split(sizes.stream_calls, sizes.slices)
    for s in range(sizes.slices):
        gc.collect()  # young garbage of the last slice is nobody's cost in this one
        for name in _rotated(list(drivers), r + s):
            drv = drivers[name]
            try:
                spent[name][0] += _cpu(drv.invoke, calls[s])
                spent[name][1] += _cpu(partial(drv.stream, long_n), streams[s])
                spent[name][2] += _cpu(partial(drv.stream, short_n), streams[s])
            except Exception as exc:
                _fail(drivers, errors, name, exc)
    out = {}
    for name in drivers:
        invoke, long_s, short_s = spent[name]
        n = sizes.stream_calls
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
        for name, round_ in _sync_round(drivers, sizes, r, errors).items():
            for key, value in round_.items():
                samples[name].setdefault(key, []).append(value)
        log(f"sync round {r + 1}/{sizes.rounds}")
    return {name: s for name, s in samples.items() if name in drivers}


async def _cpu_concurrent(
    fn: Callable[[], Awaitable[object]], concurrency: int, batches: int
) -> tuple[float, float]:
    gc.collect()
    start, wall = time.process_time(), time.perf_counter()
    for _ in range(batches):
        await asyncio.gather(*(fn() for _ in range(concurrency)))
    calls = concurrency * batches
    return (time.process_time() - start) / calls, (time.perf_counter() - wall) / calls


async def _async_round(drv: AsyncDriver, sizes: Sizes) -> dict[str, float]:
    out: dict[str, float] = {}
    for conc, batches in ((20, sizes.c20_batches), (200, sizes.c200_batches)):
        out[f"c{conc}"], out[f"c{conc}_wall"] = await _cpu_concurrent(drv.ainvoke, conc, batches)
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
        for name in _rotated(list(drivers), r):
            try:
                round_ = await _async_round(drivers[name], sizes)
            except Exception as exc:
                _fail(drivers, errors, name, exc)
                continue
            for key, value in round_.items():
                samples[name].setdefault(key, []).append(value)
        log(f"async round {r + 1}/{sizes.async_rounds}")
    return {name: s for name, s in samples.items() if name in drivers}
