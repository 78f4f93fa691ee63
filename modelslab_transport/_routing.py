"""A process-wide route for every request: how a test double takes over all clients.

A model built at import time, in a fixture of wider scope, or copied from another one has
already resolved its base URL and key when a test starts. Setting the environment for the
test cannot reach it, so a "local" test could talk to the real API with the shell's key, and
be billed for it. While a route is installed, every request any client of this package
builds (sync or async, ours or through a caller's ``httpx`` client) goes to the route's base
URL with the route's key instead; nothing is sent anywhere else. The route is read when each
request is built, so it holds for clients created before, during and after it is installed.

This module is the transport's only process-wide state; ``modelslab_pytest`` installs a
route for the duration of a test that uses the ``modelslab_script`` fixture.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import SecretStr

from ._errors import ConfigurationError

__all__ = ["RequestRoute", "active_route", "route_requests"]


@dataclass(frozen=True, slots=True)
class RequestRoute:
    """Where every request goes while the route is installed, and with which key.

    Attributes:
        base_url: The API base URL of the stand-in server (``http://127.0.0.1:PORT/api/v7/llm``).
        api_key: The key that server accepts (never shown in ``repr``).
        owner: Who installed the route, named in errors (``"the modelslab_script fixture"``).

    Example:
        ```python
        from pydantic import SecretStr

        from modelslab_local import ScriptedEngine, start_server
        from modelslab_transport import ModelsLabClient, RequestRoute, route_requests

        client = ModelsLabClient("sk-real-key", base_url="https://modelslab.com/api/v7/llm")
        request = {"model": "any-model", "messages": [{"role": "user", "content": "Hi"}]}
        engine = ScriptedEngine().reply("Answered by the double")
        with start_server(engine=engine, allow_unknown_models=True) as server:
            route = RequestRoute(server.base_url, SecretStr(server.api_key), "this example")
            with route_requests(route):
                print(client.chat(request)["text"])
        ```

        The ``modelslab_script`` fixture installs one for each test (README, "Testing your
        own code with a scripted server"); the local server is started in
        ``notebooks/01_langchain_quickstart.ipynb``.
    """

    base_url: str
    api_key: SecretStr = field(repr=False)
    owner: str = "a request route"

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                # The scheme only: a URL may carry a credential in its path or query.
                "A request route needs an absolute http(s) base URL with a host, got "
                f"{parts.scheme or 'no'} scheme{'' if parts.hostname else ' and no host'}."
            )
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if not isinstance(self.api_key, SecretStr):
            object.__setattr__(self, "api_key", SecretStr(str(self.api_key)))


# Read on every request (one global lookup); written only by ``route_requests``.
_ACTIVE: RequestRoute | None = None
_LOCK = threading.Lock()


def active_route() -> RequestRoute | None:
    """The route installed now, or ``None`` (requests go where each client says)."""
    return _ACTIVE


@contextmanager
def route_requests(route: RequestRoute) -> Iterator[RequestRoute]:
    """Send every request of every client to ``route`` until the block ends.

    Routes do not nest: one stand-in server at a time keeps "where did my request go"
    answerable.

    Raises:
        ConfigurationError: Another route is already installed.
    """
    global _ACTIVE
    with _LOCK:
        if _ACTIVE is not None:
            raise ConfigurationError(
                f"Requests are already routed to {_ACTIVE.base_url} by {_ACTIVE.owner}; "
                f"{route.owner} cannot route them elsewhere at the same time."
            )
        _ACTIVE = route
    try:
        yield route
    finally:
        with _LOCK:
            _ACTIVE = None
