"""Transport clients owned by one ``ModelsLabLLM``: one sync client, one async per event loop.

The loop handling lives in the transport's :class:`~modelslab_transport.ClientCache`; this
wrapper only adds the caller's injected ``httpx`` clients, which copies of the LLM share
(the caller owns them) while their own pooled connections never are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelslab_transport import AsyncModelsLabClient, ClientCache, ModelsLabClient

__all__ = ["ClientPool"]


class ClientPool:
    """Create transport clients lazily; one pool per LLM object.

    Args:
        http_client: An injected ``httpx.Client`` (the caller keeps ownership).
        async_http_client: An injected ``httpx.AsyncClient`` (the caller keeps ownership and is
            responsible for using it on one event loop).
    """

    __slots__ = ("_async_http_client", "_cache", "_http_client")

    def __init__(self, http_client: Any = None, async_http_client: Any = None) -> None:
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._cache = ClientCache()

    def __copy__(self) -> ClientPool:
        return ClientPool(self._http_client, self._async_http_client)

    def __deepcopy__(self, memo: dict[int, Any]) -> ClientPool:
        return self.__copy__()

    def __reduce__(self) -> tuple[type[ClientPool], tuple[()]]:
        # Pickles as an empty pool: clients, locks and connections do not travel.
        return (ClientPool, ())

    def sync(self, settings: Callable[[], dict[str, Any]]) -> ModelsLabClient:
        """Return the sync client, creating it on first use from ``settings()``."""
        return self._cache.sync(
            lambda: ModelsLabClient(**settings(), http_client=self._http_client)
        )

    async def async_(self, settings: Callable[[], dict[str, Any]]) -> AsyncModelsLabClient:
        """Return the async client of the running event loop, creating it if needed."""
        return await self._cache.async_(
            lambda: AsyncModelsLabClient(**settings(), http_client=self._async_http_client)
        )

    def reset(self) -> None:
        """Drop every cached client, so the next call builds new ones from current settings.

        The sync client is closed now. An async client can only be closed on its own event
        loop: dropping the old cache hands each one to its loop, which closes it (see
        :class:`~modelslab_transport.ClientCache`). Requests still in flight on an old client
        may fail, so change settings between calls.
        """
        old, self._cache = self._cache, ClientCache()
        old.close()

    def close(self) -> None:
        """Close the sync client (an injected ``httpx.Client`` stays open)."""
        self._cache.close()

    async def aclose(self) -> None:
        """Close the async client of the running loop, and the sync client."""
        await self._cache.aclose()
