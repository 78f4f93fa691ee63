"""Fixtures for scaling: the local server, the Ray recipe module, in-flight counters."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# A key of its own: workers that answer prove the key reached them.
SERVER_KEY = "sk-scale-SECRET-7f3a9c"
TOTAL = 12
WAIT = 5.0  # bound for a gate that should open at once; reached only when a test fails
# How long a full server waits for a request beyond the budget. No clock can stand in here:
# the test observes real threads and tasks that would (wrongly) get past the limiter.
SETTLE = 0.05


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as the module ``name`` (examples are not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    if str(EXAMPLES) not in sys.path:
        # As for a script run from there: an example imports the files next to it.
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def recipe() -> ModuleType:
    """The Ray batch recipe, ``examples/ray_batch.py`` (importing it needs no Ray)."""
    return load_example("ray_batch")


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """The local ModelsLab-compatible server, accepting only :data:`SERVER_KEY`."""
    from modelslab_local import start_server

    with start_server(api_key=SERVER_KEY) as handle:
        yield handle


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's key, base URL or budget."""
    for name in ("MODELSLAB_API_KEY", "MODELSLAB_BASE_URL", "MODELSLAB_MAX_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)


def completion(text: str = "Hello!") -> httpx.Response:
    """A ``chat.completion`` answer with usage."""
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "m-1",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
        },
    )


class Peak:
    """Counts requests in flight at the server, holding each until ``width`` are in at once.

    Once ``width`` requests are in they stay :data:`SETTLE` longer, so a client sending more
    than its budget pushes ``peak`` above it; one sending fewer never reaches ``width`` (the
    wait times out and ``peak`` stays below it).
    """

    def __init__(self, width: int, total: int = TOTAL) -> None:
        self.width, self.total = width, total
        self.in_flight = self.done = self.peak = 0

    def enter(self) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def leave(self) -> httpx.Response:
        self.in_flight -= 1
        self.done += 1
        return completion()

    def full(self) -> bool:
        return self.in_flight >= self.width or self.done + self.in_flight >= self.total

    def over(self) -> bool:
        return self.in_flight > self.width


class ThreadPeak(Peak):
    """:class:`Peak` for a sync client used from threads."""

    def __init__(self, width: int, total: int = TOTAL) -> None:
        super().__init__(width, total)
        self.cond = threading.Condition()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.cond:
            self.enter()
            self.cond.notify_all()
            self.cond.wait_for(self.full, timeout=WAIT)
            self.cond.wait_for(self.over, timeout=SETTLE)
            response = self.leave()
            self.cond.notify_all()
            return response


class TaskPeak(Peak):
    """:class:`Peak` for an async client used from coroutines."""

    def __init__(self, width: int, total: int = TOTAL) -> None:
        super().__init__(width, total)
        self.cond = asyncio.Condition()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        async with self.cond:
            self.enter()
            self.cond.notify_all()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.cond.wait_for(self.full), WAIT)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.cond.wait_for(self.over), SETTLE)
            response = self.leave()
            self.cond.notify_all()
            return response
