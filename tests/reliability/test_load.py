"""Load: many concurrent streams and threads through one model; nothing lost, mixed or leaked.

Each request asks a different sum (``What is i + (1000 + i)?``), so an answer delivered to
the wrong caller, a lost chunk or a duplicated one fails the check on that caller's answer.
"""

from __future__ import annotations

import asyncio
import gc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_local import LocalServer
from modelslab_transport import DEFAULT_MAX_CONCURRENCY

from .harness import FRAMEWORKS, ask, check_sum

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
async def test_concurrent_async_streams_on_the_models_own_clients(
    server: LocalServer, framework: str
) -> None:
    common = {"api_key": server.api_key, "base_url": server.base_url, "model": MODEL}
    model: Any = ChatModelsLab(**common) if framework == "langchain" else ModelsLabLLM(**common)
    try:
        await asyncio.wait_for(_ask_all(model, "astream", STREAMS), 60)
    finally:
        await model.aclose()
        model.close()
    gc.collect()


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
