"""Resources have one owner: dropped streams, streams on temporary models, the end marker.

Run with the cyclic garbage collector off where the promise is "by reference counting
alone": a stream dropped unfinished must give back its concurrency slot at once, or the next
call on a ``max_concurrency=1`` client waits forever (a call waiting for a slot allocates
nothing, so the collector might never run).
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_local import LocalServer
from modelslab_transport import AsyncModelsLabClient, ModelsLabClient

from .rawserver import COMMENTS, HOLD, RawServer, Step

REQUEST: Any = {
    "model": "baidu-ernie-4.5-vl-28b-a3b",
    "messages": [{"role": "user", "content": "Count to 5."}],
}
WATCHDOG = 15.0


@pytest.fixture
def no_gc() -> Iterator[None]:
    """The cyclic collector off for the test: only reference counting frees objects."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def _within(seconds: float, work: Callable[[], object]) -> object:
    """Run ``work`` in a thread; fail (instead of hanging the suite) if it takes too long."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s: a slot was never freed"
    return result[0]


# ------------------------------------------------------------------ dropped streams


def _drop_after_first(client: ModelsLabClient) -> None:
    stream = client.stream_chat(REQUEST)
    next(stream)
    del stream


def _break_in_a_function(client: ModelsLabClient) -> None:
    for _ in client.stream_chat(REQUEST):
        break


def _drop_unstarted(client: ModelsLabClient) -> None:
    client.stream_chat(REQUEST)


@pytest.mark.parametrize("drop", [_drop_after_first, _break_in_a_function, _drop_unstarted])
def test_a_dropped_sync_stream_frees_its_slot_by_reference_counting(
    server: LocalServer, no_gc: None, drop: Callable[[ModelsLabClient], None]
) -> None:
    with ModelsLabClient(server.api_key, base_url=server.base_url, max_concurrency=1) as client:
        for _ in range(3):
            drop(client)
            answer: Any = _within(WATCHDOG, lambda: client.chat(REQUEST))
            assert answer["text"]


async def test_a_dropped_async_stream_frees_its_slot_by_reference_counting(
    server: LocalServer, no_gc: None
) -> None:
    client = AsyncModelsLabClient(server.api_key, base_url=server.base_url, max_concurrency=1)
    try:
        for started in (True, False, True):
            stream = await client.stream_chat(REQUEST)
            if started:
                await anext(stream)
            del stream
            answer = await asyncio.wait_for(client.chat(REQUEST), WATCHDOG)
            assert answer["text"]
    finally:
        await client.aclose()


def test_a_dropped_llama_index_stream_frees_its_slot(server: LocalServer, no_gc: None) -> None:
    llm = ModelsLabLLM(api_key=server.api_key, base_url=server.base_url, max_concurrency=1)
    messages = [ChatMessage(role="user", content="Count to 5.")]
    with llm:
        for _ in range(2):
            responses = llm.stream_chat(messages)  # the request is sent here, not on iteration
            del responses
            reply: Any = _within(WATCHDOG, lambda: llm.chat(messages))
            assert reply.message.content


async def test_a_dropped_llama_index_async_stream_frees_its_slot(
    server: LocalServer, no_gc: None
) -> None:
    llm = ModelsLabLLM(api_key=server.api_key, base_url=server.base_url, max_concurrency=1)
    messages = [ChatMessage(role="user", content="Count to 5.")]
    async with llm:
        for _ in range(2):
            responses = await llm.astream_chat(messages)
            del responses
            reply = await asyncio.wait_for(llm.achat(messages), WATCHDOG)
            assert reply.message.content


def test_a_langchain_stream_left_unfinished_frees_its_slot(
    server: LocalServer, no_gc: None
) -> None:
    model = ChatModelsLab(api_key=server.api_key, base_url=server.base_url, max_concurrency=1)
    with model:
        for _ in range(2):
            chunks = model.stream("Count to 5.")
            next(chunks)
            chunks.close()  # what a for loop's break does to a generator it owns
            del chunks
            reply: Any = _within(WATCHDOG, lambda: model.invoke("Count to 5."))
            assert reply.text


# --------------------------------------------------------- streams on temporary models


def _settings(server: LocalServer) -> dict[str, Any]:
    return {"api_key": server.api_key, "base_url": server.base_url}


def test_a_stream_on_a_temporary_llama_index_model_completes(server: LocalServer) -> None:
    messages = [ChatMessage(role="user", content="Count to 5.")]
    contents = []
    for response in ModelsLabLLM(**_settings(server)).stream_chat(messages):
        gc.collect()  # the model is garbage now: its clients must live on for the stream
        contents.append(response.message.content or "")
    assert "5" in contents[-1]


async def test_an_async_stream_on_a_temporary_llama_index_model_completes(
    server: LocalServer,
) -> None:
    messages = [ChatMessage(role="user", content="Count to 5.")]
    contents = []
    async for response in await ModelsLabLLM(**_settings(server)).astream_chat(messages):
        gc.collect()
        await asyncio.sleep(0)  # let the loop run anything the collection scheduled
        contents.append(response.message.content or "")
    assert "5" in contents[-1]


def test_a_stream_on_a_temporary_langchain_model_completes(server: LocalServer) -> None:
    text = ""
    for chunk in ChatModelsLab(**_settings(server)).stream("Count to 5."):
        gc.collect()
        text += chunk.text
    assert "5" in text


async def test_an_async_stream_on_a_temporary_langchain_model_completes(
    server: LocalServer,
) -> None:
    text = ""
    async for chunk in ChatModelsLab(**_settings(server)).astream("Count to 5."):
        gc.collect()
        await asyncio.sleep(0)
        text += chunk.text
    assert "5" in text


def test_a_stream_outlives_a_settings_change_of_its_model(server: LocalServer) -> None:
    model = ChatModelsLab(**_settings(server))
    chunks = model.stream("Count to 5.")
    first = next(chunks)
    model.max_retries = 0  # rebuilds the clients for the next call; this stream reads on
    gc.collect()
    assert "5" in first.text + "".join(c.text for c in chunks)
    model.close()


# ------------------------------------------------------------------ the end marker

_EVENT = b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'
_STOP = b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
_DONE = b"data: [DONE]\n\n"


def _script(after: Step) -> Callable[[bytes], list[Step]]:
    return lambda body: [_EVENT, _STOP, _DONE, after]


@pytest.mark.parametrize("after", [HOLD, COMMENTS], ids=["body-held-open", "comments-after"])
def test_iteration_ends_at_the_end_marker_sync(after: Step) -> None:
    with RawServer(_script(after)) as raw:
        client = ModelsLabClient("k", base_url=raw.base_url, timeout=20)
        with client:
            started = time.monotonic()
            texts = [d.get("text") for d in client.stream_chat(REQUEST)]
            elapsed = time.monotonic() - started
    assert texts[0] == "hi"
    assert elapsed < 5, f"the stream ended {elapsed:.1f} s after it began (read timeout 20 s)"


@pytest.mark.parametrize("after", [HOLD, COMMENTS], ids=["body-held-open", "comments-after"])
async def test_iteration_ends_at_the_end_marker_async(after: Step) -> None:
    with RawServer(_script(after)) as raw:
        async with AsyncModelsLabClient("k", base_url=raw.base_url, timeout=20) as client:
            started = time.monotonic()
            texts = [d.get("text") async for d in await client.stream_chat(REQUEST)]
            elapsed = time.monotonic() - started
    assert texts[0] == "hi"
    assert elapsed < 5, f"the stream ended {elapsed:.1f} s after it began (read timeout 20 s)"


def test_a_complete_body_keeps_its_connection_sync() -> None:
    with RawServer(_script(b"")) as raw:
        with ModelsLabClient("k", base_url=raw.base_url, timeout=20) as client:
            for _ in range(3):
                texts = [d.get("text") for d in client.stream_chat(REQUEST)]
                assert texts[0] == "hi"
        assert raw.connections == 1


async def test_a_complete_body_keeps_its_connection_async() -> None:
    with RawServer(_script(b"")) as raw:
        async with AsyncModelsLabClient("k", base_url=raw.base_url, timeout=20) as client:
            for _ in range(3):
                texts = [d.get("text") async for d in await client.stream_chat(REQUEST)]
                assert texts[0] == "hi"
        assert raw.connections == 1
