"""ModelsLabLLM end to end over loopback HTTP against the project's local server."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import threading
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from li_fakes import MODES, chat, complete, stream_chat, stream_complete, user
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock, ThinkingBlock

from modelslab_transport import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ContextWindowExceededError,
    RateLimitError,
    StreamTruncatedError,
)

FORMATS = ["openai", "anthropic"]
LONG = "Tell me a long story about a dragon."
T = TypeVar("T")


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Let the event loop run until ``condition()`` holds; fail after ``seconds``."""

    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - polled state set by finalizers, no event
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), seconds)  # asyncio.timeout is Python 3.11+


def _within(seconds: float, call: Callable[[], T]) -> T:
    """Run a blocking ``call`` in a daemon thread; fail (rather than hang) after ``seconds``."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(call())
        except BaseException as exc:  # handed to the test
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True).start()
    return future.result(timeout=seconds)


def _connection_events(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Connections opened and closed, from httpcore's DEBUG log (one record per event)."""
    names = [
        r.getMessage().split(" ", 1)[0] for r in caplog.records if r.name == "httpcore.connection"
    ]
    return [n for n in names if n in ("connect_tcp.complete", "close.complete")]


@pytest.mark.parametrize("api_format", FORMATS)
@pytest.mark.parametrize("mode", MODES)
async def test_chat_and_complete(make_llm: Any, mode: str, api_format: str) -> None:
    llm = make_llm(api_format=api_format)
    response = await chat(llm, mode, user("What is the capital of France?"))
    assert "Paris" in (response.message.content or "")
    assert response.additional_kwargs["prompt_tokens"] > 0
    assert response.additional_kwargs["completion_tokens"] > 0
    assert response.raw["usage"]
    completion = await complete(llm, mode, "What is the capital of France?")
    assert completion.text == response.message.content


@pytest.mark.parametrize("api_format", FORMATS)
@pytest.mark.parametrize("mode", MODES)
async def test_streams_are_cumulative(make_llm: Any, mode: str, api_format: str) -> None:
    llm = make_llm(api_format=api_format)
    whole = (await chat(llm, mode, user("Say hello"))).message.content
    responses = await stream_chat(llm, mode, user("Say hello"))
    assert len(responses) > 2
    assert responses[-1].message.content == whole
    assert "".join(r.delta or "" for r in responses) == whole
    assert responses[-1].additional_kwargs["total_tokens"] > 0
    completions = await stream_complete(llm, mode, "Say hello")
    assert completions[-1].text == whole
    assert "".join(c.delta or "" for c in completions) == whole


@pytest.mark.parametrize("mode", MODES)
async def test_reasoning_is_returned(llm: Any, mode: str) -> None:
    response = await chat(llm, mode, user("What is 2 + 2?"))
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking
    assert thinking[0].content
    streamed = await stream_chat(llm, mode, user("What is 2 + 2?"))
    deltas = "".join(r.additional_kwargs.get("thinking_delta", "") for r in streamed)
    assert deltas == thinking[0].content


@pytest.mark.parametrize("mode", MODES)
async def test_stop_and_max_tokens_are_honoured(make_llm: Any, mode: str) -> None:
    llm = make_llm(max_tokens=3)
    response = await chat(llm, mode, user("Tell me a long story about a dragon."))
    assert response.additional_kwargs["finish_reason"] == "length"
    usage = response.additional_kwargs["usage"]
    assert usage["output_tokens"] - usage["reasoning_tokens"] <= 3
    stopped = await chat(make_llm(), mode, user("What is the capital of France?"), stop=["Paris"])
    assert "Paris" not in (stopped.message.content or "")
    assert stopped.additional_kwargs["finish_reason"] == "stop"


@pytest.fixture
def jpeg(server: Any) -> bytes:
    """A 32x24 JPEG served by the local server."""
    return httpx.get(f"{server.url}/assets/image.jpg").content


# The endpoint each format posts to, and how an image part looks in its body.
IMAGE_WIRE = {
    "openai": ("/api/v7/llm/chat/completions", "image_url"),
    "anthropic": ("/api/v7/llm/v1/messages", "image"),
}


@pytest.mark.parametrize("api_format", FORMATS)
@pytest.mark.parametrize("mode", MODES)
async def test_images_from_url_path_and_bytes(
    wired_llm: Any, server: Any, mode: str, api_format: str, tmp_path: Path, jpeg: bytes
) -> None:
    llm, wire = wired_llm(api_format=api_format)
    path = tmp_path / "picture.jpg"
    path.write_bytes(jpeg)
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="Describe these images."),
            ImageBlock(url=f"{server.url}/assets/image.png"),
            ImageBlock(path=path),
            ImageBlock(image=jpeg),
        ],
    )
    response = await chat(llm, mode, [message])
    text = response.message.content or ""
    assert "3 images" in text
    assert "64x48 PNG" in text
    assert text.count("32x24 JPEG") == 2
    [request] = wire.requests
    endpoint, part_type = IMAGE_WIRE[api_format]
    assert request.url.path == endpoint
    parts = json.loads(request.content)["messages"][-1]["content"]
    assert [p["type"] for p in parts] == ["text", part_type, part_type, part_type]


async def test_two_event_loops_one_instance(llm: Any) -> None:
    """The async client is per event loop: consecutive asyncio.run calls both work."""

    async def once() -> str:
        streamed = [r async for r in await llm.astream_chat(user("Say hello"))]
        answer = await llm.achat(user("Say hello"))
        assert streamed[-1].message.content == answer.message.content
        return answer.message.content or ""

    def run_twice() -> list[str]:
        return [asyncio.run(once()), asyncio.run(once())]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # A thread has no running loop; asyncio.run creates (and closes) a fresh one each time.
        answers = await asyncio.to_thread(run_twice)
        gc.collect()
    assert answers[0] == answers[1] != ""
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize("mode", MODES)
async def test_early_stop_releases_the_connection(wired_llm: Any, mode: str) -> None:
    llm, wire = wired_llm(max_concurrency=1)
    if mode == "sync":
        gen = llm.stream_chat(user(LONG))
        next(gen)
        gen.close()
    else:
        agen = await llm.astream_chat(user(LONG))
        await agen.__anext__()
        await agen.aclose()
    [response] = wire.responses
    # Core's callback wrapper drops our generator instead of closing it, so the loop closes
    # the async one a few steps later.
    await _until(lambda: response.is_closed)
    # With a budget of one, the next call can only start once the stream gave its slot back.
    if mode == "sync":
        answer = _within(10, lambda: llm.chat(user("Say hello")))
    else:
        answer = await asyncio.wait_for(llm.achat(user("Say hello")), 10)
    assert answer.message.content


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("401", AuthenticationError),
        ("429", RateLimitError),
        ("context-length", ContextWindowExceededError),
        ("reset", APIConnectionError),
    ],
)
@pytest.mark.parametrize("mode", MODES)
async def test_faults_are_typed_errors(
    make_llm: Any, server: Any, mode: str, fault: str, error: type[Exception]
) -> None:
    llm = make_llm(default_headers={"x-modelslab-fault": fault})
    with pytest.raises(error) as info:
        await chat(llm, mode, user("hi"))
    assert server.api_key not in str(info.value)
    with pytest.raises(error):
        await stream_chat(llm, mode, user("hi"))


@pytest.mark.parametrize("mode", MODES)
async def test_retry_then_success(wired_llm: Any, mode: str) -> None:
    # The first request with this id fails with 503, later ones succeed.
    fault = f"503*1@li-retry-{uuid.uuid4().hex[:12]}"
    llm, wire = wired_llm(max_retries=2, default_headers={"x-modelslab-fault": fault})
    assert (await chat(llm, mode, user("Say hello"))).message.content
    assert wire.statuses == [503, 200]


@pytest.mark.parametrize("mode", MODES)
async def test_truncated_stream_raises(make_llm: Any, mode: str) -> None:
    llm = make_llm(default_headers={"x-modelslab-fault": "stream-truncated"})
    with pytest.raises(StreamTruncatedError):
        await stream_chat(llm, mode, user("Say hello"))


@pytest.mark.parametrize("mode", MODES)
async def test_per_call_timeout(make_llm: Any, mode: str) -> None:
    llm = make_llm(default_headers={"x-modelslab-fault": "slow-first-byte:2"})
    with pytest.raises(APITimeoutError):
        await chat(llm, mode, user("Say hello"), timeout=0.3)


async def test_context_managers_close_clients(
    make_llm: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="httpcore.connection")
    opened, closed = "connect_tcp.complete", "close.complete"
    with make_llm() as llm:
        assert llm.chat(user("Say hello")).message.content
        assert _connection_events(caplog) == [opened]
    assert _connection_events(caplog) == [opened, closed]
    async with make_llm() as allm:
        assert (await allm.achat(user("Say hello"))).message.content
    assert _connection_events(caplog) == [opened, closed, opened, closed]
    # Closed clients are replaced on next use, with new connections.
    assert llm.chat(user("Say hello")).message.content
    assert (await allm.achat(user("Say hello"))).message.content
    await allm.aclose()
    assert _connection_events(caplog)[4:] == [opened, opened, closed]


@pytest.mark.parametrize("mode", MODES)
async def test_changed_setting_replaces_the_connection(
    make_llm: Any, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="httpcore.connection")
    llm = make_llm()
    assert (await chat(llm, mode, user("Say hello"))).message.content
    llm.timeout = 30.0
    # The sync client is closed at once; an async one by its event loop, a step later.
    await _until(lambda: "close.complete" in _connection_events(caplog))
    assert (await chat(llm, mode, user("Say hello"))).message.content
    assert _connection_events(caplog) == [
        "connect_tcp.complete",
        "close.complete",
        "connect_tcp.complete",
    ]
