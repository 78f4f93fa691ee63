"""ClientCache: one sync client, one async client per event loop, closed on its own loop."""

from __future__ import annotations

import asyncio
import copy
import gc
import pickle
from typing import Any

import httpx

from modelslab_transport import AsyncModelsLabClient, ClientCache


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"object": "list", "data": []})


def _settings() -> dict[str, Any]:
    return {"api_key": "k", "transport": httpx.MockTransport(_ok)}


def _async_settings() -> dict[str, Any]:
    return {"api_key": "k", "transport": httpx.MockTransport(_ok)}


def test_sync_client_is_created_once() -> None:
    cache = ClientCache()
    client = cache.sync(_settings)
    assert cache.sync(_settings) is client
    cache.close()
    assert client._http.is_closed


def test_each_loop_gets_its_own_client_closed_at_loop_shutdown() -> None:
    cache = ClientCache()

    async def use() -> AsyncModelsLabClient:
        first = await cache.for_running_loop(_async_settings)
        again = await cache.for_running_loop(_async_settings)
        assert first is again
        assert await first.list_models() == []
        return first

    one = asyncio.run(use())
    assert one._http.is_closed  # closed on its loop when asyncio.run shut it down
    two = asyncio.run(use())  # a second loop works and gets a fresh client
    assert two is not one


def test_aclose_closes_the_running_loops_client() -> None:
    cache = ClientCache()

    async def use() -> None:
        client = await cache.for_running_loop(_async_settings)
        await cache.aclose()
        assert client._http.is_closed
        assert await cache.for_running_loop(_async_settings) is not client

    asyncio.run(use())


def test_copies_and_pickles_start_empty() -> None:
    injected = httpx.Client(transport=httpx.MockTransport(_ok))
    cache = ClientCache(http_client=injected)
    cache.sync(_settings_without_transport)
    for other in (copy.copy(cache), copy.deepcopy(cache)):
        assert other._sync is None
        assert other.http_client is injected  # the caller's client is shared, never copied
    unpickled = pickle.loads(pickle.dumps(ClientCache()))
    assert unpickled._sync is None
    assert unpickled.http_client is None
    cache.close()
    injected.close()


def _settings_without_transport() -> dict[str, Any]:
    return {"api_key": "k"}


def test_reset_keeps_a_live_stream_working_and_closes_the_old_client_after_it() -> None:
    body = (
        b'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
        b"data: [DONE]\n\n"
    )

    def sse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    cache = ClientCache()
    settings = {"api_key": "k", "transport": httpx.MockTransport(sse)}
    stream = cache.sync(lambda: settings).stream_chat(
        {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    )
    old = cache.sync(lambda: settings)
    cache.reset()  # settings changed while the stream is open
    assert cache.sync(lambda: settings) is not old
    assert not old._http.is_closed
    texts = [d.get("text") for d in stream]
    assert texts[0] == "hi"
    del stream, old
    gc.collect()
