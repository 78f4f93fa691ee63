"""Pure converters, request side: LlamaIndex messages -> the transport's OpenAI-shaped request.

Nothing here does I/O except reading a local image file or in-memory image bytes named by an
``ImageBlock``: image URLs are passed through untouched so that no download happens in the
client (the API fetches them).

Input the API cannot take raises :class:`~modelslab_transport.ConfigurationError` (a
``ValueError``) before any request is sent, naming the message (``messages[i]``) and the
problem.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import filetype  # type: ignore[import-untyped]
from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from modelslab_transport import ConfigurationError, UnsupportedContentError, wire_tool_call

if TYPE_CHECKING:
    from modelslab_transport import ChatMessage as WireMessage
    from modelslab_transport import ContentPart, ImageURL, WireToolCall

_ROLES: dict[str, str] = {
    MessageRole.SYSTEM.value: "system",
    MessageRole.DEVELOPER.value: "developer",
    MessageRole.USER.value: "user",
    MessageRole.ASSISTANT.value: "assistant",
    MessageRole.TOOL.value: "tool",
    # Legacy and provider-specific spellings of the same two roles.
    MessageRole.FUNCTION.value: "tool",
    MessageRole.CHATBOT.value: "assistant",
    MessageRole.MODEL.value: "assistant",
}

# Keyword arguments that steer LlamaIndex, never sent in the body.
NOT_SENT = frozenset({"tool_required", "allow_parallel_tool_calls", "verbose", "formatted"})


# ----------------------------------------------------------------------------- messages


def to_wire_messages(messages: Sequence[ChatMessage]) -> list[WireMessage]:
    """Convert LlamaIndex chat messages to OpenAI-shaped messages (the caller's are untouched).

    Raises:
        ConfigurationError: A message holds a block the ModelsLab API cannot take (audio,
            video, documents, an image in a system or assistant message), an image of unknown type,
            a tool call whose arguments are not JSON, or is a tool message without its
            ``tool_call_id``. Its text starts with ``messages[i] (role):``.
    """
    wire: list[WireMessage] = []
    for index, message in enumerate(messages):
        try:
            wire.append(to_wire_message(message))
        except ConfigurationError as exc:
            # Say which message of a long history is wrong.
            where = f"messages[{index}] ({message.role.value})"
            raise ConfigurationError(f"{where}: {exc}") from None
    return wire


def to_wire_message(message: ChatMessage) -> WireMessage:
    """Convert one LlamaIndex chat message (see :func:`to_wire_messages`).

    Raises:
        ConfigurationError: The message cannot be sent (see :func:`to_wire_messages`).
    """
    role = _ROLES.get(message.role.value, message.role.value)
    if role == "assistant":
        return _assistant_message(message)
    if role == "tool":
        return _tool_message(message)
    if role == "user":
        return {"role": "user", "content": _user_content(message)}
    return cast("WireMessage", {"role": role, "content": _text_only(message)})


def _user_content(message: ChatMessage) -> str | list[ContentPart]:
    parts: list[ContentPart] = []
    previous: ContentPart | None = None  # the part a CachePoint marks
    for block in message.blocks:
        if isinstance(block, TextBlock):
            previous = {"type": "text", "text": block.text}
        elif isinstance(block, ImageBlock):
            previous = {"type": "image_url", "image_url": image_url(block)}
        elif isinstance(block, CachePoint):
            _mark(previous, block)
            continue
        else:
            raise _unsupported(block.block_type, message)
        parts.append(previous)
    return _collapse(parts, message)


def _text_only(message: ChatMessage) -> str | list[ContentPart]:
    parts: list[ContentPart] = []
    previous: ContentPart | None = None
    for block in message.blocks:
        if isinstance(block, TextBlock):
            previous = {"type": "text", "text": block.text}
            parts.append(previous)
        elif isinstance(block, CachePoint):
            _mark(previous, block)
        elif isinstance(block, ThinkingBlock):
            previous = None
        else:
            raise _unsupported(block.block_type, message)
    return _collapse(parts, message)


def _mark(previous: ContentPart | None, point: CachePoint) -> None:
    """Put a ``CachePoint``'s prompt-caching mark on the block before it.

    As llama-index's Anthropic LLM places it; the Messages format sends it as that block's
    ``cache_control`` (Chat Completions cannot carry it: removed there, with a warning).

    Raises:
        ConfigurationError: Nothing a mark can go on (a text or image block) comes just
            before the ``CachePoint``.
    """
    if previous is None:
        raise ConfigurationError(
            "A CachePoint must follow a text or image block (it marks the block before it)."
        )
    previous["cache_control"] = point.cache_control.model_dump()


def _collapse(parts: list[ContentPart], message: ChatMessage) -> str | list[ContentPart]:
    """Text-only content as one string (joined like ``ChatMessage.content``), unless marked.

    ``additional_kwargs["cache_control"]`` marks the message's last block, as llama-index's
    Anthropic LLM reads it.
    """
    extra = message.additional_kwargs
    mark = extra.get("cache_control") if extra else None
    if mark and parts and isinstance(mark, dict):
        parts[-1]["cache_control"] = dict(mark)
    for part in parts:  # a plain loop: this runs for every message of every call
        if part["type"] != "text" or "cache_control" in part:
            return parts
    return parts[0]["text"] if len(parts) == 1 else "\n".join([p["text"] for p in parts])


def _tool_message(message: ChatMessage) -> WireMessage:
    call_id = message.additional_kwargs.get("tool_call_id")
    if not call_id:
        raise ConfigurationError(
            "A tool message needs additional_kwargs['tool_call_id'] naming the call it answers."
        )
    parts: list[ContentPart] = []
    previous: ContentPart | None = None
    for block in message.blocks:
        if isinstance(block, TextBlock):
            previous = {"type": "text", "text": block.text}
        elif isinstance(block, ImageBlock):  # a screenshot tool: the transport places it
            previous = {"type": "image_url", "image_url": image_url(block)}
        elif isinstance(block, CachePoint):
            _mark(previous, block)
            continue
        elif isinstance(block, ThinkingBlock):
            previous = None
            continue
        else:
            raise _unsupported(block.block_type, message)
        parts.append(previous)
    out: WireMessage = {
        "role": "tool",
        "content": _tool_content(_collapse(parts, message)),
        "tool_call_id": str(call_id),
    }
    if message.additional_kwargs.get("is_error") is True:  # the tool failed (ToolOutput.is_error)
        out["is_error"] = True
    return out


def _tool_content(content: str | list[ContentPart]) -> str | list[ContentPart]:
    """Unmarked tool output as its texts joined in one part, then its images."""
    if isinstance(content, str) or any("cache_control" in p for p in content):
        return content
    text = "\n".join(p["text"] for p in content if p["type"] == "text")
    joined: list[ContentPart] = [{"type": "text", "text": text}] if text else []
    return [*joined, *(p for p in content if p["type"] != "text")]


def _assistant_message(message: ChatMessage) -> WireMessage:
    parts: list[ContentPart] = []
    thoughts: list[str] = []
    marks: WireMessage = {"role": "assistant"}  # what the Messages format sends back as is
    calls: list[WireToolCall] = []
    previous: ContentPart | None = None
    for block in message.blocks:
        if isinstance(block, TextBlock):
            previous = {"type": "text", "text": block.text}
            parts.append(previous)
        elif isinstance(block, ToolCallBlock):
            previous = None
            calls.append(wire_tool_call(block.tool_call_id, block.tool_name, block.tool_kwargs))
        elif isinstance(block, ThinkingBlock):
            previous = None
            if block.content:
                thoughts.append(block.content)
            _thinking_marks(block, marks)
        elif isinstance(block, CachePoint):
            _mark(previous, block)
        else:
            raise _unsupported(block.block_type, message)
    if not calls:
        calls = _legacy_calls(message.additional_kwargs.get("tool_calls"))
    text = _collapse(parts, message)
    out: WireMessage = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        out["tool_calls"] = calls
    if thoughts:
        # Replayed so reasoning models keep their chain of thought across tool turns.
        out["reasoning_content"] = "".join(thoughts)
        out.update(marks)
    elif "redacted_thinking" in marks:
        out["redacted_thinking"] = marks["redacted_thinking"]
    return out


def _thinking_marks(block: ThinkingBlock, marks: WireMessage) -> None:
    """A thinking block's signature and redacted data, as llama-index's Anthropic LLM keeps them."""
    info = block.additional_information
    signature = info.get("signature")
    if isinstance(signature, str) and signature:
        marks["thinking_signature"] = signature
    data = info.get("redacted_thinking")
    if isinstance(data, str) and data:
        marks.setdefault("redacted_thinking", []).append(data)


def _legacy_calls(raw: Any) -> list[WireToolCall]:
    if not raw:
        return []
    if not isinstance(raw, list | tuple):
        raise ConfigurationError(
            f"additional_kwargs['tool_calls'] must be a list of tool calls, got {raw!r:.80}."
        )
    return [_legacy_call(c) for c in raw]


def _legacy_call(call: Any) -> WireToolCall:
    """Read a tool call stored in ``additional_kwargs["tool_calls"]`` (dict or SDK object)."""
    data = call.model_dump() if hasattr(call, "model_dump") else call
    function = (data.get("function") or {}) if isinstance(data, Mapping) else None
    if not isinstance(function, Mapping):
        raise ConfigurationError(
            "Each additional_kwargs['tool_calls'] entry must be an OpenAI-style tool call: "
            f"{{'id': ..., 'function': {{'name': ..., 'arguments': ...}}}}, got {call!r:.80}."
        )
    return wire_tool_call(data.get("id"), function.get("name"), function.get("arguments"))


def image_url(block: ImageBlock) -> ImageURL:
    """Turn an ``ImageBlock`` into the API's ``image_url`` payload.

    ``http(s)://`` and ``data:`` URLs pass through; a path or raw bytes become a base64
    ``data:`` URL. ``detail`` is sent only when set, since some hosts reject the key.

    Raises:
        ConfigurationError: The block holds no image, or its image type cannot be determined.
    """
    if block.url is not None and str(block.url).split(":", 1)[0] in ("http", "https", "data"):
        out: ImageURL = {"url": str(block.url)}
    elif block.image is not None or block.path is not None:
        data = block.resolve_image(as_base64=False).read()
        mimetype = block.image_mimetype or filetype.guess_mime(data)
        if not mimetype:
            raise ConfigurationError(
                "Cannot determine the type of an ImageBlock's image; set image_mimetype."
            )
        encoded = base64.b64encode(data).decode("ascii")
        out = {"url": f"data:{mimetype};base64,{encoded}"}
    else:
        raise ConfigurationError(
            "An ImageBlock needs a url (http, https or data), a path or image bytes."
        )
    if block.detail:
        out["detail"] = block.detail
    return out


def _unsupported(block_type: str, message: ChatMessage) -> UnsupportedContentError:
    return UnsupportedContentError(
        f"ModelsLab chat does not accept {block_type!r} blocks "
        f"(in a {message.role.value} message); use text and image blocks."
    )
