"""Lazily created clients for a long-lived object: one sync client, one async client per loop.

An ``httpx.AsyncClient`` holds connections bound to the event loop that opened them; reusing
it from another loop fails with "Event loop is closed" (two consecutive ``asyncio.run`` calls
are enough). So the async client is created per running loop and closed *on that loop* when
it shuts down: a started async generator is finalized by ``loop.shutdown_asyncgens()`` (which
``asyncio.run`` and ``asyncio.Runner`` call before closing the loop), and its ``finally``
closes the client there. Both adapters keep their clients in one of these.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import Any

from ._async_client import AsyncModelsLabClient
from ._client import ModelsLabClient

__all__ = ["ClientCache"]


async def _close_at_loop_shutdown(client: AsyncModelsLabClient) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await client.aclose()


class ClientCache:
    """The transport clients of one model object, created on first use.

    Copies and unpickled caches start empty, so the object owning the cache can be copied or
    shipped to a worker process however many requests it has made: clients, locks and
    connections never travel.

    Example:
        ```python
        from modelslab_transport import ClientCache, ModelsLabClient

        cache = ClientCache()
        client = cache.sync(ModelsLabClient)  # created on first use, then reused
        print(client is cache.sync(ModelsLabClient))
        cache.close()
        ```

        Both model classes keep their clients in one; closing them:
        ``notebooks/02_llama_index_quickstart.ipynb`` (last cell).
    """

    __slots__ = ("__weakref__", "_by_loop", "_lock", "_sync")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sync: ModelsLabClient | None = None
        # Value: the client and its shutdown hook, held strongly (a loop keeps only a weak
        # reference to its async generators; dropping the entry finalizes the hook, which
        # closes the client on its loop).
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[AsyncModelsLabClient, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()

    def __reduce__(self) -> tuple[type[ClientCache], tuple[()]]:
        return ClientCache, ()

    def __copy__(self) -> ClientCache:
        return ClientCache()

    def __deepcopy__(self, memo: dict[int, Any]) -> ClientCache:
        return ClientCache()

    def sync(self, factory: Callable[[], ModelsLabClient]) -> ModelsLabClient:
        """Return the sync client, creating it with ``factory`` the first time (thread-safe)."""
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    self._sync = factory()
                    # Close its pooled sockets when the owner goes away.
                    weakref.finalize(self, self._sync.close)
                client = self._sync
        return client

    async def async_(self, factory: Callable[[], AsyncModelsLabClient]) -> AsyncModelsLabClient:
        """Return the running loop's async client, creating it with ``factory`` if needed."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._by_loop.get(loop)
        if entry is not None:
            return entry[0]
        client = factory()
        hook = _close_at_loop_shutdown(client)
        # Runs to the ``yield`` without suspending, so no other task on this loop can race
        # the check above; from now on the loop finalizes the hook at shutdown.
        await anext(hook)
        with self._lock:
            self._by_loop[loop] = (client, hook)
        return client

    def close(self) -> None:
        """Close the sync client (async clients close with their loop or :meth:`aclose`)."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the running loop's async client and the sync client."""
        with self._lock:
            entry = self._by_loop.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].aclose()
        self.close()
