"""Fixtures for the reliability suite: the local server and models on counting transports."""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from modelslab_local import LocalServer, start_server

from .harness import AsyncCountingTransport, CountingTransport, Tally, make_model


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    """The local ModelsLab-compatible server on a free loopback port."""
    with start_server() as handle:
        yield handle


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's real key, base URL or concurrency budget."""
    for name in ("MODELSLAB_API_KEY", "MODELSLAB_BASE_URL", "MODELSLAB_MAX_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True, scope="module")
def _collect_garbage() -> Iterator[None]:
    """Collect after each module, so an unclosed socket in a reference cycle warns in it.

    (Once per module: a full collection costs tenths of a second with both frameworks
    loaded. Tests about closing collect themselves.)
    """
    yield
    gc.collect()


@pytest.fixture
def fault_id() -> str:
    """A fresh id for counted faults (``name*N@id``): no test shares a server-side counter."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
async def wired(
    server: LocalServer,
) -> AsyncIterator[Callable[..., tuple[Any, Tally]]]:
    """Factory ``wired(framework, **model_kwargs) -> (model, tally)``; all closed afterwards.

    The model sends through real loopback HTTP via counting transports; ``base_url`` defaults
    to the server's and may be a fault URL.
    """
    opened: list[tuple[httpx.Client, httpx.AsyncClient]] = []

    def factory(framework: str, **kwargs: Any) -> tuple[Any, Tally]:
        tally = Tally()
        http = httpx.Client(transport=CountingTransport(tally))
        ahttp = httpx.AsyncClient(transport=AsyncCountingTransport(tally))
        opened.append((http, ahttp))
        kwargs.setdefault("api_key", server.api_key)
        kwargs.setdefault("base_url", server.base_url)
        return make_model(framework, http, ahttp, **kwargs), tally

    yield factory
    for http, ahttp in opened:
        http.close()
        await ahttp.aclose()
