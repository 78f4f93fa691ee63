"""The adapters pass ``max_concurrency`` to their clients, and survive pickling into workers."""

from __future__ import annotations

import asyncio
import pickle
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM

from .conftest import SERVER_KEY, TOTAL, TaskPeak, ThreadPeak

PROMPTS = [f"What is {n} + 1?" for n in range(TOTAL)]
BASE = "https://api.example.test/api/v7/llm"


@pytest.mark.parametrize(("budget", "width"), [(2, 2), (None, 5), (0, TOTAL)])
def test_langchain_batch_stays_within_the_model_budget(budget: int | None, width: int) -> None:
    server = ThreadPeak(width)
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        model = ChatModelsLab(api_key="k", base_url=BASE, max_concurrency=budget, http_client=http)
        # LangChain runs up to TOTAL threads; the transport lets `width` of them through.
        answers = model.batch(PROMPTS, config={"max_concurrency": TOTAL})
        model.close()
    assert [a.text for a in answers] == ["Hello!"] * TOTAL
    assert server.peak == width


@pytest.mark.parametrize(("budget", "width"), [(3, 3), (None, 5)])
async def test_langchain_abatch_stays_within_the_model_budget(
    budget: int | None, width: int
) -> None:
    server = TaskPeak(width)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
        model = ChatModelsLab(
            api_key="k", base_url=BASE, max_concurrency=budget, http_async_client=http
        )
        answers = await model.abatch(PROMPTS, config={"max_concurrency": TOTAL})
    assert len(answers) == TOTAL
    assert server.peak == width


@pytest.mark.parametrize(("budget", "width"), [(3, 3), (None, 5), (0, TOTAL)])
async def test_llama_index_async_batch_stays_within_the_model_budget(
    budget: int | None, width: int
) -> None:
    server = TaskPeak(width)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
        llm = ModelsLabLLM(
            api_key="k", base_url=BASE, max_concurrency=budget, async_http_client=http
        )
        answers = await asyncio.gather(*(llm.acomplete(p) for p in PROMPTS))
    assert [a.text for a in answers] == ["Hello!"] * TOTAL
    assert server.peak == width


def test_llama_index_threads_stay_within_the_model_budget() -> None:
    server = ThreadPeak(2)
    with httpx.Client(transport=httpx.MockTransport(server)) as http:
        llm = ModelsLabLLM(api_key="k", base_url=BASE, max_concurrency=2, http_client=http)
        with ThreadPoolExecutor(TOTAL) as pool:
            answers = list(pool.map(llm.complete, PROMPTS))
        llm.close()
    assert len(answers) == TOTAL
    assert server.peak == 2


@pytest.mark.parametrize("bad", [-1, "many"])
def test_a_bad_budget_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        ChatModelsLab(api_key="k", base_url=BASE, max_concurrency=bad).invoke("hi")
    with pytest.raises(ValueError, match="max_concurrency"):
        ModelsLabLLM(api_key="k", base_url=BASE, max_concurrency=bad).complete("hi")


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_model_survives_pickling_into_a_worker_without_its_key_or_clients(
    server: Any, monkeypatch: pytest.MonkeyPatch, framework: str
) -> None:
    cls: Any = ChatModelsLab if framework == "langchain" else ModelsLabLLM
    ask = "invoke" if framework == "langchain" else "complete"
    model = cls(api_key=SERVER_KEY, base_url=server.base_url, max_concurrency=3)
    assert getattr(model, ask)("What is 2 + 3?").text == "2 + 3 = 5."  # its clients exist now
    payload = pickle.dumps(model)
    model.close()
    assert SERVER_KEY.encode() not in payload
    monkeypatch.setenv("MODELSLAB_API_KEY", SERVER_KEY)  # the worker's own environment
    clone = pickle.loads(payload)
    assert clone.max_concurrency == 3
    assert getattr(clone, ask)("What is 4 + 4?").text == "4 + 4 = 8."
    clone.close()
