"""The request rules both adapters share: merging, tool choice, capabilities, tool results."""

from __future__ import annotations

from typing import Any

import pytest

import modelslab_transport as mt
from modelslab_transport import (
    ChatMessage,
    ConfigurationError,
    ToolSpec,
    UnsupportedContentError,
    build_chat_request,
    resolve_tool_choice,
    wire_tool_call,
)
from modelslab_transport._anthropic_request import build_body as messages_body
from modelslab_transport._openai import TOOL_IMAGES_INTRO
from modelslab_transport._openai import build_body as completions_body

MESSAGES: list[ChatMessage] = [{"role": "user", "content": "hi"}]
# An id the catalog does not list: every capability unknown, so nothing is refused.
MODEL = "some-unlisted-model"


def spec(name: str) -> ToolSpec:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


WEATHER, TIME = spec("get_weather"), spec("now")
TOOLS = [WEATHER, TIME]
FORCE_WEATHER = {"type": "function", "function": {"name": "get_weather"}}

# ------------------------------------------------------------------------------- merging

MERGES: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    ("bare", [], {}),
    (
        "none-is-not-set",
        [{"temperature": 0.5}, {"temperature": None, "max_tokens": None}],
        {"temperature": 0.5},
    ),
    (
        "later-layer-wins",
        [{"temperature": 0.5, "max_tokens": 10}, {"temperature": 0.1}],
        {"temperature": 0.1, "max_tokens": 10},
    ),
    (
        "unknown-to-extra-body",
        [{"top_k": 3, "custom_flag": True}, {"extra_body": {"x": 1}}],
        {"top_k": 3, "extra_body": {"custom_flag": True, "x": 1}},
    ),
    (
        "call-options-never-sent",
        [{"api_format": "anthropic", "timeout": 3.0, "deadline": 9.0, "stream": True}],
        {},
    ),
    ("ignored-names", [{"verbose": True, "tool_required": True}], {}),
    ("per-call-model", [{"model": "other", "stop": ["\n"]}], {"model": "other", "stop": ["\n"]}),
    ("empty-lists-dropped", [{"stop": [], "tools": []}], {}),
    ("tool-fields-need-tools", [{"tool_choice": "required", "parallel_tool_calls": False}], {}),
]


@pytest.mark.parametrize(
    ("layers", "expected"), [m[1:] for m in MERGES], ids=[m[0] for m in MERGES]
)
def test_merge_rules(layers: list[dict[str, Any]], expected: dict[str, Any]) -> None:
    request = build_chat_request(
        MODEL, MESSAGES, *layers, ignore=frozenset({"verbose", "tool_required"})
    )
    assert request == {"model": MODEL, "messages": MESSAGES, **expected}


def test_call_options_are_what_steers_the_call() -> None:
    call = {"api_format": "anthropic", "timeout": 3.0, "deadline": None, "temperature": 0.1}
    assert mt.call_options(call, "openai") == {"api_format": "anthropic", "timeout": 3.0}
    assert mt.call_options({"api_format": None}, "openai") == {"api_format": "openai"}


def test_layers_are_not_mutated() -> None:
    settings = {"temperature": 0.5, "extra_body": {"a": 1}}
    call = {"extra_body": {"b": 2}, "unknown": 3}
    build_chat_request(MODEL, MESSAGES, settings, call)
    assert settings == {"temperature": 0.5, "extra_body": {"a": 1}}
    assert call == {"extra_body": {"b": 2}, "unknown": 3}


# --------------------------------------------------------------------------- tool choice

CHOICES: list[tuple[Any, Any]] = [
    (None, None),
    (False, None),
    ("auto", "auto"),
    ("none", "none"),
    ("any", "required"),
    ("required", "required"),
    (True, "required"),
    ("get_weather", FORCE_WEATHER),
    (FORCE_WEATHER, FORCE_WEATHER),
    ({"type": "tool", "name": "get_weather"}, FORCE_WEATHER),
    ({"type": "any"}, "required"),
    ({"type": "auto"}, "auto"),
    ({"type": "none"}, "none"),
]


@pytest.mark.parametrize(("choice", "expected"), CHOICES, ids=[repr(c[0]) for c in CHOICES])
def test_every_spelling_of_a_tool_choice(choice: Any, expected: Any) -> None:
    assert resolve_tool_choice(choice, TOOLS) == expected


@pytest.mark.parametrize(
    "choice",
    ["get_time", {"type": "tool", "name": "x"}, {"type": "?"}, 3, {"type": "function"}, ["auto"]],
)
def test_a_bad_tool_choice_is_a_clear_typed_error(choice: Any) -> None:
    with pytest.raises(ConfigurationError, match="tool_choice"):
        resolve_tool_choice(choice, TOOLS)


@pytest.mark.parametrize(
    ("tools", "parallel", "expected"),
    [
        ([WEATHER], None, FORCE_WEATHER),
        ([WEATHER], False, FORCE_WEATHER),
        ([WEATHER], True, "required"),  # several calls of it allowed: not the same as naming it
        (TOOLS, None, "required"),  # a choice between tools stays the model's
    ],
)
def test_a_lone_required_tool_is_named(tools: list[ToolSpec], parallel: Any, expected: Any) -> None:
    call = {"tools": tools, "tool_choice": "any", "parallel_tool_calls": parallel}
    assert build_chat_request(MODEL, MESSAGES, call)["tool_choice"] == expected


def test_a_named_tool_must_be_offered() -> None:
    with pytest.raises(ConfigurationError, match="names none of the tools given") as caught:
        build_chat_request(MODEL, MESSAGES, {"tools": TOOLS, "tool_choice": "nope"})
    # Never the value itself: a string where a choice belongs may be the key.
    assert "nope" not in str(caught.value)
    assert "a str of 4 characters" in str(caught.value)


def test_a_misspelt_tool_choice_gets_the_nearest_tool() -> None:
    name = _tool_name_of(TOOLS[0])
    with pytest.raises(ConfigurationError, match=f"did you mean '{name}'"):
        build_chat_request(MODEL, MESSAGES, {"tools": TOOLS, "tool_choice": name + "x"})


def _tool_name_of(tool: Any) -> str:
    return str(tool["function"]["name"])


# -------------------------------------------------------------------------- capabilities

IMAGE: ChatMessage = {
    "role": "user",
    "content": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}],
}
TOOL_IMAGE: ChatMessage = {"role": "tool", "tool_call_id": "c", "content": IMAGE["content"]}


@pytest.fixture
def text_only_model(restore_catalog: None) -> Any:
    info = mt.ModelInfo(
        id="test-text-only",
        provider="test",
        vision=False,
        tools=False,
        json_mode=False,
        json_schema=False,
    )
    mt.register_model(info)
    return info


@pytest.mark.parametrize(
    ("messages", "extra", "needle"),
    [
        ([IMAGE], {}, "does not accept image input"),
        ([TOOL_IMAGE], {}, "does not accept image input"),
        (MESSAGES, {"tools": TOOLS}, "does not support tool calling"),
        (MESSAGES, {"response_format": {"type": "json_schema"}}, "json_schema"),
        (MESSAGES, {"response_format": {"type": "json_object"}}, "JSON mode"),
    ],
)
def test_the_catalog_refuses_what_a_model_cannot_take(
    text_only_model: Any, messages: list[ChatMessage], extra: dict[str, Any], needle: str
) -> None:
    with pytest.raises(UnsupportedContentError, match=needle) as info:
        build_chat_request(text_only_model.id, messages, extra)
    assert "register_model" in str(info.value)  # how to override the catalog
    assert isinstance(info.value, ConfigurationError)


def test_registering_a_capability_overrides_the_catalog(text_only_model: Any) -> None:
    mt.register_model(text_only_model.replace(vision=True))
    assert build_chat_request(text_only_model.id, [IMAGE])["messages"] == [IMAGE]


def test_unknown_capabilities_are_not_refused() -> None:
    request = build_chat_request(
        MODEL, [IMAGE], {"tools": TOOLS, "response_format": {"type": "json_schema"}}
    )
    assert request["messages"] == [IMAGE]


# -------------------------------------------------------------- tool results with images


def test_chat_completions_moves_tool_images_after_the_run_of_tool_results() -> None:
    picture = IMAGE["content"][0]  # type: ignore[index]
    messages: list[ChatMessage] = [
        {
            "role": "tool",
            "tool_call_id": "a",
            "content": [{"type": "text", "text": "shot"}, picture],
        },
        {"role": "tool", "tool_call_id": "b", "content": "plain"},
        {"role": "user", "content": "next"},
    ]
    body = completions_body({"model": MODEL, "messages": messages}, stream=False)
    assert body["messages"] == [
        {"role": "tool", "tool_call_id": "a", "content": "shot"},
        {"role": "tool", "tool_call_id": "b", "content": "plain"},
        {"role": "user", "content": [{"type": "text", "text": TOOL_IMAGES_INTRO}, picture]},
        {"role": "user", "content": "next"},
    ]
    assert isinstance(messages[0]["content"], list)  # the request itself is left alone


def test_messages_endpoint_keeps_tool_images_in_the_tool_result() -> None:
    body = messages_body({"model": MODEL, "messages": [TOOL_IMAGE]}, stream=False)
    [turn] = body["messages"]
    [result] = turn["content"]
    assert result["type"] == "tool_result"
    assert result["content"] == [
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    ]


# ------------------------------------------------------------------------- tool calls


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [({"a": [1]}, '{"a": [1]}'), ('{"a": 1', '{"a": 1'), (None, "{}"), ("", "{}"), ({}, "{}")],
)
def test_one_tool_call_builder(arguments: Any, expected: str) -> None:
    assert wire_tool_call(None, "t", arguments) == {
        "id": "",
        "type": "function",
        "function": {"name": "t", "arguments": expected},
    }


def test_unserializable_tool_arguments_are_a_typed_error() -> None:
    with pytest.raises(ConfigurationError, match="not JSON-serializable"):
        wire_tool_call("c", "t", {"x": object()})


# ------------------------------------------------------------------ careless callers

CARELESS: list[tuple[str, list[Any], dict[str, Any], str]] = [
    ("a message that is not a dict", [None], {}, r"messages\[0\]: expected a dict with a role"),
    ("an unknown role", [{"role": "robot", "content": "x"}], {}, r"messages\[0\]"),
    ("a part without a type", [{"role": "user", "content": [{}]}], {}, "list of parts"),
    ("content of the wrong type", [{"role": "user", "content": 3}], {}, "content must be"),
    (
        "a tool call that is not a dict",
        [{"role": "assistant", "tool_calls": [None]}],
        {},
        "tool_calls",
    ),
    ("a tool that is not a dict", MESSAGES, {"tools": [None]}, "tools must be a list"),
    ("tools that are not a list", MESSAGES, {"tools": "get_weather"}, "tools must be a list"),
    ("n that is not a count", MESSAGES, {"n": [None]}, "n must be an int above 0"),
    ("a temperature that is not a number", MESSAGES, {"temperature": []}, "temperature must be"),
    ("a stop that is not text", MESSAGES, {"stop": [1]}, "stop must be"),
    ("extra_body that is not a dict", MESSAGES, {"extra_body": "x=1"}, "extra_body must be a dict"),
    ("a model that is not an id", MESSAGES, {"model": {}}, "model must be a model id"),
]


@pytest.mark.parametrize(
    ("messages", "call", "needle"), [c[1:] for c in CARELESS], ids=[c[0] for c in CARELESS]
)
def test_a_careless_request_is_a_typed_error_naming_the_field(
    messages: list[Any], call: dict[str, Any], needle: str
) -> None:
    with pytest.raises(ConfigurationError, match=needle):
        build_chat_request(MODEL, messages, call)
