"""Reasoning as settings: ``reasoning_effort`` and ``thinking``, one rule for both adapters.

* Either is a model setting or one call's argument, in both frameworks, in sync, async and
  streamed calls, and is sent in the format that takes it: ``reasoning_effort`` on Chat
  Completions, ``thinking`` on Messages; the other one is mapped (effort -> budget capped below
  ``max_tokens``, budget -> effort, ``"none"`` <-> disabled).
* The catalog's ``reasoning_efforts`` decides before any I/O: an effort the model does not
  take, or thinking for a model that cannot reason, is an ``UnsupportedContentError``;
  ``register_model`` overrides it, and an unknown model is sent as asked.

Bodies are read from the local server (real HTTP on loopback, the ``modelslab_script``
fixture), which accepts both fields.
"""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

import modelslab_transport as mt
from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_pytest import ScriptedServer

REASONER = "openai-gpt-oss-120b"  # efforts low, medium, high in the catalog
PLAIN = "Qwen-Qwen2.5-7B"  # cannot reason, in the catalog
HI = [ChatMessage(role="user", content="hi")]


async def _lc_call(model: ChatModelsLab, surface: str, call: dict[str, Any]) -> None:
    if surface == "sync":
        model.invoke("hi", **call)
    elif surface == "async":
        await model.ainvoke("hi", **call)
    elif surface == "stream":
        list(model.stream("hi", **call))
    else:
        [c async for c in model.astream("hi", **call)]


async def _li_call(llm: ModelsLabLLM, surface: str, call: dict[str, Any]) -> None:
    if surface == "sync":
        llm.chat(HI, **call)
    elif surface == "async":
        await llm.achat(HI, **call)
    elif surface == "stream":
        list(llm.stream_chat(HI, **call))
    else:
        [c async for c in await llm.astream_chat(HI, **call)]


async def _run(
    framework: str, surface: str, model: str, fields: dict[str, Any], call: dict[str, Any]
) -> None:
    if framework == "langchain":
        await _lc_call(ChatModelsLab(model=model, **fields), surface, call)
    else:
        await _li_call(ModelsLabLLM(model=model, **fields), surface, call)


SURFACES = ["sync", "async", "stream", "astream"]
FRAMEWORKS = ["langchain", "llama_index"]

# (setting, api_format, max_tokens) -> the body field sent.
SENT = [
    ({"reasoning_effort": "high"}, "openai", 20000, ("reasoning_effort", "high")),
    (
        {"thinking": {"type": "enabled", "budget_tokens": 2048}},
        "anthropic",
        20000,
        ("thinking", {"type": "enabled", "budget_tokens": 2048}),
    ),
    # The other format's setting, mapped.
    (
        {"reasoning_effort": "medium"},
        "anthropic",
        20000,
        ("thinking", {"type": "enabled", "budget_tokens": 4096}),
    ),
    (
        {"thinking": {"type": "enabled", "budget_tokens": 5000}},
        "openai",
        20000,
        ("reasoning_effort", "medium"),
    ),
]


@pytest.mark.parametrize("where", ["field", "call"])
@pytest.mark.parametrize("setting", SENT, ids=lambda s: f"{next(iter(s[0]))}-{s[1]}")
@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_each_setting_is_sent_in_the_format_that_takes_it(
    modelslab_script: ScriptedServer,
    framework: str,
    surface: str,
    setting: tuple[dict[str, Any], str, int, tuple[str, Any]],
    where: str,
) -> None:
    given, api_format, max_tokens, (field, value) = setting
    modelslab_script.reply("ok")
    fields = {"api_format": api_format, "max_tokens": max_tokens}
    if where == "field":
        await _run(framework, surface, REASONER, {**fields, **given}, {})
    else:
        await _run(framework, surface, REASONER, fields, given)
    (body,) = modelslab_script.requests
    assert body[field] == value
    other = "thinking" if field == "reasoning_effort" else "reasoning_effort"
    assert other not in body


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_call_overrides_the_model_setting(
    modelslab_script: ScriptedServer, framework: str
) -> None:
    modelslab_script.reply("ok")
    await _run(
        framework, "sync", REASONER, {"reasoning_effort": "high"}, {"reasoning_effort": "low"}
    )
    assert modelslab_script.requests[0]["reasoning_effort"] == "low"


def test_langchain_bind_carries_the_setting(modelslab_script: ScriptedServer) -> None:
    modelslab_script.reply("ok")
    ChatModelsLab(model=REASONER).bind(reasoning_effort="low").invoke("hi")
    assert modelslab_script.requests[0]["reasoning_effort"] == "low"


def test_nothing_is_sent_when_nothing_is_set(modelslab_script: ScriptedServer) -> None:
    modelslab_script.reply("ok")
    modelslab_script.reply("ok")
    ChatModelsLab(model=REASONER).invoke("hi")
    ModelsLabLLM(model=REASONER, api_format="anthropic").chat(HI)
    for body in modelslab_script.requests:
        assert "reasoning_effort" not in body
        assert "thinking" not in body


# ------------------------------------------------------------------ the mapping, pure


def _request(model: str = REASONER, **settings: Any) -> mt.ChatRequest:
    return mt.build_chat_request(model, [{"role": "user", "content": "hi"}], settings)


def _body(api_format: str, **settings: Any) -> dict[str, Any]:
    from modelslab_transport import _anthropic_request, _openai

    builder = _openai if api_format == "openai" else _anthropic_request
    return builder.build_body(_request(**settings), stream=False)


@pytest.mark.parametrize(
    ("effort", "max_tokens", "thinking"),
    [
        ("low", 20000, {"type": "enabled", "budget_tokens": 1024}),
        ("medium", 20000, {"type": "enabled", "budget_tokens": 4096}),
        ("high", 20000, {"type": "enabled", "budget_tokens": 16384}),
        ("high", 8000, {"type": "enabled", "budget_tokens": 7999}),  # capped below max_tokens
    ],
)
def test_an_effort_becomes_a_budget_on_messages(
    effort: str, max_tokens: int, thinking: dict[str, Any]
) -> None:
    assert (
        _body("anthropic", reasoning_effort=effort, max_tokens=max_tokens)["thinking"] == thinking
    )


@pytest.mark.parametrize(
    ("budget", "effort"),
    [
        (1024, "low"),
        (4095, "low"),
        (4096, "medium"),
        (16383, "medium"),
        (16384, "high"),
        (60000, "high"),
    ],
)
def test_a_budget_becomes_an_effort_on_chat_completions(budget: int, effort: str) -> None:
    thinking = {"type": "enabled", "budget_tokens": budget}
    assert _body("openai", thinking=thinking, max_tokens=99999)["reasoning_effort"] == effort


def test_none_and_disabled_map_onto_each_other(restore_catalog: None) -> None:
    info = mt.get_model_info(REASONER)
    mt.register_model(info.replace(reasoning_efforts=("none", "low", "medium", "high")))
    assert _body("anthropic", reasoning_effort="none")["thinking"] == {"type": "disabled"}
    assert _body("openai", thinking={"type": "disabled"})["reasoning_effort"] == "none"


def test_each_format_prefers_its_own_field_when_both_are_set() -> None:
    both = {"reasoning_effort": "low", "thinking": {"type": "enabled", "budget_tokens": 9000}}
    assert _body("openai", max_tokens=20000, **both)["reasoning_effort"] == "low"
    assert _body("anthropic", max_tokens=20000, **both)["thinking"]["budget_tokens"] == 9000


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"thinking": {"type": "enabled", "budget_tokens": 4000}, "max_tokens": 4000},
            "below max_tokens",
        ),
        ({"reasoning_effort": "low", "max_tokens": 1000}, "raise max_tokens above 1024"),
    ],
)
def test_a_budget_that_does_not_fit_is_refused_on_messages(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(mt.ConfigurationError, match=message):
        _body("anthropic", **settings)


# ------------------------------------------------------------ bad values and the catalog

BAD = [
    ({"reasoning_effort": "extreme"}, "reasoning_effort must be one of"),
    ({"thinking": {"type": "enabled"}}, "thinking must be"),
    ({"thinking": {"type": "enabled", "budget_tokens": 100}}, "at least 1024"),
    ({"thinking": "on"}, "thinking must be"),
]


@pytest.mark.parametrize(("settings", "message"), BAD)
def test_a_malformed_setting_is_refused_when_the_model_is_built(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(mt.ConfigurationError, match=message):
        ChatModelsLab(model=REASONER, **settings)
    with pytest.raises(mt.ConfigurationError, match=message):
        ModelsLabLLM(model=REASONER, **settings)


@pytest.mark.parametrize(("settings", "message"), BAD)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_malformed_setting_is_refused_per_call_before_any_io(
    modelslab_script: ScriptedServer, framework: str, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(mt.ConfigurationError, match=message):
        await _run(framework, "sync", REASONER, {}, settings)
    assert modelslab_script.requests == []


REFUSED: list[tuple[str, dict[str, Any], str]] = [
    (PLAIN, {"reasoning_effort": "low"}, "cannot reason"),
    (PLAIN, {"thinking": {"type": "enabled", "budget_tokens": 2048}}, "cannot reason"),
    (REASONER, {"reasoning_effort": "xhigh"}, "accepts the efforts"),
]


@pytest.mark.parametrize(("model", "settings", "message"), REFUSED)
@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_reasoning_a_model_cannot_do_is_refused_before_any_io(
    modelslab_script: ScriptedServer,
    framework: str,
    surface: str,
    api_format: str,
    model: str,
    settings: dict[str, Any],
    message: str,
) -> None:
    fields = {"api_format": api_format, "max_tokens": 20000}
    with pytest.raises(mt.UnsupportedContentError, match=message):
        await _run(framework, surface, model, fields, settings)
    assert modelslab_script.requests == []


def test_a_mapped_effort_the_model_does_not_take_is_refused() -> None:
    # gpt-oss takes no "none": disabling its thinking on Chat Completions cannot be said.
    with pytest.raises(mt.UnsupportedContentError, match="from thinking"):
        _body("openai", thinking={"type": "disabled"})


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_register_model_overrides_the_catalog(
    modelslab_script: ScriptedServer, framework: str, restore_catalog: None
) -> None:
    mt.register_model(mt.get_model_info(PLAIN).replace(reasoning_efforts=("low",)))
    modelslab_script.reply("ok")
    await _run(framework, "sync", PLAIN, {"reasoning_effort": "low"}, {})
    assert modelslab_script.requests[0]["reasoning_effort"] == "low"


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_an_unknown_model_is_sent_as_asked(
    modelslab_script: ScriptedServer, framework: str
) -> None:
    modelslab_script.reply("ok")
    await _run(framework, "sync", "acme-unlisted-1", {"reasoning_effort": "xhigh"}, {})
    assert modelslab_script.requests[-1]["reasoning_effort"] == "xhigh"


def test_disabling_thinking_is_sent_even_to_a_model_that_cannot_reason() -> None:
    body = _body("anthropic", model=PLAIN, thinking={"type": "disabled"})
    assert body["thinking"] == {"type": "disabled"}


# ------------------------------------------------------------------- LangChain's profile

PROFILES: list[tuple[str, Any]] = [
    (REASONER, ["low", "medium", "high"]),
    ("google-gemini-2.5-flash", ["none", "low", "medium", "high"]),
    (PLAIN, []),
]


@pytest.mark.parametrize(("model", "levels"), PROFILES)
def test_the_profile_lists_the_efforts_the_catalog_knows(model: str, levels: Any) -> None:
    profile = ChatModelsLab(model=model).profile or {}
    assert profile.get("reasoning_effort_levels") == levels


def test_the_profile_leaves_out_efforts_it_does_not_know() -> None:
    profile = ChatModelsLab(model="qwen-qwen-max").profile or {}
    assert "reasoning_effort_levels" not in profile
