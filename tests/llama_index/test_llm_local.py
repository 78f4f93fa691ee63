"""ModelsLabLLM end to end over loopback HTTP against the project's local server."""

from __future__ import annotations

import asyncio
import gc
import warnings
from pathlib import Path
from typing import Any

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


@pytest.mark.parametrize("mode", MODES)
async def test_images_from_url_path_and_bytes(
    llm: Any, server: Any, mode: str, tmp_path: Path, jpeg: bytes
) -> None:
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
async def test_early_stop_closes_the_stream(llm: Any, mode: str) -> None:
    # Stopping after the first chunk must release the connection; the next call still works.
    if mode == "sync":
        gen = llm.stream_chat(user("Tell me a long story about a dragon."))
        next(gen)
        gen.close()
    else:
        agen = await llm.astream_chat(user("Tell me a long story about a dragon."))
        await agen.__anext__()
        await agen.aclose()
    assert (await chat(llm, mode, user("Say hello"))).message.content


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
async def test_retry_then_success(make_llm: Any, mode: str) -> None:
    llm = make_llm(
        max_retries=2,
        default_headers={"x-modelslab-fault": f"503*1@li-retry-{mode}"},
    )
    assert (await chat(llm, mode, user("Say hello"))).message.content


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


async def test_context_managers_close_clients(make_llm: Any) -> None:
    with make_llm() as llm:
        assert llm.chat(user("Say hello")).message.content
    async with make_llm() as allm:
        assert (await allm.achat(user("Say hello"))).message.content
    # Closed clients are replaced on next use.
    assert llm.chat(user("Say hello")).message.content
    assert (await allm.achat(user("Say hello"))).message.content
    await allm.aclose()
