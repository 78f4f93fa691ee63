"""Table-driven tests of the pure input converters (LangChain messages -> wire messages)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import pytest_socket
from langchain_core.exceptions import ModelInvalidRequestError
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

import modelslab_transport as mt
from langchain_modelslab import UnsupportedContentError
from langchain_modelslab._convert import convert_messages

pytestmark = pytest.mark.usefixtures("no_network")

B64 = "iVBORw0KGgoAAAANSUhEUg"  # the start of a PNG, base64
JPEG_B64 = "/9j/4AAQSkZJRg"
URL = "https://example.com/cat.png"
PNG_DATA_URL = f"data:image/png;base64,{B64}"
CALL = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}
WIRE_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}


def image_part(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url, **extra}}


CASES: list[tuple[str, list[BaseMessage], list[dict[str, Any]]]] = [
    ("plain text", [HumanMessage("hi")], [{"role": "user", "content": "hi"}]),
    (
        "system + name",
        [SystemMessage("be brief"), HumanMessage("hi", name="ana")],
        [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hi", "name": "ana"},
        ],
    ),
    (
        "text blocks collapse to a string",
        [HumanMessage([{"type": "text", "text": "a"}, "b"])],
        [{"role": "user", "content": "a\nb"}],
    ),
    (
        "system list content",
        [SystemMessage([{"type": "text", "text": "x"}, "y"])],
        [{"role": "system", "content": "x\ny"}],
    ),
    (
        "system blocks keep their prompt-caching mark",
        [SystemMessage([{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}])],
        [
            {
                "role": "system",
                "content": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}],
            }
        ],
    ),
    (
        "openai image_url part keeps detail",
        [HumanMessage([{"type": "text", "text": "?"}, image_part(URL, detail="low")])],
        [
            {
                "role": "user",
                "content": [{"type": "text", "text": "?"}, image_part(URL, detail="low")],
            }
        ],
    ),
    (
        "openai image_url as a bare string",
        [HumanMessage([{"type": "image_url", "image_url": URL}])],
        [{"role": "user", "content": [image_part(URL)]}],
    ),
    (
        "standard base64 image",
        [HumanMessage([{"type": "image", "base64": JPEG_B64, "mime_type": "image/jpeg"}])],
        [{"role": "user", "content": [image_part(f"data:image/jpeg;base64,{JPEG_B64}")]}],
    ),
    (
        "standard base64 image without mime type is sniffed",
        [HumanMessage([{"type": "image", "base64": JPEG_B64}])],
        [{"role": "user", "content": [image_part(f"data:image/jpeg;base64,{JPEG_B64}")]}],
    ),
    (
        "standard url image",
        [HumanMessage([{"type": "image", "url": URL}])],
        [{"role": "user", "content": [image_part(URL)]}],
    ),
    (
        "v0 base64 image",
        [
            HumanMessage(
                [{"type": "image", "source_type": "base64", "data": B64, "mime_type": "image/png"}]
            )
        ],
        [{"role": "user", "content": [image_part(PNG_DATA_URL)]}],
    ),
    (
        "anthropic base64 image",
        [
            HumanMessage(
                [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": B64},
                    }
                ]
            )
        ],
        [{"role": "user", "content": [image_part(PNG_DATA_URL)]}],
    ),
    (
        "anthropic url image",
        [HumanMessage([{"type": "image", "source": {"type": "url", "url": URL}}])],
        [{"role": "user", "content": [image_part(URL)]}],
    ),
    (
        "json block becomes text",
        [HumanMessage([{"type": "json", "json": {"a": "é"}}])],
        [{"role": "user", "content": '{"a": "é"}'}],
    ),
    (
        "assistant with tool call and reasoning replayed",
        [AIMessage("", tool_calls=[CALL], additional_kwargs={"reasoning_content": "think"})],
        [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [WIRE_CALL],
                "reasoning_content": "think",
            }
        ],
    ),
    (
        "assistant reasoning without tool calls is not replayed",
        [AIMessage("hi", additional_kwargs={"reasoning_content": "think"})],
        [{"role": "assistant", "content": "hi"}],
    ),
    (
        "assistant v1 content is flattened; reasoning block replayed",
        [
            AIMessage(
                [
                    {"type": "reasoning", "reasoning": "plan"},
                    {"type": "text", "text": "Let me check."},
                    {
                        "type": "tool_call",
                        "id": "call_1",
                        "name": "get_weather",
                        "args": {"city": "Paris"},
                    },
                ],
                tool_calls=[CALL],
            )
        ],
        [
            {
                "role": "assistant",
                "content": "Let me check.",
                "tool_calls": [WIRE_CALL],
                "reasoning_content": "plan",
            }
        ],
    ),
    (
        "anthropic assistant: thinking + tool_use not in tool_calls",
        [
            AIMessage(
                [
                    {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                    {"type": "text", "text": "ok"},
                    {
                        "type": "tool_use",
                        "id": "call_1",
                        "name": "get_weather",
                        "input": {"city": "Paris"},
                    },
                ]
            )
        ],
        [
            {
                "role": "assistant",
                "content": "ok",
                "tool_calls": [WIRE_CALL],
                "reasoning_content": "hmm",
                "thinking_signature": "sig",
            }
        ],
    ),
    (
        "invalid tool calls are replayed verbatim",
        [
            AIMessage(
                "",
                invalid_tool_calls=[
                    {
                        "name": "f",
                        "args": "{bad",
                        "id": "c9",
                        "error": "x",
                        "type": "invalid_tool_call",
                    }
                ],
            )
        ],
        [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c9", "type": "function", "function": {"name": "f", "arguments": "{bad"}}
                ],
            }
        ],
    ),
    (
        "empty assistant content stays a string",
        [AIMessage([])],
        [{"role": "assistant", "content": ""}],
    ),
    (
        "tool message with string content",
        [ToolMessage("sunny", tool_call_id="call_1")],
        [{"role": "tool", "tool_call_id": "call_1", "content": "sunny"}],
    ),
    (
        "tool message with list content and an error status",
        [ToolMessage([{"type": "text", "text": "boom"}, "x"], tool_call_id="c", status="error")],
        [{"role": "tool", "tool_call_id": "c", "content": "boom\nx", "is_error": True}],
    ),
    (
        "tool message with structured output",
        [ToolMessage([{"temp": 18}], tool_call_id="c")],
        [{"role": "tool", "tool_call_id": "c", "content": '{"temp": 18}'}],
    ),
    (
        "tool images stay in their tool result (the transport places them per endpoint)",
        [
            ToolMessage(
                [{"type": "image", "base64": B64, "mime_type": "image/png"}], tool_call_id="a"
            ),
            ToolMessage(["seen:", image_part(URL)], tool_call_id="b"),
            HumanMessage("next"),
        ],
        [
            {"role": "tool", "tool_call_id": "a", "content": [image_part(PNG_DATA_URL)]},
            {
                "role": "tool",
                "tool_call_id": "b",
                "content": [{"type": "text", "text": "seen:"}, image_part(URL)],
            },
            {"role": "user", "content": "next"},
        ],
    ),
    (
        "anthropic tool_result blocks become tool messages before the user text",
        [
            HumanMessage(
                [
                    {
                        "type": "tool_result",
                        "tool_use_id": "foo",
                        "content": [{"type": "text", "text": "great pick"}],
                        "is_error": False,
                    },
                    {"type": "text", "text": "and now?", "cache_control": {"type": "ephemeral"}},
                ]
            )
        ],
        [
            {"role": "tool", "tool_call_id": "foo", "content": "great pick"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "and now?", "cache_control": {"type": "ephemeral"}}
                ],
            },
        ],
    ),
    (
        "only tool_result: no empty user message",
        [HumanMessage([{"type": "tool_result", "tool_use_id": "foo", "content": "done"}])],
        [{"role": "tool", "tool_call_id": "foo", "content": "done"}],
    ),
    (
        "generic role messages",
        [ChatMessage(role="human", content="a"), ChatMessage(role="developer", content="b")],
        [{"role": "user", "content": "a"}, {"role": "developer", "content": "b"}],
    ),
    (
        "reasoning blocks in a user turn are dropped",
        [HumanMessage([{"type": "reasoning", "reasoning": "x"}, {"type": "text", "text": "y"}])],
        [{"role": "user", "content": "y"}],
    ),
]


@pytest.mark.parametrize(
    ("messages", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_convert_messages(messages: list[BaseMessage], expected: list[dict[str, Any]]) -> None:
    assert convert_messages(messages) == expected


def test_unicode_arguments_are_kept_readable() -> None:
    call = {**CALL, "args": {"name": "你好啊集团"}}
    wire = convert_messages([AIMessage("", tool_calls=[call])])
    assert wire[0]["tool_calls"][0]["function"]["arguments"] == '{"name": "你好啊集团"}'


REJECTED: list[tuple[str, list[BaseMessage], str]] = [
    (
        "pdf file block",
        [HumanMessage([{"type": "file", "base64": "JVBERi0", "mime_type": "application/pdf"}])],
        "'file' (application/pdf)",
    ),
    (
        "audio block",
        [HumanMessage([{"type": "audio", "base64": "AAA", "mime_type": "audio/wav"}])],
        "'audio'",
    ),
    ("video block", [HumanMessage([{"type": "video", "url": "https://x/v.mp4"}])], "'video'"),
    (
        "openai input_audio",
        [HumanMessage([{"type": "input_audio", "input_audio": {"data": "A", "format": "wav"}}])],
        "'input_audio'",
    ),
    ("image file id", [HumanMessage([{"type": "image", "file_id": "file-1"}])], "file ids"),
    ("unknown block", [HumanMessage([{"type": "hologram"}])], "'hologram'"),
    ("image in system message", [SystemMessage([image_part(URL)])], "system message"),
    (
        "pdf in tool message",
        [ToolMessage([{"type": "file", "url": "https://x/a.pdf"}], tool_call_id="c")],
        "'file'",
    ),
    ("function message", [FunctionMessage("x", name="f")], "FunctionMessage"),
    ("unknown role", [ChatMessage(role="oracle", content="x")], "ChatMessage"),
    (
        "tool_result without id",
        [HumanMessage([{"type": "tool_result", "content": "x"}])],
        "tool_use_id",
    ),
    ("assistant unknown block", [AIMessage([{"type": "hologram"}])], "'hologram'"),
]


@pytest.mark.parametrize(
    ("messages", "needle"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED]
)
def test_unsupported_input_is_a_clear_typed_error(messages: list[BaseMessage], needle: str) -> None:
    with pytest.raises(UnsupportedContentError, match="messages\\[0\\]") as info:
        convert_messages(messages)
    assert needle in str(info.value)
    assert isinstance(info.value, ModelInvalidRequestError)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, mt.ConfigurationError)
    assert isinstance(info.value, mt.ModelsLabError)


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_these_tests_cannot_reach_the_network() -> None:
    with pytest.raises(pytest_socket.SocketBlockedError):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)
