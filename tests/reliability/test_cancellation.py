"""Streams that end early: cancelled, timed out, abandoned. The connection is always released.

"Released" is checked on the wire: the counting transport sees every response body closed
(the connection went back to the pool or was dropped), and with ``max_concurrency=1`` a
follow-up call only completes if the stream also gave its concurrency slot back.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from modelslab_local import LocalServer
from modelslab_transport import AsyncModelsLabClient, ChatRequest, ModelsLabClient

from .harness import FRAMEWORKS, AsyncCountingTransport, CountingTransport, Tally, ask, check_sum

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

MODEL = "google-gemini-2.5-flash"
LONG = "Write a long story about a lighthouse keeper."


def _astream(model: Any, prompt: str) -> AsyncIterator[Any]:
    """The framework's async stream of ``prompt`` (LlamaIndex's is awaited first)."""
    if hasattr(model, "astream_chat"):

        async def chat() -> AsyncIterator[Any]:
            async for response in await model.astream_chat(
                [ChatMessage(role="user", content=prompt)]
            ):
                yield response

        return chat()
    return model.astream(prompt)


def _stream(model: Any, prompt: str) -> Any:
    if hasattr(model, "stream_chat"):
        return model.stream_chat([ChatMessage(role="user", content=prompt)])
    return model.stream(prompt)


async def _until(condition: Any, seconds: float = 5.0) -> None:
    """Let the loop run until ``condition()`` holds (fails the test after ``seconds``)."""

    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - a counter set by the transport, no event
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), seconds)  # asyncio.timeout is Python 3.11+


async def _closed_after_gc(tally: Tally) -> None:
    """Collect garbage and run the loop until the finalizers closed every response.

    Each generator layer (ours, the framework's callback wrapper, a test's own) is finalized
    by the loop in a separate step, so this may take a few rounds.
    """
    for _ in range(50):
        gc.collect()
        await asyncio.sleep(0.01)
        if tally.open == 0:
            return
    assert tally.open == 0, "an abandoned stream kept its response open"


async def _still_usable(model: Any) -> None:
    """A normal call completes: with ``max_concurrency=1`` this proves the slot came back."""
    check_sum(await asyncio.wait_for(ask(model, "astream", "What is 4 + 5?"), 10), 4, 5)


@pytest.mark.parametrize("how", ["cancel", "wait_for"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_cancelled_stream_closes_its_connection(
    wired: Any, fault_id: str, framework: str, how: str
) -> None:
    # The first request stalls after its first chunk: the consumer is waiting mid-stream.
    fault = {"x-modelslab-fault": f"stall:3*1@{fault_id}"}
    model, tally = wired(framework, model=MODEL, default_headers=fault, max_concurrency=1)

    async def consume() -> None:
        async for _ in _astream(model, LONG):
            pass

    if how == "cancel":
        task = asyncio.ensure_future(consume())
        await _until(lambda: tally.open == 1)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(consume(), 0.3)
    assert tally.open == 0
    await _still_usable(model)
    assert tally.open == 0


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_async_stream_abandoned_after_a_break_is_closed(wired: Any, framework: str) -> None:
    model, tally = wired(framework, model=MODEL, max_concurrency=1)
    stream = _astream(model, LONG)
    async for _ in stream:
        break
    assert tally.open == 1
    # LlamaIndex's callback wrapper does not close the generator it wraps when it is closed
    # itself; the event loop's async-generator finalizer does, once it is dropped.
    del stream
    await _closed_after_gc(tally)
    await _still_usable(model)


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_sync_stream_abandoned_after_a_break_is_closed(wired: Any, framework: str) -> None:
    model, tally = wired(framework, model=MODEL, max_concurrency=1)
    stream = _stream(model, LONG)
    for _ in stream:
        break
    assert tally.open == 1
    del stream
    gc.collect()
    assert tally.open == 0
    check_sum(await ask(model, "stream", "What is 4 + 5?"), 4, 5)


async def test_llama_index_async_stream_never_iterated_is_closed(wired: Any) -> None:
    # ``astream_chat`` sends the request when awaited (so HTTP errors surface there); the
    # generator it returns may be dropped without ever being iterated.
    model, tally = wired("llama_index", model=MODEL, max_concurrency=1)
    responses = await model.astream_chat([ChatMessage(role="user", content=LONG)])
    assert tally.open == 1
    del responses
    await _closed_after_gc(tally)
    await _still_usable(model)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_transport_stream_dropped_unread_is_closed(server: LocalServer, kind: str) -> None:
    tally = Tally()
    request: ChatRequest = {"model": MODEL, "messages": [{"role": "user", "content": LONG}]}
    common: dict[str, Any] = {"api_key": server.api_key, "base_url": server.base_url}
    if kind == "sync":
        with ModelsLabClient(transport=CountingTransport(tally), **common) as client:
            stream: Any = client.stream_chat(request)
            assert tally.open == 1
            del stream
            gc.collect()
            assert tally.open == 0
        return
    async with AsyncModelsLabClient(transport=AsyncCountingTransport(tally), **common) as aclient:
        stream = await aclient.stream_chat(request)
        assert tally.open == 1
        del stream
        await _closed_after_gc(tally)
