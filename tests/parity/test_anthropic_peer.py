"""Messages format: the body ChatModelsLab sends equals ChatAnthropic's, for the same messages.

Both talk to one loopback server in this process (``anthropic_wire``, in this folder's
conftest) that records each body and answers like Messages; nothing leaves the machine. Bodies
are compared field by field (paths as in the Chat Completions parity test); the fields that
differ on purpose are listed once in docs/modelslab-api.md §4.1, which this test reads: a
difference not listed fails, and so does a listed difference that no case shows any more. An
entry that ends "in the `<case>` case" holds for that case only.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from pydantic import BaseModel

from langchain_modelslab import ChatModelsLab

DOC = Path(__file__).parents[2] / "docs" / "modelslab-api.md"
MARKER = "differences-from-chat-anthropic"


def _listed() -> list[tuple[str, str | None]]:
    """``(path, case or None)`` for each path the list in docs/modelslab-api.md names."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"<!-- {MARKER} -->")[1].split(f"<!-- /{MARKER} -->")[0]
    out: list[tuple[str, str | None]] = []
    for head in re.findall(r"^- (.+?): ", section, flags=re.MULTILINE):
        scoped = re.search(r" in the `([^`]+)` case$", head)
        names = re.findall(r"`([^`]+)`", head[: scoped.start()] if scoped else head)
        out += [(name, scoped.group(1) if scoped else None) for name in names]
    return out


def _unlisted(found: frozenset[str], case: str) -> set[str]:
    listed = [p for p, scope in _listed() if scope in (None, case)]
    return {path for path in found if not any(_matches(p, path) for p in listed)}


def _matches(pattern: str, path: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", "[^.]+"), path) is not None


class Answer(BaseModel):
    """An answer."""

    a: int


CALL = {"id": "toolu_1", "name": "get", "args": {"city": "Paris"}, "type": "tool_call"}
THINKING = [
    {"type": "thinking", "thinking": "Let me see.", "signature": "sig-A=="},
    {"type": "redacted_thinking", "data": "opaque-1"},
]
TOOL = {
    "name": "get",
    "description": "Weather of a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}

TEXT = {"type": "text", "text": "What is this?"}
IMAGE = {
    "type": "image",
    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
}
CACHED = {"cache_control": {"type": "ephemeral"}}
ANTHROPIC_TOOL = {
    "name": "get",
    "description": "Weather of a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}

CASES: list[Any] = [
    pytest.param([HumanMessage("Hi")], {}, id="text"),
    pytest.param(
        [
            HumanMessage("Weather?"),
            AIMessage(content=THINKING, tool_calls=[CALL]),
            ToolMessage("boom", tool_call_id="toolu_1", status="error"),
        ],
        {},
        id="thinking-signature-and-failed-tool",
    ),
    pytest.param([HumanMessage("Weather?")], {"strict": True}, id="strict-tool"),
    pytest.param(
        [
            HumanMessage("Weather?"),
            AIMessage(content="", tool_calls=[CALL]),
            ToolMessage("sunny", tool_call_id="toolu_1"),
        ],
        {},
        id="tool-result",
    ),
    pytest.param([HumanMessage([TEXT, IMAGE])], {}, id="image"),
    pytest.param(
        [SystemMessage("Be brief."), SystemMessage("Use French."), HumanMessage("Hi")],
        {},
        id="several-system-messages",
    ),
    pytest.param([HumanMessage("Weather?")], {"tool_choice": "get"}, id="forced-tool"),
    pytest.param(
        [
            HumanMessage("Look"),
            AIMessage(content="", tool_calls=[CALL]),
            ToolMessage([{"type": "text", "text": "shot"}, IMAGE], tool_call_id="toolu_1"),
        ],
        {},
        id="tool-result-with-image",
    ),
    pytest.param(
        [SystemMessage([{**TEXT, "text": "Be brief.", **CACHED}]), HumanMessage("Hi")],
        {},
        id="cache-system",
    ),
    pytest.param(
        [
            HumanMessage([{**TEXT, **CACHED}, {**IMAGE, **CACHED}]),
            AIMessage("ok"),
            HumanMessage("more"),
        ],
        {},
        id="cache-text-and-image",
    ),
    pytest.param(
        [
            HumanMessage("Weather?"),
            AIMessage(content="", tool_calls=[CALL]),
            ToolMessage([{"type": "text", "text": "sunny", **CACHED}], tool_call_id="toolu_1"),
        ],
        {},
        id="cache-tool-result",
    ),
    pytest.param(
        [HumanMessage("Weather?")], {"tools": [{**ANTHROPIC_TOOL, **CACHED}]}, id="cache-tool"
    ),
]


# Structured output, in each method ChatAnthropic supports.
STRUCTURED = {
    f"structured {method}": lambda m, method=method: m.with_structured_output(
        Answer, method=method
    ).invoke("Give a.")
    for method in ("function_calling", "json_schema")
}
# Anthropic refuses a forced tool with thinking: both drop the choice (with a warning).
STRUCTURED["forced tool with thinking"] = lambda m: m.bind_tools([TOOL], tool_choice="get").invoke(
    "Weather?"
)
SETTINGS = {
    "forced tool with thinking": {
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "max_tokens": 4096,
    }
}
NAMES = [str(c.id) for c in CASES] + list(STRUCTURED)


def _model(wire: Any, cls: str, case: str = "") -> Any:
    settings: dict[str, Any] = SETTINGS.get(case, {})
    if cls == "ours":
        return ChatModelsLab(
            api_key="k",
            base_url=wire.url,
            model="m",
            api_format="anthropic",
            max_retries=0,
            **settings,
        )
    return ChatAnthropic(api_key="k", base_url=wire.url, model="m", max_retries=0, **settings)


def _bound(model: Any, tools: dict[str, Any]) -> Any:
    options = dict(tools)
    return model.bind_tools(options.pop("tools", [TOOL]), **options) if tools else model


@functools.cache
def _body(wire: Any, cls: str, case: str) -> dict[str, Any]:
    model = _model(wire, cls, case)
    wire.bodies.clear()
    if case in STRUCTURED:
        with warnings.catch_warnings():  # the fallbacks each side warns about
            warnings.simplefilter("ignore")
            STRUCTURED[case](model)
    else:
        messages, tools = next(c.values for c in CASES if c.id == case)
        _bound(model, tools).invoke(messages)
    return wire.bodies[-1]


@functools.cache
def _diff(wire: Any, case: str) -> frozenset[str]:
    return frozenset(wire.differences(_body(wire, "ours", case), _body(wire, "peer", case)))


@pytest.mark.parametrize("case", NAMES)
def test_messages_body_equals_chat_anthropic(anthropic_wire: Any, case: str) -> None:
    assert _unlisted(_diff(anthropic_wire, case), case) == set()


def test_each_listed_difference_is_still_seen(anthropic_wire: Any) -> None:
    listed = _listed()
    assert len(listed) >= 5  # the list is read, not empty
    unseen = [
        (pattern, scope)
        for pattern, scope in listed
        if not any(
            _matches(pattern, path)
            for case in ([scope] if scope else NAMES)
            for path in _diff(anthropic_wire, case)
        )
    ]
    assert unseen == []


def test_the_structured_cases_carry_what_they_are_named_for(anthropic_wire: Any) -> None:
    forced = {"type": "tool", "name": "Answer"}
    for cls in ("ours", "peer"):
        assert _body(anthropic_wire, cls, "structured function_calling")["tool_choice"] == forced
    assert _body(anthropic_wire, "ours", "structured json_schema")["tool_choice"] == forced
    peer = _body(anthropic_wire, "peer", "structured json_schema")
    assert peer["output_config"]["format"]["type"] == "json_schema"
    for cls in ("ours", "peer"):
        body = _body(anthropic_wire, cls, "forced tool with thinking")
        assert "tool_choice" not in body
        assert (body["thinking"]["type"], body["tools"][0]["name"]) == ("enabled", "get")


@pytest.mark.parametrize(
    ("messages", "tools"), [c for c in CASES if str(c.id).startswith("cache-")]
)
def test_async_body_keeps_the_cache_marks(
    anthropic_wire: Any, messages: list[BaseMessage], tools: dict[str, Any]
) -> None:
    bound = _bound(_model(anthropic_wire, "ours"), tools)
    bound.invoke(messages)
    sync_body = anthropic_wire.bodies[-1]
    anthropic_wire.bodies.clear()
    asyncio.run(bound.ainvoke(messages))
    assert "cache_control" in json.dumps(anthropic_wire.bodies[-1])
    assert anthropic_wire.bodies[-1] == sync_body
