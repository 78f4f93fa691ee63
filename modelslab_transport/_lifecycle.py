"""One client lifecycle for every model object: created on first use, one per event loop.

An ``httpx.AsyncClient`` holds connections bound to the event loop that opened them; reusing
it from another loop fails with "Event loop is closed" (two consecutive ``asyncio.run`` calls
are enough). So the async client is created per running loop and closed *on that loop*: at
loop shutdown, or soon after nothing refers to it any more (see
``AsyncModelsLabClient._close_with_running_loop``). The sync client closes its sockets when
its last reference goes. A stream holds the client it reads from, so dropping a model (or
changing its settings) never closes a connection under a live stream.

Both adapters' models inherit :class:`ClientOwner` and only declare their fields.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, cast

import httpx
from pydantic import SecretStr
from typing_extensions import Self

from ._async_client import AsyncModelsLabClient
from ._client import ModelsLabClient
from ._config import resolve_config
from ._settings_rules import BODY_FIELDS, CLIENT_SETTINGS, check_body_key, check_call_settings

__all__ = ["CLIENT_SETTINGS", "ClientCache", "ClientOwner", "without_fields"]


# Field names under which a model may declare the caller's own httpx clients, and the cache
# attribute each one feeds.
_INJECTED_FIELDS = {"http_client": "http_client", "http_async_client": "async_http_client"}


class ClientCache:
    """The transport clients of one model object, created on first use.

    Copies share the caller's injected ``httpx`` clients (the caller owns them) but never the
    clients built here; pickled, a cache travels empty: clients, locks and connections never
    leave the process.

    Example:
        ```python
        from modelslab_transport import ClientCache

        cache = ClientCache()
        settings = {"base_url": "http://127.0.0.1:8000/v1"}
        client = cache.sync(lambda: settings)  # created on first use, then reused
        print(client is cache.sync(lambda: settings))
        cache.close()
        ```

        Both model classes keep their clients in one; closing them:
        ``notebooks/02_llama_index_quickstart.ipynb`` (last cell).

    Args:
        http_client: An injected ``httpx.Client`` for the sync client (not closed here).
        async_http_client: An injected ``httpx.AsyncClient`` (not closed here; the caller
            uses it on one event loop).
    """

    __slots__ = ("_by_loop", "_lock", "_sync", "async_http_client", "http_client")

    def __init__(
        self,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.http_client = http_client
        self.async_http_client = async_http_client
        self._lock = threading.Lock()
        self._sync: ModelsLabClient | None = None
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, AsyncModelsLabClient
        ] = weakref.WeakKeyDictionary()

    def __reduce__(self) -> tuple[type[ClientCache], tuple[()]]:
        return ClientCache, ()

    def __copy__(self) -> ClientCache:
        return ClientCache(self.http_client, self.async_http_client)

    def __deepcopy__(self, memo: dict[int, Any]) -> ClientCache:
        return self.__copy__()

    def sync(self, settings: Callable[[], Mapping[str, Any]]) -> ModelsLabClient:
        """Return the sync client, building it from ``settings()`` the first time."""
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    self._sync = ModelsLabClient(**settings(), http_client=self.http_client)
                client = self._sync
        return client

    async def for_running_loop(
        self, settings: Callable[[], Mapping[str, Any]]
    ) -> AsyncModelsLabClient:
        """Return the running loop's async client, building it from ``settings()`` if needed."""
        loop = asyncio.get_running_loop()
        with self._lock:  # other threads run other loops
            client = self._by_loop.get(loop)
            created = client is None
            if client is None:
                client = AsyncModelsLabClient(**settings(), http_client=self.async_http_client)
                self._by_loop[loop] = client
        if created:  # this does not suspend: no other task of this loop can use it unhooked
            await client._close_with_running_loop()
        return client

    def known_context_window(self, model: str) -> int | None:
        """What this object's clients learnt of ``model``'s context length; no I/O.

        The sync client's, else the running event loop's async client's (see
        ``reported_context_window``).
        """
        try:
            running: AsyncModelsLabClient | None = self._by_loop.get(asyncio.get_running_loop())
        except RuntimeError:  # no loop in this thread
            running = None
        for client in (self._sync, running):
            known = None if client is None else client.known_context_window(model)
            if known is not None:
                return known
        return None

    def reset(self) -> None:
        """Forget every client: the next call builds new ones from the current settings.

        Nothing is closed here: a stream still reading keeps its client, which closes when
        that stream is done (the async ones on their own loop).
        """
        with self._lock:
            self._sync = None
            self._by_loop = weakref.WeakKeyDictionary()

    def close(self) -> None:
        """Close the sync client (async clients close with their loop or :meth:`aclose`)."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the running loop's async client and the sync client."""
        with self._lock:
            client = self._by_loop.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
        self.close()


def without_fields(state: dict[Any, Any], *names: str) -> dict[Any, Any]:
    """A pydantic ``__getstate__`` result with the named fields set to ``None``."""
    return {**state, "__dict__": {**state["__dict__"], **dict.fromkeys(names)}}


class ClientOwner:
    """What a model object holding connection settings needs: clients, closing, copying.

    Mixed into a pydantic model that declares the :data:`CLIENT_SETTINGS` fields and a
    private ``_clients`` :class:`ClientCache`. Assigning one of those fields makes the next
    call build new clients; copies get their own clients; pickles carry neither the key nor
    any client (the key is read again from the environment by the transport).

    Example:
        ```python
        import pickle

        from langchain_modelslab import ChatModelsLab
        from modelslab_transport import ClientOwner

        with ChatModelsLab(api_key="my-key", base_url="http://127.0.0.1:8000/v1") as model:
            print(isinstance(model, ClientOwner))  # so is LlamaIndex's ModelsLabLLM
            model.max_retries = 5  # checked now; the next call builds new clients
            print("my-key" in repr(pickle.loads(pickle.dumps(model))))  # the key stays here
        ```

        Closing a model's clients: ``notebooks/02_llama_index_quickstart.ipynb`` (last cell).
    """

    _clients: ClientCache
    # Fields that must not be pickled: the key and extra headers (which may carry
    # credentials), and, where they are fields, injected clients.
    _unpickled_fields: ClassVar[tuple[str, ...]] = ("api_key", "default_headers")

    def _client_settings(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CLIENT_SETTINGS}

    def _check_connection(self, **changed: Any) -> None:
        """Refuse bad connection settings now, not at the first call.

        Before a repr could show a password in ``base_url``, too.

        Args:
            **changed: Settings about to be assigned, checked with the others.

        Raises:
            ConfigurationError: Names the setting (never a credential's value).
        """
        resolve_config(**{**self._client_settings(), **changed})

    def _client(self) -> ModelsLabClient:
        return self._clients.sync(self._client_settings)

    async def _aclient(self) -> AsyncModelsLabClient:
        return await self._clients.for_running_loop(self._client_settings)

    def close(self) -> None:
        """Close the sync HTTP client this object created (a new one is made if used again)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close this event loop's async client and the sync client.

        Not required with ``asyncio.run``: each loop's client is closed when the loop shuts
        down.
        """
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
            value = SecretStr(value)  # as validation stores it: never a plain string
        if name in CLIENT_SETTINGS:
            self._check_connection(**{name: value})
        elif name in BODY_FIELDS and isinstance(value, Mapping):
            # The construction rule, kept on assignment: the key never lands in a body field.
            check_body_key(name, value)
            check_call_settings(value)
        super().__setattr__(name, value)
        # Clients are built once from these settings; checked on assignment, never per call.
        if name in CLIENT_SETTINGS:
            self._clients.reset()
        elif name in _INJECTED_FIELDS:  # a model that declares its injected clients as fields
            setattr(self._clients, _INJECTED_FIELDS[name], value)
            self._clients.reset()

    def __copy__(self) -> Self:
        # pydantic's shallow copy would share the cache, and so the clients: a copy made with
        # model_copy(update={"base_url": ...}) would keep sending to this object's URL.
        clone: Self = cast(Any, super()).__copy__()  # the pydantic model after this mixin
        clone._clients = self._clients.__copy__()
        return clone

    def __getstate__(self) -> dict[Any, Any]:
        # A key must not be written into a pickle; without one, the transport falls back to
        # MODELSLAB_API_KEY on the first call after unpickling.
        state: dict[Any, Any] = cast(Any, super()).__getstate__()
        return without_fields(state, *self._unpickled_fields)
