"""Both clients against the project's local ModelsLab-compatible server over real loopback HTTP.

Faults are selected per request with the server's ``x-modelslab-fault`` header, so each
failure a client must handle travels through real sockets, h11 and httpx.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from modelslab_transport import (
    APIError,
    APIStatusError,
    APITimeoutError,
    AsyncModelsLabClient,
    AuthenticationError,
    ChatRequest,
    ContextWindowExceededError,
    InsufficientCreditsError,
    InternalServerError,
    MalformedResponseError,
    ModelsLabClient,
    NotFoundError,
    RateLimitError,
    ServerStreamError,
    StreamInterruptedError,
    StreamTruncatedError,
)

from .conftest import drain

local = pytest.importorskip("modelslab_local")

MODEL = "baidu-ernie-4.5-vl-28b-a3b"
REQUEST: ChatRequest = {
    "model": MODEL,
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2+2?"},
    ],
    "max_tokens": 64,
}
TOOLS: Any = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with local.start_server() as handle:
        yield handle


@pytest.fixture
async def make(server: Any, kind: str) -> AsyncIterator[Callable[..., Any]]:
    """Factory for a client on the local server; sleeps are recorded, not slept."""
    made: list[Any] = []
    sleeps: list[float] = []

    def factory(fault: str | None = None, **kwargs: Any) -> Any:
        headers = {"x-modelslab-fault": fault} if fault else {}
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("api_key", server.api_key)
        common = {"base_url": server.base_url, "default_headers": headers, **kwargs}
        if kind == "sync":
            client: Any = ModelsLabClient(_sleep=sleeps.append, **common)
        else:

            async def sleep(seconds: float) -> None:
                sleeps.append(seconds)

            client = AsyncModelsLabClient(_sleep=sleep, **common)
        client.sleeps = sleeps
        made.append(client)
        return client

    yield factory
    for client in made:
        if isinstance(client, ModelsLabClient):
            client.close()
        else:
            await client.aclose()


async def run(client: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(client, name)(*args, **kwargs)
    return result if isinstance(client, ModelsLabClient) else await result


def joined(deltas: list[Any], key: str) -> str:
    return "".join(d.get(key, "") for d in deltas)


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
async def test_chat_and_stream_agree(make: Callable[..., Any], api_format: str) -> None:
    client = make()
    answer = await run(client, "chat", REQUEST, api_format=api_format)
    deltas = await drain(await run(client, "stream_chat", REQUEST, api_format=api_format))
    assert answer["text"]
    assert joined(deltas, "text") == answer["text"]
    assert answer["model"] == MODEL
    assert deltas[0]["model"] == MODEL
    assert [d["finish_reason"] for d in deltas if "finish_reason" in d] == ["stop"]
    usages = [d["usage"] for d in deltas if "usage" in d]
    assert len(usages) == 1
    assert usages[0]["input_tokens"] > 0


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
async def test_streamed_tool_call(make: Callable[..., Any], api_format: str) -> None:
    request: ChatRequest = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
        "tools": TOOLS,
        "tool_choice": "required",
    }
    deltas = await drain(await run(make(), "stream_chat", request, api_format=api_format))
    fragments = [f for d in deltas if "tool_calls" in d for f in d["tool_calls"]]
    assert fragments[0]["name"] == "get_weather"
    assert fragments[0]["id"]
    assert "Paris" in "".join(f["arguments"] for f in fragments)
    assert {d.get("finish_reason") for d in deltas} >= {"tool_calls"}


async def test_count_tokens_and_list_models(make: Callable[..., Any]) -> None:
    client = make()
    assert await run(client, "count_tokens", REQUEST) > 0
    models = await run(client, "list_models")
    assert MODEL in {m["id"] for m in models}


async def test_wrong_key_is_an_authentication_error(make: Callable[..., Any]) -> None:
    client = make(api_key="wrong-key")
    with pytest.raises(AuthenticationError) as info:
        await run(client, "chat", REQUEST)
    assert "wrong-key" not in str(info.value)


FAULTS = [
    ("401", AuthenticationError),
    ("402", InsufficientCreditsError),
    ("404", NotFoundError),
    ("429", RateLimitError),
    ("503", InternalServerError),
    ("context-length", ContextWindowExceededError),
    # A 200 error report without a status or wording to go by stays a generic status error.
    ("200-error", APIStatusError),
    ("200-messege", APIStatusError),
    ("200-error:Rate limit reached", RateLimitError),
    ("processing", APIError),
    ("wrong-content-type", MalformedResponseError),
    ("malformed-json", MalformedResponseError),
    ("empty-body", MalformedResponseError),
]


@pytest.mark.parametrize(("fault", "cls"), FAULTS)
@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
async def test_faults_before_the_answer(
    make: Callable[..., Any], fault: str, cls: type[Exception], stream: bool
) -> None:
    client = make(fault)

    async def attempt() -> Any:
        if stream:
            return await drain(await run(client, "stream_chat", REQUEST))
        return await run(client, "chat", REQUEST)

    with pytest.raises(cls) as info:
        await attempt()
    assert type(info.value) is cls  # the exact class, not just any error of the family


@pytest.mark.parametrize(
    ("fault", "cls"),
    [
        ("stream-truncated", StreamTruncatedError),
        ("stream-malformed", MalformedResponseError),
        ("stream-error", ServerStreamError),
        ("stream-error-ml", ServerStreamError),
        ("stream-drop", StreamInterruptedError),
        ("stream-json-error", APIStatusError),
        ("stream-json-error-sse", RateLimitError),
    ],
)
@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
async def test_stream_faults(
    make: Callable[..., Any], fault: str, cls: type[Exception], api_format: str
) -> None:
    async def attempt() -> Any:
        client = make(fault, max_retries=2)
        return await drain(await run(client, "stream_chat", REQUEST, api_format=api_format))

    with pytest.raises(cls) as info:
        await attempt()
    assert type(info.value) is cls


@pytest.mark.parametrize("fault", ["429", "503", "reset"])
async def test_transient_faults_are_retried(make: Callable[..., Any], fault: str) -> None:
    client = make(f"{fault}*1@{uuid.uuid4().hex}", max_retries=2, _random=lambda: 0.0)
    answer = await run(client, "chat", REQUEST)
    assert answer["text"]
    assert client.sleeps == [1.0 if fault == "429" else 0.5]


async def test_stall_between_chunks_hits_the_read_timeout(make: Callable[..., Any]) -> None:
    client = make("stall:2", timeout=0.3)
    with pytest.raises(APITimeoutError):
        await drain(await run(client, "stream_chat", REQUEST))
