"""Transport clients owned by one ``ModelsLabLLM``: one sync client, one async per event loop.

An ``httpx.AsyncClient`` holds connections bound to the event loop that opened them; reusing
it from another loop fails with "Event loop is closed" (a frequent LlamaIndex complaint, e.g.
two consecutive ``asyncio.run`` calls). So the async client is created per running loop and
closed *on that loop* when it shuts down: a suspended async generator registered with the loop
is finalized by ``loop.shutdown_asyncgens()`` (which ``asyncio.run`` and ``asyncio.Runner``
call before closing the loop), and its ``finally`` closes the client there.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import Any

from modelslab_transport import AsyncModelsLabClient, ModelsLabClient


async def _close_at_loop_shutdown(client: AsyncModelsLabClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await client.aclose()


class _LoopBound:
    """An async client with the shutdown hook that closes it on its loop."""

    __slots__ = ("client", "hook")

    def __init__(self, client: AsyncModelsLabClient, hook: AsyncGenerator[None, None]) -> None:
        self.client = client
        # Held strongly: a loop keeps only a weak reference to its async generators. If this
        # entry is dropped while its loop still runs, the generator's finalizer closes the
        # client on that loop.
        self.hook = hook


class ClientPool:
    """Create transport clients lazily; one pool per LLM object.

    A copy of the pool (``copy.copy`` / ``copy.deepcopy``, as done when an LLM is copied) is
    an empty pool sharing only the injected HTTP clients: open connections are never shared
    between copies, whose settings may differ.

    Args:
        http_client: An injected ``httpx.Client`` (the caller keeps ownership).
        async_http_client: An injected ``httpx.AsyncClient`` (the caller keeps ownership and is
            responsible for using it on one event loop).
    """

    def __init__(self, http_client: Any = None, async_http_client: Any = None) -> None:
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._lock = threading.Lock()
        self._sync: ModelsLabClient | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopBound] = (
            weakref.WeakKeyDictionary()
        )

    def __copy__(self) -> ClientPool:
        return ClientPool(self._http_client, self._async_http_client)

    def __deepcopy__(self, memo: dict[int, Any]) -> ClientPool:
        return self.__copy__()

    def __reduce__(self) -> tuple[type[ClientPool], tuple[()]]:
        # Pickles as an empty pool: clients, locks and connections do not travel.
        return (ClientPool, ())

    def sync(self, settings: Callable[[], dict[str, Any]]) -> ModelsLabClient:
        """Return the sync client, creating it on first use from ``settings()``."""
        with self._lock:
            if self._sync is None:
                self._sync = ModelsLabClient(**settings(), http_client=self._http_client)
            return self._sync

    async def async_(self, settings: Callable[[], dict[str, Any]]) -> AsyncModelsLabClient:
        """Return the async client of the running event loop, creating it if needed."""
        loop = asyncio.get_running_loop()
        with self._lock:
            bound = self._async.get(loop)
        if bound is not None:
            return bound.client
        client = AsyncModelsLabClient(**settings(), http_client=self._async_http_client)
        hook = _close_at_loop_shutdown(client)
        # Runs to the ``yield`` without suspending, so no other task can race this check;
        # it registers the generator with this loop's shutdown.
        await hook.__anext__()
        with self._lock:
            self._async[loop] = _LoopBound(client, hook)
        return client

    def close(self) -> None:
        """Close the sync client (an injected ``httpx.Client`` stays open)."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the async client of the running loop, if there is one."""
        with self._lock:
            bound = self._async.pop(asyncio.get_running_loop(), None)
        if bound is not None:
            await bound.hook.aclose()
