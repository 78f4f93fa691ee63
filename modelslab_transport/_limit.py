"""The concurrency budget: how many requests one client may have in flight at once.

ModelsLab queues only a few requests per account (5, 10 or 15, by plan) and answers HTTP 429
beyond that, so every client carries a budget (``max_concurrency``, default
:data:`DEFAULT_MAX_CONCURRENCY`). A request holds one *slot* of it for one attempt: from just
before it is sent until its body is read, or, for a stream, until the stream is exhausted,
fails or is closed (or garbage-collected). The slot is given back while the client sleeps
before a retry, so a request waiting out a 429 does not block the others.

The budget is per client object, shared by every thread or coroutine using it. Several
clients or worker processes add up: keep ``clients x max_concurrency`` at or below the
plan's limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable

import httpx

from ._constants import (
    DEFAULT_MAX_CONCURRENCY,
    ENV_MAX_CONCURRENCY,
    POOL_CONNECTIONS,
    POOL_KEEPALIVE,
)
from ._errors import ConfigurationError
from ._validate import shown

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "ENV_MAX_CONCURRENCY",
    "AsyncLimiter",
    "Limiter",
    "Slot",
    "pool_limits",
    "resolve_max_concurrency",
]


def _parse(given: object, source: str) -> int | None:
    value = given
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigurationError(
            f"{source} must be an int >= 0 (0 means unlimited), got {shown(given)}."
        )
    return value or None


def resolve_max_concurrency(value: int | None) -> int | None:
    """The budget to use: a positive int, or ``None`` for unlimited.

    Args:
        value: ``None`` for the default (env ``MODELSLAB_MAX_CONCURRENCY``, else
            :data:`DEFAULT_MAX_CONCURRENCY`); ``0`` for unlimited; or a positive int.

    Raises:
        ConfigurationError: The argument or the environment variable is not an int >= 0.
    """
    if value is not None:
        return _parse(value, "max_concurrency")
    env = os.environ.get(ENV_MAX_CONCURRENCY, "").strip()
    if env:
        return _parse(env, f"${ENV_MAX_CONCURRENCY}")
    return DEFAULT_MAX_CONCURRENCY


def pool_limits(max_concurrency: int | None) -> httpx.Limits:
    """Connection-pool limits for a client with this budget.

    Every in-flight request can keep its connection alive for the next one (keep-alive
    connections >= budget), and the total stays bounded. The total keeps headroom above the
    budget because an async stream dropped without ``aclose()`` may hold its connection
    until the event loop finalizes it, after its slot was given back.
    """
    budget = max_concurrency or 0
    return httpx.Limits(
        max_connections=max(POOL_CONNECTIONS, 2 * budget),
        max_keepalive_connections=max(POOL_KEEPALIVE, budget),
    )


class Slot:
    """One held unit of a budget. :meth:`release` gives it back; calling it again does nothing.

    Args:
        release: Gives the unit back (``None``: nothing to give back).
        loop: The event loop the unit belongs to, for :meth:`release_threadsafe`.
    """

    __slots__ = ("_loop", "_release")

    def __init__(
        self, release: Callable[[], None] | None, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self._release = release
        self._loop = loop

    @property
    def held(self) -> bool:
        """Whether the unit has not been given back yet."""
        return self._release is not None

    def release(self) -> None:
        """Give the unit back (idempotent)."""
        release, self._release = self._release, None
        if release is not None:
            release()

    def release_threadsafe(self) -> None:
        """Give the unit back from a finalizer, which may run on any thread.

        An asyncio semaphore is not thread-safe, so its unit is given back by its own loop;
        a closed loop has nobody left waiting, so nothing needs to happen then.
        """
        loop = self._loop
        if loop is None:
            self.release()
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self.release)


class Limiter:
    """A thread-safe budget for the sync client (``None``: unlimited, only counted).

    One condition over a counter, rather than a semaphore plus a counter: a call takes and
    gives back its slot under one C-level lock, and only a thread that finds the budget
    spent waits (see bench/ for why every microsecond per call is counted).
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._free = threading.Condition(threading.Lock())
        self._in_flight = 0
        self._waiting = 0  # threads inside wait(): only then is a notify needed

    @property
    def in_flight(self) -> int:
        """Slots held right now."""
        return self._in_flight

    def acquire(self, wait: float | None = None) -> Slot | None:
        """Wait for a free slot and hold it; ``None`` if none came free within ``wait`` s.

        A slot held by a stream nobody reads would otherwise make every later call wait
        forever: the wait is bounded by the call's deadline (or its read timeout).
        """
        with self._free:
            if self.limit and self._in_flight >= self.limit:
                until = None if wait is None else time.monotonic() + wait
                while self._in_flight >= self.limit:
                    left = None if until is None else until - time.monotonic()
                    if left is not None and left <= 0:
                        return None
                    self._waiting += 1
                    try:
                        self._free.wait(left)
                    finally:
                        self._waiting -= 1
            self._in_flight += 1
        return Slot(self._release)

    def _release(self) -> None:
        with self._free:
            self._in_flight -= 1
            if self._waiting:
                self._free.notify()


class AsyncLimiter:
    """The async client's budget: an ``asyncio.Semaphore`` bound to the running loop.

    The semaphore is created on first use inside a loop (and again if the client is later
    used on another loop, whose waiters cannot be those of a closed one).
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Slots held right now (on the current loop)."""
        return self._in_flight

    async def acquire(self, wait: float | None = None) -> Slot | None:
        """Wait for a free slot and hold it; ``None`` if none came free within ``wait`` s."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._in_flight = loop, 0
            self._semaphore = asyncio.Semaphore(self.limit) if self.limit else None
        semaphore = self._semaphore
        if semaphore is not None and semaphore.locked():
            try:
                await asyncio.wait_for(semaphore.acquire(), wait)
            except asyncio.TimeoutError:
                return None
        elif semaphore is not None:
            await semaphore.acquire()  # free: taken at once, without wait_for's extra task
        self._in_flight += 1
        return Slot(lambda: self._release(loop, semaphore), loop)

    def _release(
        self, loop: asyncio.AbstractEventLoop, semaphore: asyncio.Semaphore | None
    ) -> None:
        if loop is self._loop:  # a unit of an abandoned loop's budget is not ours to count
            self._in_flight -= 1
        if semaphore is not None:
            semaphore.release()
