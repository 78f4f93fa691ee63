"""Lazily created transport clients: never copied, never pickled, one async client per loop."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

from modelslab_transport import AsyncModelsLabClient, ModelsLabClient

__all__ = ["ClientCache", "without_fields"]


def without_fields(state: dict[Any, Any], *names: str) -> dict[Any, Any]:
    """A pydantic ``__getstate__`` result with the named fields set to ``None``."""
    return {**state, "__dict__": {**state["__dict__"], **dict.fromkeys(names)}}


async def _close_with_loop(client: AsyncModelsLabClient) -> AsyncIterator[None]:
    """Close ``client`` while its event loop still runs.

    An async generator that has started is finalized by its loop: ``asyncio.run`` (and any
    ``asyncio.Runner``) closes it in ``shutdown_asyncgens`` before the loop closes, and the loop
    closes it if it is garbage-collected first. Its ``finally`` is therefore the one moment
    the client's connections can be closed properly: they belong to that loop, and a client
    reused on another loop fails with "Event loop is closed".
    """
    try:
        yield
    finally:
        await client.aclose()


class ClientCache:
    """The transport clients of one chat model, created on first use.

    Copies and unpickled models start empty and create their own clients, so a model can be
    deep-copied or shipped to a worker process however many requests it has made.
    """

    __slots__ = ("__weakref__", "_by_loop", "_lock", "_sync")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sync: ModelsLabClient | None = None
        self._by_loop: dict[asyncio.AbstractEventLoop, tuple[AsyncModelsLabClient, Any]] = {}

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
                    # Close its pooled sockets when the model goes away.
                    weakref.finalize(self, self._sync.close)
                client = self._sync
        return client

    async def async_(self, factory: Callable[[], AsyncModelsLabClient]) -> AsyncModelsLabClient:
        """Return the running loop's async client, creating it with ``factory`` if needed."""
        loop = asyncio.get_running_loop()
        entry = self._by_loop.get(loop)
        if entry is not None:
            return entry[0]
        client = factory()
        closer = _close_with_loop(client)
        with self._lock:
            # Loops that closed already finalized their closers; forget them.
            for old in [lp for lp in self._by_loop if lp.is_closed()]:
                del self._by_loop[old]
            self._by_loop[loop] = (client, closer)
        await anext(closer)  # start it: from now on the loop finalizes it
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
