"""The fault matrix: every failure the issue lists, over real loopback HTTP, through both adapters.

Each row is one fault the local server injects (``/fault/<spec>/...`` base URL; counted
variants ``*N@<unique id>`` fail only the first N requests) and what each call must end in:
the right answer (after the stated number of attempts) or one typed error (after the stated
number of attempts). Every row runs for LangChain and LlamaIndex × invoke / ainvoke / stream /
astream. Each case also checks that no response is left open (every connection went back to
the pool or was dropped) and, for faults after the first streamed chunk, that what the caller
saw before the error is a strict prefix of the right answer: text is never silently truncated
and nothing is retried once a chunk was delivered.

Waits: the models sleep for real here (the adapters have no clock to inject), so rows use
``retry_after`` 0 / 0.1 and short timeouts; exact waits are asserted with an injected clock in
``test_retry_waits.py``. Backoff without a server-given wait is ~0.4-0.5 s per retry, so rows
that need it allow one retry only.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.exceptions import (
    ModelAPIError,
    ModelConnectionError,
    ModelError,
    ModelRateLimitError,
    ModelTimeoutError,
)

import modelslab_transport as mt
from modelslab_local import LocalServer

from .harness import FRAMEWORKS, MODES, STREAM_MODES, SYNC_MODES, ask, check_sum

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

# A catalog model without reasoning: its stream is text deltas only, so a fault placed
# mid-answer by the server always comes after some delivered text.
MODEL = "google-gemini-2.5-flash"
PROMPT = "What is 2 + 3?"
ANSWER_FOR = (2, 3)
OVERSIZED = 70_000  # more than one 64 KiB read


@dataclass(frozen=True)
class Expect:
    """One call's outcome: ``error`` is ``None`` for the right answer."""

    attempts: int
    error: type[mt.ModelsLabError] | None = None
    midstream: bool = False  # the error comes after some text was delivered


def ok(attempts: int) -> Expect:
    return Expect(attempts)


def fails(error: type[mt.ModelsLabError], attempts: int, *, midstream: bool = False) -> Expect:
    return Expect(attempts, error, midstream)


@dataclass(frozen=True)
class Row:
    """A fault (``{id}`` is replaced by a per-test id) and its outcome per call kind."""

    name: str
    spec: str
    invoke: Expect
    stream: Expect
    max_retries: int = 2
    timeout: float | None = None
    min_seconds: float = 0.0  # a server-requested wait that must have been honoured


ROWS = [
    # Rate limits: the server's wait is honoured (body retry_after, then the header).
    Row("429-body-retry-after", "429:0.1*1@{id}", ok(2), ok(2), min_seconds=0.1),
    Row("429-retry-after-header", "429-header:0.1*1@{id}", ok(2), ok(2), min_seconds=0.1),
    # More 429s than max_retries allows: 1 + max_retries attempts, then the typed error.
    Row("429-burst", "429:0", fails(mt.RateLimitError, 3), fails(mt.RateLimitError, 3)),
    # 5xx once, then success: in test_5xx_once_then_success below, not here.
    # Connection reset before any response: retried (the server cannot have done the work).
    Row("reset-once", "reset*1@{id}", ok(2), ok(2)),
    Row(
        "reset-always",
        "reset",
        fails(mt.APIConnectionError, 2),
        fails(mt.APIConnectionError, 2),
        max_retries=1,
    ),
    # Faults inside a stream: never retried once a chunk was delivered; plain calls are
    # unaffected (the fault only reshapes event streams).
    Row(
        "stream-drop",
        "stream-drop",
        ok(1),
        fails(mt.StreamInterruptedError, 1, midstream=True),
    ),
    Row(
        "stream-truncated",
        "stream-truncated",
        ok(1),
        fails(mt.StreamTruncatedError, 1, midstream=True),
    ),
    Row(
        "stream-malformed-line",
        "stream-malformed",
        ok(1),
        fails(mt.MalformedResponseError, 1, midstream=True),
    ),
    Row(
        "stream-error-event",
        "stream-error",
        ok(1),
        fails(mt.ServerStreamError, 1, midstream=True),
    ),
    # ModelsLab's own {"status": "error"} report as a data line, then the normal end marker:
    # the stream must not end as a (shorter) success.
    Row(
        "stream-error-modelslab-shape",
        "stream-error-ml",
        ok(1),
        fails(mt.ServerStreamError, 1, midstream=True),
    ),
    # Error reports that are not HTTP errors.
    Row("200-error-body", "200-error", fails(mt.APIStatusError, 1), fails(mt.APIStatusError, 1)),
    Row("json-error-on-stream", "stream-json-error", ok(1), fails(mt.APIStatusError, 1)),
    Row("json-503-on-stream-once", "stream-json-error:503*1@{id}", ok(1), ok(2)),
    # The same report labelled as an event stream: its words decide the class (a rate limit).
    Row("json-error-as-event-stream", "stream-json-error-sse", ok(1), fails(mt.RateLimitError, 1)),
    Row(
        "wrong-content-type",
        "wrong-content-type",
        fails(mt.MalformedResponseError, 1),
        fails(mt.MalformedResponseError, 1),
    ),
    Row(
        "malformed-json-body",
        "malformed-json",
        fails(mt.MalformedResponseError, 1),
        fails(mt.MalformedResponseError, 1),
    ),
    # Timeouts. Before the first byte: retried like a refused connection. After the headers
    # or the first chunk: the server may be working (and billing), so never retried.
    Row(
        "slow-first-byte",
        "slow-first-byte:1",
        fails(mt.APITimeoutError, 2),
        fails(mt.APITimeoutError, 2),
        max_retries=1,
        timeout=0.25,
    ),
    Row(
        "stall-after-first-chunk",
        "stall:1",
        fails(mt.APITimeoutError, 1),
        fails(mt.APITimeoutError, 1),
        timeout=0.25,
    ),
    # A large answer arrives whole.
    Row("oversized", f"oversized:{OVERSIZED}", ok(1), ok(1)),
]

# The LangChain class each transport error must also be (what LangChain middleware catches).
CORE: dict[type[mt.ModelsLabError], type[ModelError]] = {
    mt.RateLimitError: ModelRateLimitError,
    mt.APIConnectionError: ModelConnectionError,
    mt.StreamInterruptedError: ModelConnectionError,
    mt.APITimeoutError: ModelTimeoutError,
    mt.StreamTruncatedError: ModelAPIError,
    mt.MalformedResponseError: ModelAPIError,
    mt.ServerStreamError: ModelAPIError,
    mt.APIStatusError: ModelAPIError,
}


def transport_class(exc: BaseException) -> type[BaseException]:
    """The transport class behind ``exc`` (LangChain raises a subclass of it, adding the core
    class as a second base and nothing else)."""
    cls = type(exc)
    if cls.__module__.startswith("langchain_modelslab"):
        return cls.__bases__[0]
    return cls


def check_error(exc: BaseException, expected: type[mt.ModelsLabError], framework: str) -> None:
    assert transport_class(exc) is expected, f"{type(exc).__mro__} is not {expected}"
    if framework == "langchain":
        assert isinstance(exc, CORE[expected])
        assert exc.is_retryable is exc.retryable  # type: ignore[attr-defined]
    assert str(exc), "an error must say what went wrong"


def check_answer(row: Row, answer: str) -> None:
    if row.name == "oversized":
        assert len(answer) == OVERSIZED
        assert answer.startswith("lorem ipsum")
    else:
        check_sum(answer, *ANSWER_FOR)


async def run_row(
    wired: Any, server: LocalServer, fault_id: str, row: Row, framework: str, mode: str, **kw: Any
) -> None:
    expect = row.stream if mode in STREAM_MODES else row.invoke
    model, tally = wired(
        framework,
        model=MODEL,
        base_url=server.fault_base_url(row.spec.format(id=fault_id)),
        max_retries=row.max_retries,
        timeout=row.timeout,
        **kw,
    )
    seen: list[str] = []
    started = time.monotonic()
    if expect.error is None:
        check_answer(row, await ask(model, mode, PROMPT, seen))
    else:
        with pytest.raises(mt.ModelsLabError) as info:
            await ask(model, mode, PROMPT, seen)
        check_error(info.value, expect.error, framework)
        delivered = "".join(seen)
        if expect.midstream:
            assert delivered, "the fault must come after the first chunk"
        # Whatever arrived before an error is a strict prefix of the answer, never all of it.
        assert "2 + 3 = 5.".startswith(delivered)
        assert delivered != "2 + 3 = 5."
    assert tally.sent == expect.attempts, f"attempts: {tally.paths}"
    assert tally.open == 0, "a response was left open"
    assert time.monotonic() - started >= row.min_seconds


def cases(rows: list[Row], modes: tuple[str, ...] = tuple(MODES)) -> list[Any]:
    """(row, framework, mode) for every row, framework and mode."""
    return [
        pytest.param(row, framework, mode, id=f"{row.name}-{framework}-{mode}")
        for row in rows
        for framework in FRAMEWORKS
        for mode in modes
    ]


@pytest.mark.parametrize(("row", "framework", "mode"), cases(ROWS))
async def test_fault_matrix(
    wired: Any, server: LocalServer, fault_id: str, row: Row, framework: str, mode: str
) -> None:
    await run_row(wired, server, fault_id, row, framework, mode)


# 5xx once, then success, for each status the retry policy groups under ">= 500". Every retry
# here waits a real backoff (~0.4 s), so the three statuses run side by side in one case per
# framework and mode: all twenty-four combinations for the wall time of eight retries. Each
# has its own model, tally and fault counter; a failure is reported with its row's name.
RETRIED_ONCE = [
    Row(f"{status}-once", f"{status}*1@{{id}}", ok(2), ok(2)) for status in (500, 502, 503)
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_5xx_once_then_success(
    wired: Any, server: LocalServer, fault_id: str, framework: str, mode: str
) -> None:
    calls = [
        run_row(wired, server, f"{fault_id}-{r.name}", r, framework, mode) for r in RETRIED_ONCE
    ]
    if mode in SYNC_MODES:
        # A sync call blocks its event loop: each runs in a thread of its own (and its loop).
        calls = [asyncio.to_thread(asyncio.run, call) for call in calls]
    # Every call finishes before the models are closed, failed or not.
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    failures = [
        f"row {row.name}: {type(outcome).__name__}: {outcome}"
        for row, outcome in zip(RETRIED_ONCE, outcomes, strict=True)
        if isinstance(outcome, BaseException)
    ]
    assert not failures, "5xx once, then success:\n" + "\n".join(failures)


# The Messages endpoint has its own event grammar (named events, ``event: error``, no
# ``[DONE]``); only its stream faults differ from the rows above, so only they run on it.
MESSAGES_ROWS = [r for r in ROWS if r.name.startswith(("stream-", "stall"))]


@pytest.mark.parametrize(("row", "framework", "mode"), cases(MESSAGES_ROWS, STREAM_MODES))
async def test_stream_faults_on_the_messages_endpoint(
    wired: Any, server: LocalServer, fault_id: str, row: Row, framework: str, mode: str
) -> None:
    await run_row(wired, server, fault_id, row, framework, mode, api_format="anthropic")
