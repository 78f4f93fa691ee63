"""The connection half of ``ChatModelsLab``: fields, transport clients, their lifecycle.

The transport clients are built from the connection fields on first use and cached; this
module also owns closing them, copying, pickling and reconfiguring the model.
"""

from __future__ import annotations

from typing import Any, Self

import httpx
from langchain_core.language_models import BaseChatModel
from langchain_core.utils import from_env, secret_from_env
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from modelslab_transport import (
    DEFAULT_BASE_URL,
    AsyncModelsLabClient,
    ClientCache,
    ModelsLabClient,
)

__all__ = ["CLIENT_FIELDS", "CLIENT_SETTINGS", "ConnectedChatModel", "without_fields"]

# The fields passed to both transport clients' constructors.
CLIENT_SETTINGS = (
    "api_key",
    "base_url",
    "timeout",
    "connect_timeout",
    "max_retries",
    "default_headers",
    "key_in_body",
    "allow_insecure_http",
    "max_concurrency",
)
# Every field a cached client depends on: assigning one drops the cached clients.
CLIENT_FIELDS = frozenset({*CLIENT_SETTINGS, "http_client", "http_async_client"})


class ConnectedChatModel(BaseChatModel):
    """A chat model holding ModelsLab connection settings and the clients built from them.

    Clients are created on first use and cached (one sync client, one async client per
    event loop); assigning a connection field afterwards makes the next call build new ones.
    The model pickles without its HTTP clients and without its API key.
    """

    timeout: float | None = None
    """Read timeout in seconds, also between streamed chunks (transport default 120)."""
    connect_timeout: float | None = None
    max_retries: int = 2
    """Retries on 408/409/429/5xx and connection failures, with backoff."""
    max_concurrency: int | None = None
    """Most requests in flight at once per transport client (the sync one, and the async one
    of each event loop); more wait for a slot. ``None``: ``MODELSLAB_MAX_CONCURRENCY``, else
    5; ``0``: unlimited. Not the same as ``batch(config={"max_concurrency": ...})``, which
    bounds LangChain's worker threads/tasks."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("MODELSLAB_API_KEY", default=None)
    )
    base_url: str = Field(default_factory=from_env("MODELSLAB_BASE_URL", default=DEFAULT_BASE_URL))
    default_headers: dict[str, str] | None = None
    key_in_body: bool = False
    allow_insecure_http: bool = False
    http_client: httpx.Client | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` (proxies, certificates); not closed by the model."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient``; it must be used on one event loop only."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    _clients: ClientCache = PrivateAttr(default_factory=ClientCache)

    def _client_args(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CLIENT_SETTINGS}

    def _client(self) -> ModelsLabClient:
        return self._clients.sync(
            lambda: ModelsLabClient(**self._client_args(), http_client=self.http_client)
        )

    async def _aclient(self) -> AsyncModelsLabClient:
        return await self._clients.async_(
            lambda: AsyncModelsLabClient(**self._client_args(), http_client=self.http_async_client)
        )

    def close(self) -> None:
        """Close the HTTP clients this model created (it creates new ones if used again)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close this event loop's async client and the sync client."""
        await self._clients.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "api_key" and isinstance(value, str):
            value = SecretStr(value)  # redacted, as the constructor would store it
        super().__setattr__(name, value)
        if name in CLIENT_FIELDS:
            # Clients are built from these fields once: the next call builds new ones. The old
            # async clients close on their loops when the dropped cache is collected.
            old, self._clients = self._clients, ClientCache()
            old.close()

    def __copy__(self) -> Self:
        # A shallow copy would share the cache, and so model_copy(update={"base_url": ...})
        # would keep sending to this model's URL.
        clone = super().__copy__()
        clone._clients = ClientCache()
        return clone

    def __getstate__(self) -> dict[Any, Any]:
        # Neither the key nor the caller's HTTP clients travel: clients hold sockets and locks,
        # and a key must not be written into a pickle. Unpickling re-reads the environment.
        return without_fields(super().__getstate__(), "api_key", "http_client", "http_async_client")

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        if self.api_key is None:
            self.__dict__["api_key"] = secret_from_env("MODELSLAB_API_KEY", default=None)()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        memo = {} if memo is None else memo
        # Shared, never copied: the caller's HTTP clients and rate limiter hold locks.
        for shared in (self.http_client, self.http_async_client, self.rate_limiter):
            if shared is not None:
                memo[id(shared)] = shared
        return super().__deepcopy__(memo)


def without_fields(state: dict[Any, Any], *names: str) -> dict[Any, Any]:
    """A pydantic ``__getstate__`` result with the named fields set to ``None``."""
    return {**state, "__dict__": {**state["__dict__"], **dict.fromkeys(names)}}
