"""The one invariant checker every harness run goes through.

``run_checked`` wires a surface to a behaviour through ``httpx.MockTransport`` behind the
counting :class:`~tests.reliability.harness.Tally`, runs it, and asserts:

1. it ends in the correct answer or an error from :data:`OUR_ERRORS`, never a raw builtin or
   httpx exception;
2. the key is in no exception (text, repr, args, chained causes), no log record of any logger
   at DEBUG, no answer;
3. no response is left open (the tally) and no concurrency slot is kept: the same model
   surface, with one slot, then answers a correct server;
4. for async surfaces, the event loop never stalls for more than ``STALL_LIMIT``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pydantic
from langchain_core.exceptions import OutputParserException

import modelslab_transport as mt

from ..harness import Tally
from .behaviours import KEY, Behaviour, ok
from .env import Env
from .surfaces import Surface

# The errors a public call may raise: the transport's tree (the adapters' classes subclass
# it), LangChain's documented parse failure for structured output, and pydantic's
# ValidationError, which both frameworks document for refused constructor arguments.
OUR_ERRORS: tuple[type[BaseException], ...] = (
    mt.ModelsLabError,
    OutputParserException,
    pydantic.ValidationError,
)
# The loop may not stall longer than this. 100 ms is the promise; the margin absorbs a
# scheduler hiccup on a loaded two-core machine (a real stall, a blocking call, takes seconds).
STALL_LIMIT = 0.1 + 0.15
# A deadline must hold within 0.5 s; the extra 0.5 s absorbs a loaded two-core machine.
DEADLINE_SLACK = 0.5 + 0.5


def _deadline(settings: dict[str, Any]) -> float:
    """The run's deadline: the drawn one if it is a valid number, else the harness's 5 s."""
    value = settings.get("deadline")
    valid = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e9
    return float(value) if valid else 5.0


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record) + repr(record.args))


@contextmanager
def capture_logs() -> Iterator[_Capture]:
    """Every log record of every logger, DEBUG included."""
    root = logging.getLogger()
    handler, level = _Capture(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


class _Switch:
    """A MockTransport handler whose behaviour can be swapped between calls."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour

    def __call__(self, request: httpx.Request) -> httpx.Response:
        return self.behaviour(request)


class _Counted(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A MockTransport reporting to a Tally, sync and async."""

    def __init__(self, tally: Tally, handler: _Switch) -> None:
        self.tally, self._inner = tally, httpx.MockTransport(handler)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.tally._sent(request)
        return self.tally._opened(self._inner.handle_request(request))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.tally._sent(request)
        return self.tally._opened(await self._inner.handle_async_request(request))


def exception_texts(exc: BaseException) -> str:
    """Everything an exception shows: its chain's text, reprs, args and traceback."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args), repr(vars(seen))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


class _Ticker:
    """Wakes every 10 ms and records the longest gap beyond that: a stalled event loop."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.worst = 0.0

    def mark(self) -> None:
        now = time.monotonic()
        self.worst = max(self.worst, now - self.last - _TICK)
        self.last = now

    async def run(self) -> None:
        while True:
            await asyncio.sleep(_TICK)
            self.mark()


_TICK = 0.01


async def _call(surface: Surface, env: Env) -> tuple[str | None, BaseException | None, float]:
    ticker = _Ticker()
    task = asyncio.ensure_future(ticker.run()) if surface.is_async else None
    await asyncio.sleep(0)  # the ticker is running before the call starts
    answer: str | None = None
    error: BaseException | None = None
    try:
        answer = await surface.run(env)
    except Exception as exc:  # judged by the checker
        error = exc
    if task is not None:
        ticker.mark()  # a stall at the very end counts too
        task.cancel()
    return answer, error, ticker.worst


async def run_checked(
    surface: Surface,
    behaviour: Behaviour,
    *,
    settings: dict[str, Any] | None = None,
    prompt: str = "hi",
    call_kwargs: dict[str, Any] | None = None,
    expect_answer: bool | None = None,
) -> tuple[str | None, BaseException | None]:
    """Run ``surface`` against ``behaviour`` and assert every invariant; return the outcome.

    ``expect_answer`` (default: when ``behaviour`` is the correct server) demands the answer.
    """
    tally, switch = Tally(), _Switch(behaviour)
    transport = _Counted(tally, switch)
    with httpx.Client(transport=transport) as http:
        async with httpx.AsyncClient(transport=transport) as ahttp:
            env = Env(http, ahttp, dict(settings or {}), prompt, dict(call_kwargs or {}))
            env.sent = tally.requests
            with capture_logs() as logs:
                started = time.monotonic()
                answer, error, stall = await _call(surface, env)
                took = time.monotonic() - started
            where = f"{surface.name} x {getattr(behaviour, '__name__', behaviour)}"
            _check_outcome(
                where,
                surface,
                answer,
                error,
                behaviour is ok if expect_answer is None else expect_answer,
            )
            assert KEY not in "\n".join(logs.texts), f"{where}: key in a log record"
            assert tally.open == 0, f"{where}: {tally.open} responses left open"
            limit = _deadline(env.settings) * surface.calls  # one deadline per call it makes
            assert took <= limit + DEADLINE_SLACK, f"{where}: took {took:.2f} s, deadline {limit}"
            if surface.is_async:
                assert stall < STALL_LIMIT, f"{where}: event loop stalled {stall:.3f} s"
            if error is not None or behaviour is not ok:
                await _slot_released(where, surface, env, switch)
    return answer, error


def _check_outcome(
    where: str, surface: Surface, answer: str | None, error: BaseException | None, must: bool
) -> None:
    if error is not None:
        assert isinstance(error, OUR_ERRORS), (
            f"{where}: raw {type(error).__module__}.{type(error).__qualname__}: {error!r}"
        )
        assert KEY not in exception_texts(error), f"{where}: key in the exception"
        assert str(error), f"{where}: an error that says nothing"
        assert not must, f"{where}: a correct server, yet {error!r}"
        return
    assert answer is not None, f"{where}: no answer and no error"
    # Any answer must be the right one, whatever the server did: a wrong one is silent.
    assert answer == surface.expect, f"{where}: wrong answer {answer!r}"


async def _slot_released(where: str, surface: Surface, env: Env, switch: _Switch) -> None:
    """The run's models have one concurrency slot: a failed call must leave it free."""
    if surface.name == "serialization" or not env.built:
        return  # nothing to reuse: the settings were refused before any model existed
    switch.behaviour = ok
    env.call_kwargs, env.prompt = {}, "hi"  # the same models (see ``Env``), a plain call
    answer = await asyncio.wait_for(surface.run(env), 10)
    assert answer == surface.expect, f"{where}: a later correct call answered {answer!r}"
