"""The invariant harness: every public entry point against every hostile server behaviour.

The table of entry points is ``invariants/surfaces.py``, the catalogue of behaviours
``invariants/behaviours.py`` and the invariants ``invariants/checker.py``; adding a line to
either table adds its runs here.
"""

from __future__ import annotations

import pytest

from .invariants.behaviours import BEHAVIOURS
from .invariants.checker import run_checked
from .invariants.surfaces import SURFACES


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS), ids=str)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
async def test_surface_under_behaviour(surface, behaviour: str) -> None:  # type: ignore[no-untyped-def]
    await run_checked(surface, BEHAVIOURS[behaviour])
