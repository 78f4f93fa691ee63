"""Fixtures for the local server's contract tests: one server per session, plain httpx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from modelslab_local import LocalServer, start_server


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    """The server under test, on a free loopback port."""
    with start_server() as handle:
        yield handle


@pytest.fixture(scope="session")
def client(server: LocalServer) -> Iterator[httpx.Client]:
    """An authenticated client on the API base URL."""
    headers = {"Authorization": f"Bearer {server.api_key}"}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as http:
        yield http


@pytest.fixture(scope="session")
def anon(server: LocalServer) -> Iterator[httpx.Client]:
    """A client on the API base URL that sends no credentials."""
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http
