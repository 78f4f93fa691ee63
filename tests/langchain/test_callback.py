"""get_modelslab_callback(): tokens and dollars over a block, sync, async and threaded."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, LLMResult

from langchain_modelslab import ChatModelsLab, ModelsLabCallbackHandler, get_modelslab_callback
from modelslab_transport import estimate_cost

MODEL = "baidu-ernie-4.5-vl-28b-a3b"  # priced in the catalog


def _expected_cost(handler: ModelsLabCallbackHandler) -> float:
    cost = estimate_cost(
        MODEL, {"input_tokens": handler.prompt_tokens, "output_tokens": handler.completion_tokens}
    )
    assert cost is not None
    return cost


def test_totals_invoke_and_stream(make_model: Callable[..., ChatModelsLab]) -> None:
    model = make_model(model=MODEL)
    with get_modelslab_callback() as cb:
        first = model.invoke("hello")
        chunks = list(model.stream("hello"))
    assert first.usage_metadata is not None
    streamed = sum((c.usage_metadata or {}).get("total_tokens", 0) for c in chunks)
    assert cb.successful_requests == 2
    assert cb.total_tokens == first.usage_metadata["total_tokens"] + streamed
    assert cb.prompt_tokens + cb.completion_tokens == cb.total_tokens
    assert cb.reasoning_tokens > 0  # the local server reports reasoning tokens
    assert cb.total_cost == pytest.approx(_expected_cost(cb))
    assert cb.total_cost > 0
    assert cb.unpriced_requests == 0
    assert set(cb.usage_by_model) == {MODEL}
    assert "Tokens Used" in repr(cb)
    model.invoke("outside the block")
    assert cb.successful_requests == 2


async def test_async_and_concurrent(make_model: Callable[..., ChatModelsLab]) -> None:
    model = make_model(model=MODEL)
    with get_modelslab_callback() as cb:
        await asyncio.gather(*(model.ainvoke(f"question {i}") for i in range(5)))
        _ = [c async for c in model.astream("one more")]
    assert cb.successful_requests == 6
    assert cb.total_cost == pytest.approx(_expected_cost(cb))


def test_batch_threads_are_counted(make_model: Callable[..., ChatModelsLab]) -> None:
    model = make_model(model=MODEL)
    with get_modelslab_callback() as cb:
        model.batch([f"q{i}" for i in range(8)], config={"max_concurrency": 4})
    assert cb.successful_requests == 8


def test_handler_is_thread_safe() -> None:
    """Concurrent on_llm_end calls lose no update.

    A tiny switch interval makes the interpreter change threads between the read and the write
    of each ``+=`` and around ``add_usage`` in ``record``; without the handler's lock this
    loses updates in practically every run.
    """
    handler = ModelsLabCallbackHandler()
    usage = UsageMetadata(
        input_tokens=3,
        output_tokens=2,
        total_tokens=5,
        input_token_details={"cache_read": 1},
        output_token_details={"reasoning": 1},
    )
    message = AIMessage(
        "x",
        usage_metadata=usage,
        response_metadata={"model_provider": "modelslab", "model_name": MODEL},
    )
    result = LLMResult(generations=[[ChatGeneration(message=message)]])
    threads, calls = 8, 2000
    barrier = threading.Barrier(threads)

    def work() -> None:
        barrier.wait()  # all threads start together, so they really overlap
        for _ in range(calls):
            handler.on_llm_end(result)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [threading.Thread(target=work) for _ in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    n = threads * calls
    assert handler.successful_requests == n
    assert (handler.prompt_tokens, handler.completion_tokens, handler.total_tokens) == (
        3 * n,
        2 * n,
        5 * n,
    )
    assert (handler.cached_tokens, handler.reasoning_tokens) == (n, n)
    assert handler.usage_by_model[MODEL]["total_tokens"] == 5 * n
    assert handler.total_cost == pytest.approx(n * (estimate_cost(MODEL, dict(usage)) or 0))  # type: ignore[arg-type]


def test_nested_blocks_both_count(make_model: Callable[..., ChatModelsLab]) -> None:
    model = make_model(model=MODEL)
    with get_modelslab_callback() as outer:
        model.invoke("a")
        with get_modelslab_callback() as inner:
            model.invoke("b")
    assert (outer.successful_requests, inner.successful_requests) == (2, 1)


def test_unpriced_models_and_other_providers(make_model: Callable[..., ChatModelsLab]) -> None:
    other = GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(
                    "x", usage_metadata={"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}
                )
            ]
        )
    )
    with get_modelslab_callback() as cb:
        make_model(model="qwen-qwen-max").invoke("hello")  # no price in the catalog
        other.invoke("not ModelsLab")
    assert cb.successful_requests == 1
    assert cb.unpriced_requests == 1
    assert cb.total_cost == 0.0
    assert cb.total_tokens > 0
