"""The invariant harness's socket tier: every entry point against timing and connection tricks.

The behaviours are ``invariants/timing.py``'s, served on real loopback sockets; each run is
bounded by its deadline, so the whole cross takes minutes. ``make test`` runs a diagonal of it
(every behaviour with several surfaces, every surface at least once, ~30 s);
``MODELSLAB_HARNESS_TIMING=full`` runs every pair. The local server under 100 slow clients
(slowloris) runs with four entry points by default, every text one in the full run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from modelslab_local import LocalServer, Reply, ScriptedEngine, start_server

from .invariants.behaviours import KEY, STRUCTURED, TEXT
from .invariants.surfaces import Env, Surface
from .invariants.timing import SOCKET_BEHAVIOURS, TIMED_SURFACES, run_on_sockets

_FULL = os.environ.get("MODELSLAB_HARNESS_TIMING") == "full"
# Every behaviour meets every ``_STRIDE``-th surface, shifted by one per behaviour, so that
# the default run still reaches every surface and every behaviour.
_STRIDE = 7
PAIRS = [
    (surface, behaviour)
    for b, behaviour in enumerate(SOCKET_BEHAVIOURS)
    for s, surface in enumerate(TIMED_SURFACES)
    if _FULL or (s + b) % _STRIDE == 0
]


@pytest.mark.parametrize(("surface", "behaviour"), PAIRS, ids=[f"{s.name}-{b}" for s, b in PAIRS])
async def test_surface_on_sockets(surface: Surface, behaviour: str) -> None:
    await run_on_sockets(surface, behaviour)


# ------------------------------------------------ the local server under 100 slow clients

SLOW_CLIENTS = 100
REQUEST_TIMEOUT = 1.0  # the local server's limit for a request to arrive whole
_TEXT_SURFACES = [s for s in TIMED_SURFACES if s.expect in (TEXT, STRUCTURED)]
_DEFAULT_UNDER_LOAD = ("raw.chat", "araw.stream_chat", "lc.invoke", "li.achat")
UNDER_LOAD = [s for s in _TEXT_SURFACES if _FULL or s.name in _DEFAULT_UNDER_LOAD]


@pytest.fixture(scope="module")
def scripted_server() -> Iterator[LocalServer]:
    """The local server with answers queued, closing requests not whole within 1 s."""
    engine = ScriptedEngine().queue(*[Reply(TEXT)] * 200)
    with start_server(
        api_key=KEY, engine=engine, allow_unknown_models=True, request_timeout=REQUEST_TIMEOUT
    ) as server:
        yield server


def _slowloris(port: int, stop: threading.Event) -> list[socket.socket]:
    """Open the slow clients: each sends a request head a byte every 300 ms, never ending it."""
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(SLOW_CLIENTS)]
    for sock in socks:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")

    def drip() -> None:
        while not stop.wait(0.3):
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X")

    threading.Thread(target=drip, daemon=True).start()
    return socks


def _closed_by_server(sock: socket.socket, until: float) -> bool:
    sock.settimeout(max(0.01, until - time.monotonic()))
    try:
        while sock.recv(4096):  # an error answer (a 408) may come before the close
            pass
    except TimeoutError:
        return False
    except OSError:  # reset: closed too
        return True
    return True


@pytest.mark.parametrize("surface", UNDER_LOAD, ids=lambda s: s.name)
async def test_the_local_server_answers_and_sheds_slow_clients(
    surface: Surface, scripted_server: LocalServer
) -> None:
    stop = threading.Event()
    socks = await asyncio.to_thread(_slowloris, scripted_server.port, stop)
    try:
        async with httpx.AsyncClient() as ahttp:
            with httpx.Client() as http:
                settings = {"base_url": scripted_server.base_url, "deadline": 5.0}
                env = Env(http, ahttp, settings, route_url=scripted_server.base_url)
                started = time.monotonic()
                answer = await surface.run(env)
                took = time.monotonic() - started
        assert answer == surface.expect, f"{surface.name}: answered {answer!r}"
        assert took <= 5.0 + 0.5, (
            f"{surface.name}: took {took:.2f} s under {SLOW_CLIENTS} slow clients"
        )
        until = time.monotonic() + REQUEST_TIMEOUT + 3.0
        shed = await asyncio.to_thread(lambda: sum(_closed_by_server(s, until) for s in socks))
        assert shed == SLOW_CLIENTS, f"the server still holds {SLOW_CLIENTS - shed} slow clients"
    finally:
        stop.set()
        for sock in socks:
            sock.close()
