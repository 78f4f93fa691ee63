"""Fixtures for the LangChain adapter: the local server and model factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import pytest_socket

from langchain_modelslab import ChatModelsLab


@pytest.fixture(scope="session")
def server() -> Iterator[Any]:
    """The project's ModelsLab-compatible server on loopback, shared by the session."""
    from modelslab_local import start_server

    with start_server() as handle:
        yield handle


@pytest.fixture
def make_model(server: Any) -> Iterator[Callable[..., ChatModelsLab]]:
    """Build ``ChatModelsLab`` instances on the local server; their clients close afterwards."""
    made: list[ChatModelsLab] = []

    def factory(**kwargs: Any) -> ChatModelsLab:
        kwargs.setdefault("api_key", server.api_key)
        kwargs.setdefault("base_url", server.base_url)
        kwargs.setdefault("max_retries", 0)
        model = ChatModelsLab(**kwargs)
        made.append(model)
        return model

    yield factory
    for model in made:
        model.close()


@pytest.fixture
def no_network() -> Iterator[None]:
    """Fail the test if it opens a socket (Unix sockets stay allowed: asyncio needs them)."""
    pytest_socket.disable_socket(allow_unix_socket=True)
    yield
    pytest_socket.enable_socket()
