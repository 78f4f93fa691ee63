"""The invariant harness's socket tier: every entry point against timing and connection tricks.

The behaviours are ``invariants/timing.py``'s, served on real loopback sockets; each run is
bounded by its deadline, so the whole cross takes minutes. ``make test`` runs a diagonal of it
(every behaviour with several surfaces, every surface at least once, ~30 s);
``MODELSLAB_HARNESS_TIMING=full`` runs every pair.
"""

from __future__ import annotations

import os

import pytest

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
async def test_surface_on_sockets(surface: object, behaviour: str) -> None:
    await run_on_sockets(surface, behaviour)  # type: ignore[arg-type]
