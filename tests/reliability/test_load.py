"""Load: many concurrent streams and threads through one model; nothing lost, mixed or leaked.

Each request asks a different sum (``What is i + (1000 + i)?``), so an answer delivered to
the wrong caller, a lost chunk or a duplicated one fails the check on that caller's answer.
Where a test says how many streams are in flight at once, a :class:`_Gate` proves it: every
stream pauses after its first chunk until that many are open together (fewer would hang).
"""

from __future__ import annotations

import asyncio
import gc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_local import LocalServer
from modelslab_transport import DEFAULT_MAX_CONCURRENCY
from modelslab_transport._limit import pool_limits

from .harness import (
    FRAMEWORKS,
    AsyncCountingTransport,
    ConnectionRelay,
    Tally,
    ask,
    astream_pieces,
    check_sum,
    make_model,
)

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

MODEL = "baidu-ernie-4.5-vl-28b-a3b"  # a reasoning model: its streams carry more events
STREAMS = 200


def _operands(i: int) -> tuple[int, int]:
    return i, 1000 + i


async def _ask_all(model: Any, mode: str, count: int) -> None:
    async def one(i: int) -> None:
        a, b = _operands(i)
        check_sum(await ask(model, mode, f"What is {a} + {b}?"), a, b)

    await asyncio.gather(*(one(i) for i in range(count)))


class _Gate:
    """Counts streams that have their first chunk and are not finished; holds them at ``size``.

    Each stream waits after its first chunk until ``size`` streams are open at the same time,
    so passing the gate proves that many were in flight together. It opens once, for good.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.open = 0
        self.peak = 0
        self._full = asyncio.Event()

    async def enter(self) -> None:
        self.open += 1
        self.peak = max(self.peak, self.open)
        if self.open >= self.size:
            self._full.set()
        try:
            await asyncio.wait_for(self._full.wait(), 20)
        except asyncio.TimeoutError:  # the builtin only from Python 3.11
            raise AssertionError(
                f"only {self.peak} streams were ever in flight at once, not {self.size}"
            ) from None

    def leave(self) -> None:
        self.open -= 1


async def _stream_all_through(model: Any, count: int, gate: _Gate) -> None:
    async def one(i: int) -> None:
        a, b = _operands(i)
        pieces: list[str] = []
        async for piece in astream_pieces(model, f"What is {a} + {b}?"):
            if not pieces:
                await gate.enter()
            pieces.append(piece)
        gate.leave()
        check_sum("".join(pieces), a, b)

    # One failure cancels (and awaits) the others, as a TaskGroup would (Python 3.11+).
    tasks = [asyncio.ensure_future(one(i)) for i in range(count)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.parametrize("budget", [None, 40], ids=["default-budget", "budget-40"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_concurrent_async_streams_through_one_model(
    wired: Any, framework: str, budget: int | None
) -> None:
    model, tally = wired(framework, model=MODEL, max_concurrency=budget)
    await asyncio.wait_for(_ask_all(model, "astream", STREAMS), 60)
    limit = budget or DEFAULT_MAX_CONCURRENCY
    assert tally.sent == STREAMS
    assert tally.open == 0
    assert 1 <= tally.peak <= limit  # never more requests in flight than the budget


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_200_streams_in_flight_at_once_with_an_unlimited_budget(
    server: LocalServer, framework: str
) -> None:
    """``max_concurrency=0`` puts no cap of its own: all 200 streams are on the wire together.

    The injected client's pool is sized for them (its limits, not the model's, apply to an
    injected client); each stream uses exactly one connection and gets its own answer.
    """
    gate = _Gate(STREAMS)
    tally = Tally()
    limits = httpx.Limits(max_connections=STREAMS, max_keepalive_connections=20)
    async with (
        ConnectionRelay(server) as relay,
        httpx.AsyncClient(transport=AsyncCountingTransport(tally, limits)) as ahttp,
    ):
        model = make_model(
            framework,
            None,
            ahttp,
            api_key=server.api_key,
            base_url=relay.base_url,
            model=MODEL,
            max_concurrency=0,
        )
        await asyncio.wait_for(_stream_all_through(model, STREAMS, gate), 60)
    assert gate.peak == STREAMS
    assert (tally.sent, tally.peak, tally.open) == (STREAMS, STREAMS, 0)
    # One connection per stream, all open together; no retry or reconnect added any.
    assert (relay.accepted, relay.peak) == (STREAMS, STREAMS)
    gc.collect()  # an unclosed socket would warn here (ResourceWarning is an error)


OWN_POOL = pool_limits(None)  # the pool a model builds for itself with an unlimited budget


@pytest.mark.parametrize(
    ("budget", "in_flight", "most_connections"),
    [
        (None, DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_CONCURRENCY),
        # Fewer kept alive than in flight: a burst of finished streams closes the surplus
        # and the waiting streams open new connections, up to one per stream.
        (0, OWN_POOL.max_connections, STREAMS),
    ],
    ids=["default-budget", "unlimited-budget"],
)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_concurrent_async_streams_on_the_models_own_clients(
    server: LocalServer, framework: str, budget: int | None, in_flight: int, most_connections: int
) -> None:
    """The model's own pool: never more connections at once than allowed, none left behind.

    With the default budget, the budget's connections carry all 200 streams. With
    ``max_concurrency=0`` the pool's ``max_connections`` caps what is on the wire (the rest
    wait for a connection), and once done at most ``max_keepalive_connections`` stay open.
    """
    gate = _Gate(in_flight)
    async with ConnectionRelay(server) as relay:
        common = {"api_key": server.api_key, "base_url": relay.base_url, "model": MODEL}
        cls: Any = ChatModelsLab if framework == "langchain" else ModelsLabLLM
        model = cls(**common, max_concurrency=budget)
        try:
            await asyncio.wait_for(_stream_all_through(model, STREAMS, gate), 60)
            assert relay.peak == in_flight  # the gate proves >=, the pool must ensure <=
            assert in_flight <= relay.accepted <= most_connections
            kept = await relay.settle(lambda: relay.open <= OWN_POOL.max_keepalive_connections)
            assert kept, f"{relay.open} idle connections kept"
        finally:
            await model.aclose()
            model.close()
        assert await relay.settle(lambda: relay.open == 0), f"{relay.open} left open"
    gc.collect()


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_plain_calls_reuse_pooled_connections(wired: Any, framework: str) -> None:
    model, tally = wired(framework, model=MODEL)
    await asyncio.wait_for(_ask_all(model, "ainvoke", 50), 60)
    assert tally.open == 0
    assert tally.connections <= DEFAULT_MAX_CONCURRENCY


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_streams_reuse_pooled_connections(wired: Any, framework: str) -> None:
    model, tally = wired(framework, model=MODEL)
    await asyncio.wait_for(_ask_all(model, "astream", 20), 60)
    assert tally.open == 0
    assert tally.connections <= DEFAULT_MAX_CONCURRENCY


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_one_model_from_eight_threads(wired: Any, framework: str) -> None:
    model, tally = wired(framework, model=MODEL)
    modes = ["invoke", "stream"]

    def work(thread: int) -> None:
        for n in range(6):
            a, b = _operands(thread * 100 + n)
            answer = asyncio.run(ask(model, modes[n % 2], f"What is {a} + {b}?"))
            check_sum(answer, a, b)

    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(work, t) for t in range(8)]:
            future.result(timeout=60)
    assert tally.sent == 48
    assert tally.open == 0
    assert tally.peak <= DEFAULT_MAX_CONCURRENCY
