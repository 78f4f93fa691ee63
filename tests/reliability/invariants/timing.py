"""The socket tier: timing and connection behaviours on real loopback sockets, one line each.

``httpx.MockTransport`` applies no timeout and has no socket, so the behaviours in
``behaviours.py`` cannot stall, trickle or reset. Here each behaviour is a script for the raw
loopback server (``rawserver.py``): what to send for a request, given its path and body (a
head, body pieces, pauses, ``HOLD``, ``COMMENTS``, ``CLOSE``, ``RESET``), or not to read at
all. Every surface of ``surfaces.SURFACES`` runs against it through real ``httpx`` clients,
with a short deadline, and :func:`run_on_sockets` asserts, besides the checker's outcome and
key rules:

1. the call ends within its deadline plus half a second (plus a margin for a loaded machine);
2. the server sees every connection closed within :data:`CLOSE_GRACE` after the call;
3. no concurrency slot is kept: the same models then answer a correct server;
4. in async calls the event loop never stalls longer than the checker's limit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from llama_index_modelslab import ModelsLabLLM

from ..rawserver import CLOSE, COMMENTS, EVENT_STREAM, HOLD, JSON, RESET, RawServer, Step, head
from .behaviours import KEY, TEXT, ok
from .checker import DEADLINE_SLACK, STALL_LIMIT, _call, _check_outcome, capture_logs
from .surfaces import SURFACES, Env, Surface, aio, sync

# Short, so that the tier stays within its time budget; long enough to connect and answer.
DEADLINE = 0.5
# How soon after a call ends the server must see its connections closed.
CLOSE_GRACE = 1.0
UNLISTED = "my-org/unlisted-model"  # a model id the catalog does not list: it asks /v1/models
Script = Callable[[str, bytes], tuple[bytes, list[Step]]]


def _is_stream(body: bytes) -> bool:
    return b'"stream": true' in body or b'"stream":true' in body


def _head(path: str, body: bytes) -> bytes:
    """The head a correct server would send (chunked): an event stream or JSON."""
    return head(EVENT_STREAM if _is_stream(body) else JSON)


def _ok_body(path: str, body: bytes) -> tuple[int, str, bytes]:
    """What ``behaviours.ok`` answers to this request: status, content type, body."""
    request = httpx.Request("POST" if body else "GET", f"http://server{path}", content=body)
    response = ok(request)
    return response.status_code, response.headers["content-type"], response.content


def correct(path: str, body: bytes) -> tuple[bytes, list[Step]]:
    """The correct answer, whole, on a connection the server then closes.

    Closing it leaves the server holding no connection once a call is done, so any connection
    still open after a call is one the client failed to close.
    """
    status, content_type, content = _ok_body(path, body)
    answer = (
        f"HTTP/1.1 {status} OK\r\ncontent-type: {content_type}\r\n"
        f"content-length: {len(content)}\r\nconnection: close\r\n\r\n"
    ).encode()
    return answer + content, [CLOSE]


def _first(path: str, body: bytes) -> bytes:
    """The correct body's first few bytes: an answer that started and then stopped."""
    return _ok_body(path, body)[2][:24]


def _trickle(path: str, body: bytes) -> list[Step]:
    """The correct body, one byte every 200 ms (never a read timeout, always past a deadline)."""
    steps: list[Step] = []
    for byte in _ok_body(path, body)[2]:
        steps += [bytes([byte]), 0.2]
    return [*steps, b""]


def _models_slow(path: str, body: bytes) -> tuple[bytes, list[Step]]:
    """``/v1/models`` trickles; every other endpoint answers correctly."""
    return (_head(path, body), _trickle(path, body)) if "models" in path else correct(path, body)


def _never(path: str, body: bytes) -> tuple[bytes, list[Step]]:
    raise AssertionError("a server that never reads never sees a request")


# Big enough to fill both sockets' buffers, so that a server that never reads blocks the send.
_BIG = "x" * 24_000_000


@dataclass(frozen=True)
class SocketBehaviour:
    """How the server treats a request; which surfaces must still get the right answer."""

    script: Script
    reads: bool = True
    prompt: str = "hi"
    answers: Callable[[Surface], bool] = lambda surface: False
    # Whether the server can see the client close. Not when the client gave up in the middle
    # of sending to a server that never reads: its kernel cannot send the FIN behind data the
    # server will never take, so the client's own pool is checked instead.
    seen_closing: bool = True


def _no_models(surface: Surface) -> bool:
    return "list_models" not in surface.name


B = SocketBehaviour
# One line per behaviour.
SOCKET_BEHAVIOURS: dict[str, SocketBehaviour] = {
    "head-never-comes": B(lambda p, b: (b"", [HOLD])),
    "first-event-never-comes": B(lambda p, b: (_head(p, b), [HOLD])),
    "stall-mid-stream": B(lambda p, b: (_head(p, b), [_first(p, b), HOLD])),
    "trickle-past-deadline": B(lambda p, b: (_head(p, b), _trickle(p, b))),
    "keep-alive-comments-forever": B(lambda p, b: (head(), [COMMENTS])),
    "reset-after-head": B(lambda p, b: (_head(p, b), [RESET])),
    "closed-mid-body": B(lambda p, b: (_head(p, b), [_first(p, b), CLOSE])),
    "accept-never-read": B(lambda p, b: (b"", [HOLD]), reads=False),
    "accept-never-read-big-request": B(_never, reads=False, prompt=_BIG, seen_closing=False),
    "slow-models-list": B(_models_slow, answers=_no_models),
}


def _unlisted(env: Env) -> ModelsLabLLM:
    """A LlamaIndex model whose context window the server is asked for (one per run)."""
    clients = {"http_client": env.http, "async_http_client": env.ahttp}
    return env._once("li-unlisted", lambda c: ModelsLabLLM(model=UNLISTED, **clients, **c))  # type: ignore[no-any-return]


async def _achat_unlisted(env: Env) -> str:
    response = await _unlisted(env).achat(env.li_messages())
    return str(response.message.content)


def _window_unlisted(env: Env) -> str:
    return TEXT if _unlisted(env).metadata.context_window > 0 else "no window"


# Entry points that matter on sockets only: the context-length lookup of an unlisted model.
UNLISTED_SURFACES: list[Surface] = [
    Surface("li.metadata[unlisted]", sync(_window_unlisted)),
    Surface("li.achat[unlisted]", aio(_achat_unlisted), is_async=True),
]
# ``modelslab-check``'s battery makes some twenty calls, each bounded by the deadline, so one
# deadline cannot bound it: the mock tier checks it (every behaviour, every invariant).
TIMED_SURFACES: list[Surface] = [
    *(s for s in SURFACES if s.name != "check.run_battery"),
    *UNLISTED_SURFACES,
]


class _Switch:
    """The server's script, swappable between calls (a hostile one, then a correct one)."""

    def __init__(self, script: Script) -> None:
        self.script = script

    def __call__(self, path: str, body: bytes) -> tuple[bytes, list[Step]]:
        return self.script(path, body)


async def run_on_sockets(
    surface: Surface, name: str, *, deadline: float = DEADLINE
) -> tuple[str | None, BaseException | None]:
    """Run ``surface`` against the socket behaviour ``name``; assert every invariant."""
    behaviour = SOCKET_BEHAVIOURS[name]
    where = f"{surface.name} x {name}"
    switch = _Switch(behaviour.script)
    with RawServer(switch, with_path=True, reads=behaviour.reads) as server:
        async with httpx.AsyncClient() as ahttp:
            with httpx.Client() as http:
                settings = {"base_url": server.base_url, "deadline": deadline, "max_retries": 2}
                env = Env(http, ahttp, settings, behaviour.prompt, route_url=server.base_url)
                with capture_logs() as logs:
                    started = time.monotonic()
                    answer, error, stall = await _call(surface, env)
                    took = time.monotonic() - started
                _check_outcome(where, surface, answer, error, behaviour.answers(surface))
                assert KEY not in "\n".join(logs.texts), f"{where}: key in a log record"
                assert took <= deadline + DEADLINE_SLACK, f"{where}: took {took:.2f} s"
                if surface.is_async:
                    assert stall < STALL_LIMIT, f"{where}: event loop stalled {stall:.3f} s"
                if behaviour.seen_closing:
                    closed = await asyncio.to_thread(server.wait_closed, CLOSE_GRACE)
                    assert closed, f"{where}: {server.live} connection(s) left open"
                else:
                    assert not _pooled(http, ahttp), f"{where}: connection(s) left in the pool"
                await _slot_released(where, surface, env, server, switch)
    return answer, error


def _pooled(http: httpx.Client, ahttp: httpx.AsyncClient) -> list[Any]:
    """The connections the clients' pools still hold (httpcore's pools, by their attribute)."""
    pools = [getattr(c._transport, "_pool", None) for c in (http, ahttp)]
    return [conn for pool in pools if pool is not None for conn in pool.connections]


async def _slot_released(
    where: str, surface: Surface, env: Env, server: RawServer, switch: _Switch
) -> None:
    """Each run's models have one concurrency slot: the call must have given it back."""
    if not env.built:
        return  # no model was built (serialization builds its own)
    switch.script, server.reads = correct, True
    env.prompt = "hi"
    answer: Any = await asyncio.wait_for(surface.run(env), 10)
    assert answer == surface.expect, f"{where}: a later correct call answered {answer!r}"
