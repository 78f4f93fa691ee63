"""Fixtures for the LlamaIndex adapter: the local server, LLM factories, scripted fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from li_fakes import KEY, FakeAPI, Wire

from llama_index_modelslab import ModelsLabLLM

# ---------------------------------------------------------------- local server


@pytest.fixture(scope="session")
def server() -> Iterator[Any]:
    """The project's ModelsLab-compatible server on loopback, shared by the session."""
    from modelslab_local import start_server

    with start_server() as handle:
        yield handle


@pytest.fixture
def make_llm(server: Any) -> Iterator[Callable[..., ModelsLabLLM]]:
    """Build ``ModelsLabLLM`` instances pointed at the local server; closed after the test."""
    made: list[ModelsLabLLM] = []

    def factory(**kwargs: Any) -> ModelsLabLLM:
        kwargs.setdefault("api_key", server.api_key)
        kwargs.setdefault("base_url", server.base_url)
        kwargs.setdefault("max_retries", 0)
        llm = ModelsLabLLM(**kwargs)
        made.append(llm)
        return llm

    yield factory
    for llm in made:
        llm.close()


@pytest.fixture
async def wired_llm(server: Any) -> AsyncIterator[Callable[..., tuple[ModelsLabLLM, Wire]]]:
    """Build ``ModelsLabLLM`` instances on the local server whose HTTP is recorded by a ``Wire``."""
    opened: list[tuple[ModelsLabLLM, httpx.Client, httpx.AsyncClient]] = []

    def factory(**kwargs: Any) -> tuple[ModelsLabLLM, Wire]:
        wire = Wire()
        http, ahttp = wire.client(), wire.async_client()
        kwargs.setdefault("api_key", server.api_key)
        kwargs.setdefault("base_url", server.base_url)
        kwargs.setdefault("max_retries", 0)
        llm = ModelsLabLLM(http_client=http, async_http_client=ahttp, **kwargs)
        opened.append((llm, http, ahttp))
        return llm, wire

    yield factory
    for llm, http, ahttp in opened:
        llm.close()
        http.close()
        await ahttp.aclose()


@pytest.fixture
def llm(make_llm: Callable[..., ModelsLabLLM]) -> ModelsLabLLM:
    """A default ``ModelsLabLLM`` on the local server."""
    return make_llm()


@pytest.fixture
def fake() -> Callable[..., tuple[ModelsLabLLM, FakeAPI]]:
    """Build a ``ModelsLabLLM`` whose HTTP goes to a scripted ``httpx.MockTransport``."""
    opened: list[Any] = []

    def factory(*script: Any, **kwargs: Any) -> tuple[ModelsLabLLM, FakeAPI]:
        api = FakeAPI(list(script))
        http = httpx.Client(transport=httpx.MockTransport(api.handler))
        ahttp = httpx.AsyncClient(transport=httpx.MockTransport(api.ahandler))
        opened.append((http, ahttp))
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", "https://api.test/api/v7/llm")
        kwargs.setdefault("max_retries", 0)
        llm = ModelsLabLLM(http_client=http, async_http_client=ahttp, **kwargs)
        return llm, api

    yield factory  # type: ignore[misc]
    for http, _ahttp in opened:
        http.close()
        # MockTransport holds no sockets; the async client needs no loop to be dropped.
