"""Pure converters, request side: LlamaIndex messages -> OpenAI-shaped messages, requests."""

from __future__ import annotations

import base64
import copy
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from llama_index_modelslab._convert import image_url, to_wire_messages
from modelslab_transport import ConfigurationError, ModelsLabError


def make_png(width: int = 2, height: int = 3) -> bytes:
    """A valid, tiny RGB PNG."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = make_png()
POINT = CachePoint(cache_control=CacheControl(type="ephemeral"))
MARK = {"cache_control": {"type": "ephemeral", "ttl": "5m"}}
PNG_DATA_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()

CASES: list[tuple[str, ChatMessage, dict[str, Any]]] = [
    (
        "system",
        ChatMessage(role="system", content="be brief"),
        {"role": "system", "content": "be brief"},
    ),
    (
        "developer",
        ChatMessage(role="developer", content="rules"),
        {"role": "developer", "content": "rules"},
    ),
    ("user text", ChatMessage(role="user", content="hi"), {"role": "user", "content": "hi"}),
    (
        "user two texts joined like .content",
        ChatMessage(role="user", blocks=[TextBlock(text="a"), TextBlock(text="b")]),
        {"role": "user", "content": "a\nb"},
    ),
    (
        "user empty",
        ChatMessage(role="user", blocks=[]),
        {"role": "user", "content": ""},
    ),
    (
        "cache point marks the text before it",
        ChatMessage(role="user", blocks=[TextBlock(text="x"), POINT, TextBlock(text="y")]),
        {
            "role": "user",
            "content": [{"type": "text", "text": "x", **MARK}, {"type": "text", "text": "y"}],
        },
    ),
    (
        "cache point marks an image",
        ChatMessage(role="user", blocks=[ImageBlock(url="https://e.com/a.png"), POINT]),
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "https://e.com/a.png"}, **MARK}],
        },
    ),
    (
        "cache point in a system message",
        ChatMessage(role="system", blocks=[TextBlock(text="rules"), POINT]),
        {"role": "system", "content": [{"type": "text", "text": "rules", **MARK}]},
    ),
    (
        "message-level cache_control marks the last block",
        ChatMessage(
            role="user",
            blocks=[TextBlock(text="a"), TextBlock(text="b")],
            additional_kwargs={"cache_control": {"type": "ephemeral"}},
        ),
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "a"},
                {"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}},
            ],
        },
    ),
    (
        "cache point in a tool result",
        ChatMessage(
            role="tool",
            blocks=[TextBlock(text="sunny"), POINT],
            additional_kwargs={"tool_call_id": "c1"},
        ),
        {
            "role": "tool",
            "tool_call_id": "c1",
            "content": [{"type": "text", "text": "sunny", **MARK}],
        },
    ),
    (
        "cache point after assistant text",
        ChatMessage(role="assistant", blocks=[TextBlock(text="ok"), POINT]),
        {"role": "assistant", "content": [{"type": "text", "text": "ok", **MARK}]},
    ),
    (
        "user image url with detail",
        ChatMessage(
            role="user",
            blocks=[
                TextBlock(text="what?"),
                ImageBlock(url="https://example.com/cat.png", detail="low"),
            ],
        ),
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "https://example.com/cat.png", "detail": "low"},
                },
            ],
        },
    ),
    (
        "user image bytes -> data url, no detail key",
        ChatMessage(role="user", blocks=[ImageBlock(image=PNG)]),
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": PNG_DATA_URL}}]},
    ),
    (
        "data url passes through",
        ChatMessage(role="user", blocks=[ImageBlock(url=PNG_DATA_URL)]),
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": PNG_DATA_URL}}]},
    ),
    (
        "assistant text",
        ChatMessage(role="assistant", content="hello"),
        {"role": "assistant", "content": "hello"},
    ),
    (
        "chatbot and model roles are assistant",
        ChatMessage(role=MessageRole.CHATBOT, content="yo"),
        {"role": "assistant", "content": "yo"},
    ),
    (
        "assistant tool call only -> content None, arguments JSON text",
        ChatMessage(
            role="assistant",
            blocks=[ToolCallBlock(tool_call_id="c1", tool_name="add", tool_kwargs={"a": 1})],
        ),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1}'},
                }
            ],
        },
    ),
    (
        "assistant text + thinking + partial string arguments",
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="hmm"),
                TextBlock(text="calling"),
                ToolCallBlock(tool_call_id="c2", tool_name="f", tool_kwargs='{"x": 2}'),
            ],
        ),
        {
            "role": "assistant",
            "content": "calling",
            "reasoning_content": "hmm",
            "tool_calls": [
                {"id": "c2", "type": "function", "function": {"name": "f", "arguments": '{"x": 2}'}}
            ],
        },
    ),
    (
        "legacy additional_kwargs tool_calls",
        ChatMessage(
            role="assistant",
            content="",
            additional_kwargs={
                "tool_calls": [
                    {"id": "c3", "type": "function", "function": {"name": "g", "arguments": {}}}
                ]
            },
        ),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c3", "type": "function", "function": {"name": "g", "arguments": "{}"}}
            ],
        },
    ),
    (
        "tool result",
        ChatMessage(role="tool", content="5", additional_kwargs={"tool_call_id": "c1"}),
        {"role": "tool", "content": "5", "tool_call_id": "c1"},
    ),
    (
        "legacy function role is a tool result",
        ChatMessage(role="function", content="ok", additional_kwargs={"tool_call_id": "c9"}),
        {"role": "tool", "content": "ok", "tool_call_id": "c9"},
    ),
]


@pytest.mark.parametrize(("message", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_to_wire_message(message: ChatMessage, expected: dict[str, Any]) -> None:
    assert to_wire_messages([message]) == [expected]


def test_image_from_path(tmp_path: Path) -> None:
    path = tmp_path / "pixel.png"
    path.write_bytes(PNG)
    assert image_url(ImageBlock(path=path)) == {"url": PNG_DATA_URL}


def test_image_without_known_type_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="image_mimetype"):
        image_url(ImageBlock(image=b"not an image at all"))


def test_image_block_without_source_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="ImageBlock needs"):
        image_url(ImageBlock())


def _assistant(**additional_kwargs: Any) -> ChatMessage:
    return ChatMessage(role="assistant", content="", additional_kwargs=additional_kwargs)


# (message that cannot be sent, what the error must say after "messages[1] (role): ")
BAD: list[tuple[str, ChatMessage, str]] = [
    (
        "audio",
        ChatMessage(role="user", blocks=[AudioBlock(audio=b"RIFF", format="wav")]),
        "'audio'",
    ),
    (
        "document",
        ChatMessage(role="user", blocks=[DocumentBlock(data=b"%PDF-1.4 x")]),
        "'document'",
    ),
    (
        "image-in-system",
        ChatMessage(role="system", blocks=[ImageBlock(url="https://x/y.png")]),
        r"'image'.*system",
    ),
    ("image-type", ChatMessage(role="user", blocks=[ImageBlock(image=b"???")]), "image_mimetype"),
    ("tool-call-id", ChatMessage(role="tool", content="5"), "tool_call_id"),
    (
        "arguments-not-json",
        ChatMessage(
            role="assistant",
            blocks=[ToolCallBlock(tool_call_id="c", tool_name="t", tool_kwargs={"x": {1, 2}})],
        ),
        "not JSON-serializable",
    ),
    (
        "cache-point-first",
        ChatMessage(role="user", blocks=[CachePoint(cache_control=CacheControl(type="x"))]),
        "CachePoint must follow a text or image block",
    ),
    (
        "cache-point-after-tool-call",
        ChatMessage(
            role="assistant",
            blocks=[
                ToolCallBlock(tool_call_id="c", tool_name="t", tool_kwargs={}),
                CachePoint(cache_control=CacheControl(type="ephemeral")),
            ],
        ),
        "CachePoint must follow a text or image block",
    ),
    ("legacy-calls-not-a-list", _assistant(tool_calls="add(1)"), "must be a list"),
    ("legacy-call-shape", _assistant(tool_calls=["add(1)"]), "OpenAI-style tool call"),
]


@pytest.mark.parametrize(("message", "problem"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_unsendable_messages_are_configuration_errors(message: ChatMessage, problem: str) -> None:
    history = [ChatMessage(role="user", content="hi"), message]
    with pytest.raises(ConfigurationError, match=problem) as info:
        to_wire_messages(history)
    assert isinstance(info.value, ModelsLabError)
    assert isinstance(info.value, ValueError)  # what LlamaIndex callers already catch
    assert str(info.value).startswith(f"messages[1] ({message.role.value}): ")


def test_callers_messages_are_not_mutated() -> None:
    messages = [
        ChatMessage(role="user", content="hi"),
        ChatMessage(
            role="assistant",
            blocks=[ToolCallBlock(tool_call_id="c", tool_name="t", tool_kwargs={"a": [1]})],
        ),
    ]
    before = copy.deepcopy([m.model_dump() for m in messages])
    to_wire_messages(messages)
    assert [m.model_dump() for m in messages] == before
