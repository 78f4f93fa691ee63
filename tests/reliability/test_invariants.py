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

# Every surface meets every behaviour on its first wire format; the adapters' surfaces meet
# a sample of them on the second too (each behaviour reaches both endpoints in the generated
# runs, which draw ``api_format``).
_SECOND_FORMAT = ("ok", "400-odd-body", "429-bad-retry-after", "200-error-body", "200-bad-json",
                  "stream-cut-mid-event", "stream-error-event", "read-error", "key-in-body")  # fmt: skip  # noqa: E501
_RUNS = [
    pytest.param(s, f, b, id=f"{s.name}-{f}-{b}")
    for s in SURFACES
    for i, f in enumerate(s.formats)
    for b in (BEHAVIOURS if i == 0 else _SECOND_FORMAT)
]


@pytest.mark.parametrize(("surface", "api_format", "behaviour"), _RUNS)
async def test_surface_under_behaviour(surface: Surface, api_format: str, behaviour: str) -> None:
    settings = {} if api_format == "openai" else {"api_format": api_format}
    await run_checked(surface, BEHAVIOURS[behaviour], settings=settings)


# ------------------------------------------------------------------ generated inputs

EXAMPLES = int(os.environ.get("MODELSLAB_HARNESS_EXAMPLES", "150"))

_odd_text = st.one_of(
    st.text(max_size=20),
    st.just("\ud800 lone surrogate"),
    st.just("x" * 100_000),
    st.just("\x00\u202e\ufeff"),
)
# The key pasted into a setting where a number or a choice belongs: refused, never echoed.
_misplaced_key = st.sampled_from([KEY, {"key": KEY}, [KEY], (KEY,)])
_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3) | st.just(10**12),
    st.floats(allow_nan=True, allow_infinity=True) | st.just(1e10),
    _odd_text,
    st.lists(st.integers(), max_size=2),
    _misplaced_key,
)
# Reasoning settings: the valid values and hostile ones (ChatOpenAI's and ChatAnthropic's).
_effort = st.sampled_from(["none", "minimal", "low", "high", "max", "extreme", ""]) | _value
_thinking = _value | st.fixed_dictionaries(
    {"type": st.sampled_from(["enabled", "disabled", "adaptive", KEY])},
    optional={"budget_tokens": st.sampled_from([1024, 2048, 1023, 0, -1, 1.5, "2048", KEY])},
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
        **dict.fromkeys((*_VALUES, "bogus_setting"), _value),
        "reasoning_effort": _effort,
        "thinking": _thinking,
        "api_format": st.sampled_from(["openai", "anthropic"]) | _value,
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
        "reasoning_effort": _effort, "thinking": _thinking, "deadline": _value,
        "timeout": _value,
    },
)  # fmt: skip


@pytest.mark.timeout(120 + EXAMPLES)  # a larger example count takes longer, never forever
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="MODELSLAB_HARNESS_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    surface=st.sampled_from(SURFACES),
    behaviour=st.sampled_from(sorted(BEHAVIOURS)),
    config=st.sampled_from([{}, {"api_format": "anthropic"}]) | _settings,
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
