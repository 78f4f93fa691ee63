"""Retry counts and exact waits over loopback HTTP, with the clock and jitter injected.

The transport takes ``_sleep``, ``_random`` and ``_clock``; here the sleeps are recorded,
never slept, so every wait the policy specifies is asserted to the millisecond: the server's
``retry_after`` / ``Retry-After`` (seconds or an HTTP date, capped at 60 s), else exponential
backoff with jitter; and no wait at all where nothing may be retried.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

import modelslab_transport as mt
from modelslab_local import LocalServer

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

REQUEST: mt.ChatRequest = {
    "model": "google-gemini-2.5-flash",
    "messages": [{"role": "user", "content": "What is 2 + 3?"}],
}
NOW = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT


@pytest.fixture(params=["sync", "async"])
async def client(
    request: pytest.FixtureRequest, server: LocalServer
) -> AsyncIterator[Callable[..., Any]]:
    """Factory ``client(fault, **kwargs)``: a transport client whose sleeps are recorded."""
    made: list[Any] = []

    def factory(fault: str, **kwargs: Any) -> Any:
        sleeps: list[float] = []
        kwargs.setdefault("_random", lambda: 0.0)
        common = {
            "api_key": server.api_key,
            "base_url": server.base_url,
            "default_headers": {"x-modelslab-fault": fault},
            "_clock": lambda: NOW,
            **kwargs,
        }
        if request.param == "sync":
            made.append(mt.ModelsLabClient(_sleep=sleeps.append, **common))
        else:

            async def sleep(seconds: float) -> None:
                sleeps.append(seconds)

            made.append(mt.AsyncModelsLabClient(_sleep=sleep, **common))
        made[-1].sleeps = sleeps
        return made[-1]

    yield factory
    for made_client in made:
        if isinstance(made_client, mt.ModelsLabClient):
            made_client.close()
        else:
            await made_client.aclose()


async def call(client: Any, stream: bool) -> str:
    """Chat or stream to the end; the answer's text."""
    if isinstance(client, mt.ModelsLabClient):
        if stream:
            with client.stream_chat(REQUEST) as events:
                return "".join(e.get("text", "") for e in events)
        return client.chat(REQUEST)["text"] or ""
    if stream:
        async with await client.stream_chat(REQUEST) as aevents:
            return "".join([e.get("text", "") async for e in aevents])
    return (await client.chat(REQUEST))["text"] or ""


# (fault, client kwargs, sleeps recorded) for calls that end in the right answer.
RECOVERING = [
    ("429:3*2@{id}", {}, [3.0, 3.0]),  # body retry_after, each time
    ("429:0.25*1@{id}", {}, [0.25]),
    ("429-header:2*1@{id}", {}, [2.0]),  # Retry-After seconds
    ("429-header:Wed, 21 Oct 2015 07:28:10 GMT*1@{id}", {}, [10.0]),  # HTTP date, our clock
    ("429:3600*1@{id}", {}, [60.0]),  # capped
    ("429-header:nan*1@{id}", {}, [0.5]),  # nonsense: backoff, not a crash
    ("503*3@{id}", {"max_retries": 3}, [0.5, 1.0, 2.0]),  # exponential backoff
    ("500*2@{id}", {"_random": lambda: 1.0}, [0.375, 0.75]),  # full jitter: -25 %
    ("502*1@{id}", {}, [0.5]),
    ("reset*2@{id}", {}, [0.5, 1.0]),  # no response at all: safe to repeat
    ("200-error:Rate limit exceeded*1@{id}", {}, [0.5]),  # a 429 reported in an HTTP 200
    ("stream-json-error:503*1@{id}", {}, [0.5]),  # only streams see it
]


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
@pytest.mark.parametrize(("fault", "kwargs", "sleeps"), RECOVERING, ids=[r[0] for r in RECOVERING])
async def test_recovers_after_the_specified_waits(
    client: Callable[..., Any],
    fault_id: str,
    fault: str,
    kwargs: dict[str, Any],
    sleeps: list[float],
    stream: bool,
) -> None:
    made = client(fault.format(id=f"{fault_id}-{stream}"), **kwargs)
    assert await call(made, stream) == "2 + 3 = 5."
    expected = [] if fault.startswith("stream-json-error") and not stream else sleeps
    assert made.sleeps == pytest.approx(expected)


# (fault, client kwargs, error, sleeps, for streams only) for calls that must fail.
FAILING: list[tuple[str, dict[str, Any], type[mt.APIError], list[float], bool]] = [
    ("429:2", {"max_retries": 3}, mt.RateLimitError, [2.0, 2.0, 2.0], False),
    ("503", {"max_retries": 0}, mt.InternalServerError, [], False),
    ("401", {"max_retries": 5}, mt.AuthenticationError, [], False),
    ("402", {"max_retries": 5}, mt.InsufficientCreditsError, [], False),
    ("wrong-content-type", {}, mt.MalformedResponseError, [], False),
    ("slow-first-byte:1", {"max_retries": 1, "timeout": 0.2}, mt.APITimeoutError, [0.5], False),
    # Once a response started, nothing is repeated: the server may have done (and billed) it.
    ("stall:1", {"timeout": 0.2, "max_retries": 3}, mt.APITimeoutError, [], False),
    ("stream-drop", {"max_retries": 3}, mt.StreamInterruptedError, [], True),
    ("stream-truncated", {"max_retries": 3}, mt.StreamTruncatedError, [], True),
    ("stream-error", {"max_retries": 3}, mt.ServerStreamError, [], True),
]


@pytest.mark.parametrize(
    ("fault", "kwargs", "error", "sleeps", "stream"),
    [
        pytest.param(*row[:4], stream, id=f"{row[0]}-{'stream' if stream else 'chat'}")
        for row in FAILING
        for stream in (False, True)
        if stream or not row[4]  # stream faults reshape event streams only
    ],
)
async def test_gives_up_after_the_specified_waits(
    client: Callable[..., Any],
    fault: str,
    kwargs: dict[str, Any],
    error: type[mt.APIError],
    sleeps: list[float],
    stream: bool,
) -> None:
    made = client(fault, **kwargs)
    with pytest.raises(error) as info:
        await call(made, stream)
    assert type(info.value) is error
    assert made.sleeps == pytest.approx(sleeps)
    if isinstance(info.value, mt.RateLimitError):
        assert info.value.retry_after == 2.0
