"""Thinking and sampling on the Messages format: one rule, in the transport, for both adapters.

Anthropic documents thinking as incompatible with ``temperature`` (other than 1) and ``top_k``
changes, and ``top_p`` below 0.95. With thinking enabled (asked for as ``thinking``, or mapped
from ``reasoning_effort``), such a request is refused with a ``ConfigurationError`` naming both
settings before anything is sent, in both frameworks and every call surface; Chat Completions
is not concerned, and ``extra_body`` still forces any field through.
"""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

import modelslab_transport as mt
from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_pytest import ScriptedServer

REASONER = "openai-gpt-oss-120b"  # efforts low, medium, high in the catalog
HI = [ChatMessage(role="user", content="hi")]
THINKING = {"type": "enabled", "budget_tokens": 2048}


async def _call(framework: str, surface: str, fields: dict[str, Any], call: dict[str, Any]) -> None:
    model: Any
    if framework == "langchain":
        model = ChatModelsLab(model=REASONER, **fields)
        calls = {
            "sync": lambda: model.invoke("hi", **call),
            "stream": lambda: list(model.stream("hi", **call)),
        }
        if surface == "async":
            await model.ainvoke("hi", **call)
        elif surface == "astream":
            [c async for c in model.astream("hi", **call)]
        else:
            calls[surface]()
        return
    model = ModelsLabLLM(model=REASONER, **fields)
    if surface == "sync":
        model.chat(HI, **call)
    elif surface == "async":
        await model.achat(HI, **call)
    elif surface == "stream":
        list(model.stream_chat(HI, **call))
    else:
        [c async for c in await model.astream_chat(HI, **call)]


# (settings, the words the error must hold)
REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"thinking": THINKING, "temperature": 0.5}, r"temperature=0\.5 .*thinking="),
    ({"thinking": THINKING, "top_k": 40}, r"top_k=40 .*thinking="),
    ({"thinking": THINKING, "top_p": 0.5}, r"top_p=0\.5 .*thinking="),
    ({"reasoning_effort": "low", "temperature": 0.2}, r"temperature=0\.2 .*reasoning_effort="),
]


@pytest.mark.parametrize(("settings", "message"), REFUSED)
@pytest.mark.parametrize("where", ["field", "call"])
@pytest.mark.parametrize("surface", ["sync", "async", "stream", "astream"])
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
async def test_sampling_changes_with_thinking_are_refused_before_any_io(
    modelslab_script: ScriptedServer,
    framework: str,
    surface: str,
    where: str,
    settings: dict[str, Any],
    message: str,
) -> None:
    fields: dict[str, Any] = {"api_format": "anthropic", "max_tokens": 20000}
    call: dict[str, Any] = {}
    (fields if where == "field" else call).update(settings)
    if framework == "llama_index" and where == "field":  # its other settings' place
        extra = {k: fields.pop(k) for k in ("top_k", "top_p") if k in fields}
        fields["additional_kwargs"] = extra
    with pytest.raises(mt.ConfigurationError, match=message):
        await _call(framework, surface, fields, call)
    assert modelslab_script.requests == []


def _body(api_format: str, **settings: Any) -> dict[str, Any]:
    from modelslab_transport import _anthropic_request, _openai

    request = mt.build_chat_request(
        REASONER, [{"role": "user", "content": "hi"}], {"max_tokens": 20000, **settings}
    )
    builder = _openai if api_format == "openai" else _anthropic_request
    return builder.build_body(request, stream=False)


@pytest.mark.parametrize(
    "settings",
    [
        {"thinking": THINKING, "temperature": 1, "top_p": 0.95},  # what thinking allows
        {"thinking": THINKING, "temperature": 1.7},  # capped at 1 on this format
        {"thinking": {"type": "disabled"}, "temperature": 0.3, "top_k": 5},
        {"reasoning_effort": "none", "temperature": 0.3},
        {"temperature": 0.3, "top_k": 5, "top_p": 0.5},  # no thinking
    ],
    ids=["allowed-values", "capped", "disabled", "effort-none", "no-thinking"],
)
def test_what_thinking_allows_is_sent(settings: dict[str, Any], restore_catalog: None) -> None:
    info = mt.get_model_info(REASONER)
    mt.register_model(info.replace(reasoning_efforts=("none", "low", "medium", "high")))
    body = _body("anthropic", **settings)
    assert body["temperature"] == min(settings["temperature"], 1)


def test_chat_completions_and_extra_body_are_not_concerned() -> None:
    assert _body("openai", thinking=THINKING, temperature=0.5)["temperature"] == 0.5
    forced = _body("anthropic", thinking=THINKING, extra_body={"temperature": 0.5})
    assert (forced["temperature"], forced["thinking"]) == (0.5, THINKING)


# ------------------------------------------------------------- a forced tool with thinking


class Answer(BaseModel):
    """An answer."""

    a: int


def _give(a: int) -> int:
    """Give a."""
    return a


TOOLS = [{"type": "function", "function": {"name": "get", "parameters": {"type": "object"}}}]


@pytest.mark.parametrize(
    ("settings", "sent"),
    [
        ({"thinking": THINKING, "tool_choice": "required"}, None),
        ({"reasoning_effort": "low", "tool_choice": "get"}, None),
        (
            {"thinking": THINKING, "tool_choice": "get", "parallel_tool_calls": False},
            {"type": "auto", "disable_parallel_tool_use": True},
        ),
    ],
    ids=["required", "by-name-from-effort", "no-parallel-kept"],
)
def test_a_forced_tool_with_thinking_is_left_to_the_model_with_a_warning(
    settings: dict[str, Any], sent: Any
) -> None:
    with pytest.warns(UserWarning, match="thinking is enabled") as caught:
        body = _body("anthropic", tools=TOOLS, **settings)
    assert len(caught) == 1
    assert body.get("tool_choice") == sent
    assert body["tools"][0]["name"] == "get"


@pytest.mark.parametrize(
    ("settings", "sent"),
    [
        ({"tool_choice": "get"}, {"type": "tool", "name": "get"}),
        (  # a lone required tool is sent by name (§6)
            {"thinking": {"type": "disabled"}, "tool_choice": "required"},
            {"type": "tool", "name": "get"},
        ),
        ({"thinking": THINKING, "tool_choice": "auto"}, {"type": "auto"}),
    ],
    ids=["no-thinking", "thinking-disabled", "not-forced"],
)
def test_the_choice_is_kept_otherwise(
    settings: dict[str, Any], sent: Any, recwarn: pytest.WarningsRecorder
) -> None:
    assert _body("anthropic", tools=TOOLS, **settings)["tool_choice"] == sent
    assert not [w for w in recwarn if "thinking is enabled" in str(w.message)]


def _structured(framework: str) -> None:
    fields = {"api_format": "anthropic", "max_tokens": 20000, "thinking": THINKING}
    if framework == "langchain":
        model = ChatModelsLab(model=REASONER, **fields)
        model.with_structured_output(Answer, include_raw=True).invoke("Give a.")
    else:
        tool = FunctionTool.from_defaults(fn=_give, name="Answer")
        llm = ModelsLabLLM(model=REASONER, **fields)
        llm.chat_with_tools([tool], "Give a.", tool_required=True)


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_structured_output_with_thinking_is_not_forced(
    modelslab_script: ScriptedServer, framework: str
) -> None:
    modelslab_script.reply('{"a": 1}')
    with pytest.warns(UserWarning, match="thinking is enabled"):
        _structured(framework)
    body: Any = modelslab_script.requests[-1]
    assert body["thinking"] == THINKING
    assert body["tools"][0]["name"] == "Answer"
    assert body.get("tool_choice", {"type": "auto"})["type"] == "auto"
