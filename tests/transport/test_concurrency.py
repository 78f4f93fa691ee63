"""The concurrency budget: in-flight limits across threads and coroutines, slots and retries."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from modelslab_transport import (
    APIConnectionError,
    APITimeoutError,
    AsyncModelsLabClient,
    AuthenticationError,
    ConfigurationError,
    InternalServerError,
    ModelsLabClient,
    StreamTruncatedError,
)
from modelslab_transport._limit import DEFAULT_MAX_CONCURRENCY, Limiter, pool_limits

from .conftest import BASE, KEY, REQUEST, Api, Script, chunk, completion_body, drain, sse

MakeApi = Callable[..., Api]
TOTAL = 12
WAIT = 5.0  # upper bound for a gate that should open at once; reached only when a test fails
# How long a full server waits for a request beyond the budget. No clock can stand in here:
# the test observes real threads and tasks that would (wrongly) get past the limiter.
SETTLE = 0.05
STREAM = sse(chunk("Hel"), chunk("lo", finish="stop"), "[DONE]")


def ok() -> httpx.Response:
    return httpx.Response(200, json=completion_body())


def events(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


class Peak:
    """Counts requests in flight at the server, holding each until ``width`` are in at once.

    Once ``width`` requests are in, they stay a moment (:data:`SETTLE`) longer, so a client
    that sends more than its budget pushes ``peak`` above it; one that sends fewer never
    reaches ``width`` (the wait then times out and ``peak`` stays below it).
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
        return ok()

    def full(self) -> bool:
        return self.in_flight >= self.width or self.done + self.in_flight >= self.total

    def over(self) -> bool:
        return self.in_flight > self.width


class ThreadPeak(Peak):
    def __init__(self, width: int) -> None:
        super().__init__(width)
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
    def __init__(self, width: int) -> None:
        super().__init__(width)
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


# ------------------------------------------------------------------------ configuration


@pytest.mark.parametrize(
    ("arg", "env", "expected"),
    [
        (None, None, DEFAULT_MAX_CONCURRENCY),
        (None, "12", 12),
        (None, " 0 ", None),
        (3, "12", 3),
        (0, None, None),
        (1, None, 1),
    ],
)
def test_budget_from_argument_env_or_default(
    monkeypatch: pytest.MonkeyPatch, arg: int | None, env: str | None, expected: int | None
) -> None:
    if env is not None:
        monkeypatch.setenv("MODELSLAB_MAX_CONCURRENCY", env)
    with ModelsLabClient(KEY, base_url=BASE, max_concurrency=arg) as client:
        assert client.max_concurrency == expected
    assert AsyncModelsLabClient(KEY, base_url=BASE, max_concurrency=arg).max_concurrency == (
        expected
    )


@pytest.mark.parametrize(
    ("arg", "env", "named"),
    [
        (-1, None, "max_concurrency"),
        (2.5, None, "max_concurrency"),
        (True, None, "max_concurrency"),
        (None, "five", "MODELSLAB_MAX_CONCURRENCY"),
        (None, "-3", "MODELSLAB_MAX_CONCURRENCY"),
    ],
)
def test_bad_budget_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, arg: Any, env: str | None, named: str
) -> None:
    if env is not None:
        monkeypatch.setenv("MODELSLAB_MAX_CONCURRENCY", env)
    with pytest.raises(ConfigurationError, match=named):
        ModelsLabClient(KEY, base_url=BASE, max_concurrency=arg)


@pytest.mark.parametrize("budget", [None, 1, 5, 15, 40, 500])
def test_pool_keeps_a_connection_per_slot_and_stays_bounded(budget: int | None) -> None:
    limits = pool_limits(budget)
    assert limits.max_keepalive_connections is not None
    assert limits.max_connections is not None
    assert limits.max_keepalive_connections >= (budget or 0)
    assert limits.max_connections >= limits.max_keepalive_connections
    assert limits.max_connections <= max(100, 2 * (budget or 0))


# ------------------------------------------------------------------- in-flight limits


@pytest.mark.parametrize(("budget", "width"), [(1, 1), (3, 3), (5, 5), (0, TOTAL)])
def test_threads_share_the_sync_budget(budget: int, width: int) -> None:
    server = ThreadPeak(width)
    client = ModelsLabClient(
        KEY, base_url=BASE, max_concurrency=budget, transport=httpx.MockTransport(server)
    )
    with client, ThreadPoolExecutor(TOTAL) as pool:
        answers = list(pool.map(lambda _: client.chat(REQUEST)["text"], range(TOTAL)))
    assert answers == ["Hello!"] * TOTAL
    assert server.peak == width
    assert client._limiter.in_flight == 0


def test_two_slots_freed_back_to_back_wake_two_waiting_threads() -> None:
    limiter = Limiter(2)
    held = [limiter.acquire(), limiter.acquire()]
    waiters = [threading.Thread(target=lambda: limiter.acquire().release()) for _ in range(2)]
    for t in waiters:
        t.start()
    deadline = time.monotonic() + 10
    while limiter._waiting < 2 and time.monotonic() < deadline:  # both are blocked now
        time.sleep(0.001)
    for slot in held:  # no thread runs in between: both wake-ups must be sent
        slot.release()
    for t in waiters:
        t.join(10)
    assert not any(t.is_alive() for t in waiters), "a thread waited on a free slot"
    assert limiter.in_flight == 0


@pytest.mark.parametrize("budget", [1, 2, 3])
def test_no_waiting_thread_is_forgotten_when_slots_free_up_together(budget: int) -> None:
    # Many threads, short holds, some released back to back: a wake-up lost while two
    # slots free at once would leave a thread waiting on a budget with room (a hang).
    limiter = Limiter(budget)
    peak, lock = [0], threading.Lock()

    def work(i: int) -> None:
        for j in range(200):
            slot = limiter.acquire()
            with lock:
                peak[0] = max(peak[0], limiter.in_flight)
            if (i + j) % 7 == 0:
                threading.Event().wait(0.0001)
            slot.release()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a thread waited on a free slot"
    assert peak[0] == budget
    assert limiter.in_flight == 0


@pytest.mark.parametrize(("budget", "width"), [(1, 1), (3, 3), (5, 5), (0, TOTAL)])
async def test_coroutines_share_the_async_budget(budget: int, width: int) -> None:
    server = TaskPeak(width)
    async with AsyncModelsLabClient(
        KEY, base_url=BASE, max_concurrency=budget, transport=httpx.MockTransport(server)
    ) as client:
        answers = await asyncio.gather(*(client.chat(REQUEST) for _ in range(TOTAL)))
        assert client._limiter.in_flight == 0
    assert [a["text"] for a in answers] == ["Hello!"] * TOTAL
    assert server.peak == width


def test_default_budget_applies_without_configuration() -> None:
    server = ThreadPeak(DEFAULT_MAX_CONCURRENCY)
    with (
        ModelsLabClient(KEY, base_url=BASE, transport=httpx.MockTransport(server)) as client,
        ThreadPoolExecutor(TOTAL) as pool,
    ):
        list(pool.map(lambda _: client.chat(REQUEST), range(TOTAL)))
    assert server.peak == DEFAULT_MAX_CONCURRENCY


async def test_a_client_used_on_two_loops_gets_a_fresh_budget_on_each() -> None:
    client = AsyncModelsLabClient(
        KEY, base_url=BASE, max_concurrency=2, transport=httpx.MockTransport(lambda r: ok())
    )

    async def two() -> None:
        await asyncio.gather(client.chat(REQUEST), client.chat(REQUEST))

    await two()
    await asyncio.to_thread(asyncio.run, two())  # another thread, another loop
    await two()
    assert client._limiter.in_flight == 0
    await client.aclose()


# --------------------------------------------------------------- slots and failures


async def test_slot_is_given_back_while_sleeping_before_a_retry(kind: str) -> None:
    seen: list[tuple[float, int]] = []  # (seconds asked, slots held while sleeping)
    busy = httpx.Response(429, headers={"retry-after": "2"}, json={"error": "busy"})
    script = Script([busy, ok()])
    transport = httpx.MockTransport(script)
    kwargs: dict[str, Any] = {"base_url": BASE, "max_concurrency": 1, "_random": lambda: 0.0}
    if kind == "sync":

        def sleep_sync(seconds: float) -> None:
            seen.append((seconds, client._limiter.in_flight))

        client = ModelsLabClient(KEY, transport=transport, _sleep=sleep_sync, **kwargs)
        with client:
            answer = client.chat(REQUEST)
    else:

        async def sleep(seconds: float) -> None:
            seen.append((seconds, aclient._limiter.in_flight))

        aclient = AsyncModelsLabClient(KEY, transport=transport, _sleep=sleep, **kwargs)
        async with aclient:
            answer = await aclient.chat(REQUEST)
    assert answer["text"] == "Hello!"
    assert len(script.requests) == 2  # the 429 was retried, after the wait it asked for
    assert seen == [(2.0, 0)]


@pytest.mark.parametrize(
    "reply",
    [
        httpx.Response(401, json={"error": {"message": "bad key"}}),
        httpx.ConnectError("refused"),
        httpx.Response(500, json={"error": {"message": "boom"}}),
    ],
    ids=["401", "connect-error", "500-after-retries"],
)
async def test_failed_requests_give_their_slot_back(api: MakeApi, reply: Any) -> None:
    facade = api(reply, max_concurrency=1)
    with pytest.raises((AuthenticationError, APIConnectionError, InternalServerError)):
        await facade.chat()
    assert facade.client._limiter.in_flight == 0
    facade.script.replies = [ok()]
    assert (await facade.chat())["text"] == "Hello!"


async def test_cancelled_requests_give_their_slot_back() -> None:
    started, never = asyncio.Event(), asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.set()
        await never.wait()
        return ok()

    async with AsyncModelsLabClient(
        KEY, base_url=BASE, max_concurrency=1, transport=httpx.MockTransport(hang)
    ) as client:
        first = asyncio.ensure_future(client.chat(REQUEST))
        await started.wait()
        queued = asyncio.ensure_future(client.chat(REQUEST))  # waits for the only slot
        await asyncio.sleep(0)
        queued.cancel()
        first.cancel()
        await asyncio.gather(first, queued, return_exceptions=True)
        assert client._limiter.in_flight == 0
        assert client._limiter._semaphore is not None
        assert not client._limiter._semaphore.locked()


# ------------------------------------------------------------------------ streams


async def test_open_stream_holds_its_slot_until_read(api: MakeApi) -> None:
    facade = api(events(STREAM), max_concurrency=2)
    limiter = facade.client._limiter
    stream = await facade.open_stream()
    assert limiter.in_flight == 1
    assert "".join(d.get("text", "") for d in await drain(stream)) == "Hello"
    assert limiter.in_flight == 0


async def test_stream_slot_is_given_back_on_error_and_on_close(api: MakeApi) -> None:
    facade = api(events(sse(chunk("Hel"))), max_concurrency=1)
    limiter = facade.client._limiter
    with pytest.raises(StreamTruncatedError):
        await drain(await facade.open_stream())
    assert limiter.in_flight == 0
    stream = await facade.open_stream()
    assert limiter.in_flight == 1
    await (stream.aclose() if facade.kind == "async" else asyncio.to_thread(stream.close))
    await (stream.aclose() if facade.kind == "async" else asyncio.to_thread(stream.close))
    assert limiter.in_flight == 0


def test_abandoned_sync_stream_gives_its_slot_back() -> None:
    script = Script([events(STREAM)])
    with ModelsLabClient(
        KEY, base_url=BASE, max_concurrency=1, transport=httpx.MockTransport(script)
    ) as client:
        stream = client.stream_chat(REQUEST)
        next(stream)  # started, then dropped
        assert client._limiter.in_flight == 1
        del stream
        gc.collect()
        assert client._limiter.in_flight == 0
        script.replies = [ok()]
        assert client.chat(REQUEST)["text"] == "Hello!"


@pytest.mark.parametrize("started", [False, True])
async def test_abandoned_async_stream_gives_its_slot_back(started: bool) -> None:
    script = Script([events(STREAM)])
    async with AsyncModelsLabClient(
        KEY, base_url=BASE, max_concurrency=1, transport=httpx.MockTransport(script)
    ) as client:
        stream = await client.stream_chat(REQUEST)
        if started:
            await anext(stream)
        assert client._limiter.in_flight == 1
        del stream
        gc.collect()
        for _ in range(3):  # the finalizer hands the release to the loop
            await asyncio.sleep(0)
        assert client._limiter.in_flight == 0
        script.replies = [ok()]
        answer = await asyncio.wait_for(client.chat(REQUEST), WAIT)
        assert answer["text"] == "Hello!"


@pytest.mark.parametrize("bound", [{"deadline": 0.5}, {"timeout": 0.5}])
async def test_a_call_waits_for_a_slot_no_longer_than_its_deadline(
    api: MakeApi, bound: dict[str, float]
) -> None:
    """A slot held by a stream nobody reads: the next call gives up at its deadline (or, with
    none, its read timeout), not when the stream is closed."""
    facade = api(events(STREAM), ok(), max_concurrency=1, **bound)
    stream = await facade.open_stream()  # holds the only slot and is never read
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="max_concurrency=1 slots"):
        await facade.chat()
    assert 0.4 < time.monotonic() - started < 3
    assert facade.client._limiter.in_flight == 1  # the failed call took no slot
    assert "".join(d.get("text", "") for d in await drain(stream)) == "Hello"
    assert facade.client._limiter.in_flight == 0
