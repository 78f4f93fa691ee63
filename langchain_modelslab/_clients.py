"""The connection half of ``ChatModelsLab``: its fields.

The clients built from them, their lifecycle, copying and pickling live in the transport's
:class:`~modelslab_transport.ClientOwner`; this module only declares the fields LangChain
users set (with LangChain's environment defaults).
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from langchain_core.language_models import BaseChatModel
from langchain_core.utils import from_env, secret_from_env
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr

from modelslab_transport import DEFAULT_BASE_URL, ClientCache, ClientOwner, check_init_arguments

__all__ = ["ConnectedChatModel"]


class ConnectedChatModel(ClientOwner, BaseChatModel):
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
    deadline: float | None = None
    """Seconds one call may take in all: every attempt, the waits between retries and reading
    a slowly trickling answer (for a stream: until its first event). ``None``: no overall
    bound. Per call: ``invoke(..., deadline=5)``; a per-call ``timeout`` also bounds the call."""
    max_concurrency: int | None = None
    """Most requests in flight at once per transport client (the sync one, and the async one
    of each event loop); more wait for a slot. ``None``: ``MODELSLAB_MAX_CONCURRENCY``, else
    5; ``0``: unlimited. Not the same as ``batch(config={"max_concurrency": ...})``, which
    bounds LangChain's worker threads/tasks."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("MODELSLAB_API_KEY", default=None)
    )
    base_url: str = Field(default_factory=from_env("MODELSLAB_BASE_URL", default=DEFAULT_BASE_URL))
    default_headers: dict[str, str] | None = Field(default=None, exclude=True, repr=False)
    """Extra headers on every request; never in a repr, a dump or a pickle (they may carry
    credentials): set them again where an unpickled model runs."""
    key_in_body: bool = False
    allow_insecure_http: bool = False
    http_client: httpx.Client | None = Field(default=None, exclude=True)
    """Your own ``httpx.Client`` (proxies, certificates); not closed by the model."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True)
    """Your own ``httpx.AsyncClient``; it must be used on one event loop only."""

    # hide_input_in_errors: a ValidationError must not print the constructor's input, which
    # holds the key as a plain string (``ChatModelsLab(api_key=..., temperature="hot")``).
    model_config = ConfigDict(
        populate_by_name=True, arbitrary_types_allowed=True, hide_input_in_errors=True
    )

    _clients: ClientCache = PrivateAttr(default_factory=ClientCache)
    # Neither the key nor the caller's HTTP clients travel in a pickle: clients hold sockets
    # and locks, and a key must not be written to disk. Unpickling re-reads the environment.
    _unpickled_fields: ClassVar[tuple[str, ...]] = (
        "api_key",
        "default_headers",
        "http_client",
        "http_async_client",
    )

    def __init__(self, **kwargs: Any) -> None:
        # Before pydantic, which would drop an unknown name in silence and wrap our error.
        check_init_arguments(type(self), kwargs, ("model_kwargs", "extra_body"))
        super().__init__(**kwargs)
        # After validation, not inside it: pydantic would wrap the ConfigurationError.
        self._check_connection()

    def model_post_init(self, context: Any, /) -> None:
        """Hand the caller's own HTTP clients, if any, to the client cache."""
        super().model_post_init(context)
        self._clients = ClientCache(self.http_client, self.http_async_client)

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        if self.api_key is None:
            self.__dict__["api_key"] = secret_from_env("MODELSLAB_API_KEY", default=None)()

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        memo = {} if memo is None else memo
        # Shared, never copied: the caller's HTTP clients and rate limiter hold locks.
        for shared in (self.http_client, self.http_async_client, self.rate_limiter):
            if shared is not None:
                memo[id(shared)] = shared
        return super().__deepcopy__(memo)
