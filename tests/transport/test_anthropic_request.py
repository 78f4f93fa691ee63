"""Messages format, request side: an OpenAI-shaped request converted once (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from modelslab_transport import ChatMessage, ChatRequest, ConfigurationError
from modelslab_transport._anthropic_request import build_body, build_count_body, convert_messages

PNG = "data:image/png;base64,iVBORw0KGgo="


def req(messages: list[Any] | None = None, **fields: Any) -> ChatRequest:
    msgs = messages if messages is not None else [{"role": "user", "content": "Hi"}]
    return {"model": "m-1", "messages": msgs, "max_tokens": 64, **fields}  # type: ignore[typeddict-item]


CONVERSIONS = [
    pytest.param(
        [{"role": "user", "content": "Hi"}], None, [{"role": "user", "content": "Hi"}], id="plain"
    ),
    pytest.param(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Be kind."}]},
            {"role": "user", "content": "Hi"},
        ],
        [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Be kind."}],
        [{"role": "user", "content": "Hi"}],
        id="system-lifted",
    ),
    pytest.param(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": PNG}},
                    {"type": "image_url", "image_url": {"url": "https://x.example/a.jpg"}},
                ],
            }
        ],
        None,
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": "iVBORw0KGgo=",
                        },
                    },
                    {"type": "image", "source": {"type": "url", "url": "https://x.example/a.jpg"}},
                ],
            }
        ],
        id="images",
    ),
    pytest.param(
        [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": None,
                "reasoning_content": "Need a tool.",
                "tool_calls": [
                    {
                        "id": "t1",
                        "type": "function",
                        "function": {"name": "get", "arguments": '{"city": "Paris"}'},
                    },
                    {"id": "t2", "type": "function", "function": {"name": "get", "arguments": ""}},
                ],
            },
            {"role": "tool", "tool_call_id": "t1", "content": "Sunny"},
            {"role": "tool", "tool_call_id": "t2", "content": [{"type": "text", "text": "Rain"}]},
            {"role": "user", "content": "Thanks"},
        ],
        None,
        [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "Need a tool."},
                    {"type": "tool_use", "id": "t1", "name": "get", "input": {"city": "Paris"}},
                    {"type": "tool_use", "id": "t2", "name": "get", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "Sunny"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "t2",
                        "content": [{"type": "text", "text": "Rain"}],
                    },
                    {"type": "text", "text": "Thanks"},
                ],
            },
        ],
        id="tool-loop",
    ),
    pytest.param(
        [
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
            {"role": "assistant", "content": "c"},
        ],
        None,
        [
            {
                "role": "user",
                "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
            },
            {"role": "assistant", "content": "c"},
        ],
        id="same-role-merged",
    ),
    pytest.param(
        [
            {
                "role": "assistant",
                "content": "x",
                "tool_calls": [
                    {
                        "id": "t",
                        "type": "function",
                        "function": {"name": "f", "arguments": "{bad json"},
                    }
                ],
            }
        ],
        None,
        [
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "x"},
                    {
                        "type": "tool_use",
                        "id": "t",
                        "name": "f",
                        "input": {"raw_arguments": "{bad json"},
                    },
                ],
            }
        ],
        id="invalid-arguments-kept",
    ),
]


@pytest.mark.parametrize(("messages", "system", "expected"), CONVERSIONS)
def test_convert_messages(
    messages: list[ChatMessage], system: str | None, expected: list[Any]
) -> None:
    assert convert_messages(messages) == (system, expected)


@pytest.mark.parametrize(
    ("messages", "words"),
    [
        ([{"role": "wizard", "content": "x"}], r"messages\[0\].*role"),
        ([{"role": "tool", "content": "x"}], "tool_call_id"),
        ([{"role": "user", "content": 5}], "content"),
        ([{"role": "user", "content": ["x"]}], r"content\[0\]"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}], "url"),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "data:image/png,abc"}}],
                }
            ],
            "base64",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}],
                }
            ],
            "https",
        ),
    ],
)
def test_bad_messages_name_the_problem(messages: list[Any], words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        convert_messages(messages)


TOOL = {
    "type": "function",
    "function": {"name": "get", "description": "Get it.", "parameters": {"type": "object"}},
}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, {}),
        ({"temperature": 1.7}, {"temperature": 1.0}),
        (
            {"temperature": 0.3, "top_p": 0.9, "top_k": 5},
            {"temperature": 0.3, "top_p": 0.9, "top_k": 5},
        ),
        ({"stop": ["END", "STOP"]}, {"stop_sequences": ["END", "STOP"]}),
        ({"stop": "END"}, {"stop_sequences": ["END"]}),
        ({"user": "u-1"}, {"metadata": {"user_id": "u-1"}}),
        (
            {
                "frequency_penalty": 1,
                "presence_penalty": 1,
                "repetition_penalty": 1.1,
                "seed": 3,
                "n": 1,
                "stream_usage": True,
            },
            {},
        ),
        (
            {"tools": [TOOL]},
            {
                "tools": [
                    {"name": "get", "description": "Get it.", "input_schema": {"type": "object"}}
                ]
            },
        ),
        (
            {"tools": [{"type": "function", "function": {"name": "bare"}}]},
            {"tools": [{"name": "bare", "input_schema": {"type": "object", "properties": {}}}]},
        ),
        (
            {"extra_body": {"thinking": {"type": "enabled"}, "max_tokens": 9}},
            {"thinking": {"type": "enabled"}, "max_tokens": 9},
        ),
    ],
)
def test_build_body(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    base = {"model": "m-1", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 64}
    assert build_body(req(**fields), stream=False) == {**base, **expected}


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ("auto", None, {"type": "auto"}),
        ("required", None, {"type": "any"}),
        ("none", None, {"type": "none"}),
        ({"type": "function", "function": {"name": "get"}}, None, {"type": "tool", "name": "get"}),
        ({"type": "any"}, None, {"type": "any"}),
        ("auto", False, {"type": "auto", "disable_parallel_tool_use": True}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("none", False, {"type": "none"}),
        (None, None, None),
    ],
)
def test_tool_choice(choice: Any, parallel: bool | None, expected: Any) -> None:
    fields: dict[str, Any] = {"tools": [TOOL]}
    if choice is not None:
        fields["tool_choice"] = choice
    if parallel is not None:
        fields["parallel_tool_calls"] = parallel
    assert build_body(req(**fields), stream=False).get("tool_choice") == expected


def test_bad_tool_choice_and_tools() -> None:
    with pytest.raises(ConfigurationError, match="tool_choice"):
        build_body(req(tools=[TOOL], tool_choice="sometimes"), stream=False)
    with pytest.raises(ConfigurationError, match=r"tools\[0\]"):
        build_body(req(tools=[{"name": "x"}]), stream=False)


def test_max_tokens_is_always_sent_and_stream_flag() -> None:
    body = build_body({"model": "m-1", "messages": []}, stream=True)
    assert body["max_tokens"] == 1000
    assert body["stream"] is True
    assert "stream_options" not in body


@pytest.mark.parametrize(
    ("fields", "words"),
    [({"n": 2}, "n > 1"), ({"response_format": {"type": "json_object"}}, "response_format")],
)
def test_unsupported_fields_are_rejected(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        build_body(req(**fields), stream=False)


def test_count_body() -> None:
    body = build_count_body(
        req(
            [{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"}],
            tools=[TOOL],
            temperature=0.5,
        )
    )
    assert body == {
        "model": "m-1",
        "system": "S",
        "messages": [{"role": "user", "content": "Hi"}],
        "tools": [{"name": "get", "description": "Get it.", "input_schema": {"type": "object"}}],
    }
