"""ClientCache: one sync client, one async client per event loop, closed on its own loop."""

from __future__ import annotations

import asyncio
import copy
import pickle

import httpx

from modelslab_transport import AsyncModelsLabClient, ClientCache, ModelsLabClient


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"object": "list", "data": []})


def _async_factory(made: list[AsyncModelsLabClient]) -> AsyncModelsLabClient:
    client = AsyncModelsLabClient("k", transport=httpx.MockTransport(_ok))
    made.append(client)
    return client


def test_sync_client_is_created_once() -> None:
    cache = ClientCache()
    made: list[ModelsLabClient] = []

    def factory() -> ModelsLabClient:
        made.append(ModelsLabClient("k", transport=httpx.MockTransport(_ok)))
        return made[-1]

    assert cache.sync(factory) is cache.sync(factory)
    assert len(made) == 1
    cache.close()
    assert made[0]._http.is_closed


def test_each_loop_gets_its_own_client_closed_at_loop_shutdown() -> None:
    cache = ClientCache()
    made: list[AsyncModelsLabClient] = []

    async def use() -> AsyncModelsLabClient:
        first = await cache.async_(lambda: _async_factory(made))
        again = await cache.async_(lambda: _async_factory(made))
        assert first is again
        assert await first.list_models() == []
        return first

    one = asyncio.run(use())
    assert one._http.is_closed  # closed on its loop when asyncio.run shut it down
    two = asyncio.run(use())  # a second loop works and gets a fresh client
    assert two is not one
    assert len(made) == 2


def test_aclose_closes_the_running_loops_client() -> None:
    cache = ClientCache()
    made: list[AsyncModelsLabClient] = []

    async def use() -> None:
        client = await cache.async_(lambda: _async_factory(made))
        await cache.aclose()
        assert client._http.is_closed
        assert await cache.async_(lambda: _async_factory(made)) is not client

    asyncio.run(use())
    assert len(made) == 2


def test_copies_and_pickles_start_empty() -> None:
    cache = ClientCache()
    cache.sync(lambda: ModelsLabClient("k", transport=httpx.MockTransport(_ok)))
    for other in (copy.copy(cache), copy.deepcopy(cache), pickle.loads(pickle.dumps(cache))):
        assert isinstance(other, ClientCache)
        assert other._sync is None
    cache.close()
