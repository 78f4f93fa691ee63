"""The invariant harness: every public entry point against every hostile server behaviour.

The table of entry points is ``invariants/surfaces.py``, the catalogue of behaviours
``invariants/behaviours.py`` and the invariants ``invariants/checker.py``; adding a line to
either table adds its runs here.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .invariants.behaviours import BEHAVIOURS, KEY
from .invariants.checker import run_checked
from .invariants.surfaces import SURFACES, Surface


@pytest.mark.parametrize("behaviour", list(BEHAVIOURS), ids=str)
@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
async def test_surface_under_behaviour(surface: Surface, behaviour: str) -> None:
    await run_checked(surface, BEHAVIOURS[behaviour])


# ------------------------------------------------------------------ generated inputs

EXAMPLES = int(os.environ.get("MODELSLAB_HARNESS_EXAMPLES", "150"))

_odd_text = st.one_of(
    st.text(max_size=20),
    st.just("\ud800 lone surrogate"),
    st.just("x" * 100_000),
    st.just("\x00\u202e\ufeff"),
)
_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3) | st.just(10**12),
    st.floats(allow_nan=True, allow_infinity=True) | st.just(1e10),
    _odd_text,
    st.lists(st.integers(), max_size=2),
)
# Where ModelsLab's own docs put the key: a body field (or a header) holding it.
_body = _value | st.dictionaries(
    st.sampled_from(["key", "api_key", "Authorization", "x"]), st.sampled_from([KEY, 1, None])
)
_VALUES = ("temperature", "max_tokens", "top_p", "stop", "seed", "timeout", "connect_timeout")
_BODIES = ("model_kwargs", "extra_body", "additional_kwargs", "default_headers", "key")
# Constructor settings, unknown names and the key as a body field included. The deadline is
# drawn small (never None) so that a run with many retries still ends quickly.
_settings = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys((*_VALUES, "bogus_setting", "reasoning_effort"), _value),
        **dict.fromkeys(_BODIES, _body),
        "max_retries": st.sampled_from([0, 1, -1, 10**9, "2", 1.5]),
        "deadline": st.floats(0.05, 0.5) | st.sampled_from([0.0, -1.0, float("nan"), "1"]),
    },
)
_tool = st.fixed_dictionaries(
    {"type": st.sampled_from(["function", "nope", None])},
    optional={
        "function": st.fixed_dictionaries(
            {"name": st.sampled_from(["ok_name", "", "bad name!", "x" * 300, None])},
            optional={"parameters": st.one_of(_value, st.just({"type": "object"}))},
        )
    },
)
_call_kwargs = st.fixed_dictionaries(
    {},
    optional={
        "temperature": _value, "max_tokens": _value, "stop": _value, "messages": _value,
        "tools": st.lists(_tool, max_size=2), "tool_choice": _value,
        "response_format": _value, "unknown_kw": _value, "extra_body": _body,
    },
)  # fmt: skip


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="MODELSLAB_HARNESS_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    surface=st.sampled_from(SURFACES),
    behaviour=st.sampled_from(sorted(BEHAVIOURS)),
    config=st.just({}) | _settings,
    prompt=_odd_text,
    call_kwargs=st.just({}) | _call_kwargs,
)
def test_generated_inputs_keep_every_invariant(
    surface: Surface,
    behaviour: str,
    config: dict[str, Any],
    prompt: str,
    call_kwargs: dict[str, Any],
) -> None:
    """Hostile settings, messages, tools and call arguments, crossed with every behaviour."""
    asyncio.run(
        run_checked(
            surface,
            BEHAVIOURS[behaviour],
            settings=config,
            prompt=prompt,
            call_kwargs=call_kwargs,
            expect_answer=False,
        )
    )
