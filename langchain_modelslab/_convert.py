"""LangChain messages -> the transport's OpenAI-shaped :class:`ChatMessage` list. Pure.

Accepted inputs: string content; text parts; images as OpenAI ``image_url`` parts, LangChain
standard ``image`` blocks (``base64`` + ``mime_type`` or ``url``) and Anthropic ``image`` blocks
(``source``); Anthropic ``tool_use`` / ``tool_result`` / ``thinking`` history; LangChain v1
``reasoning`` / ``tool_call`` blocks. Anything the chat API cannot take (PDFs, audio, video,
file ids) raises :class:`UnsupportedContentError` naming the block, before a request is sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages import ChatMessage as RoleMessage

from modelslab_transport import ChatMessage, ContentPart, wire_tool_call

from ._errors import UnsupportedContentError

__all__ = ["UnsupportedContentError", "convert_messages"]

Block = dict[str, Any]

# Assistant-side blocks that are carried elsewhere (tool_calls, reasoning_content) or mean
# nothing to the API; an assistant turn is sent as plain text because list content there is
# rejected by strict OpenAI-compatible servers.
_ASSISTANT_NON_TEXT = frozenset(
    {
        "reasoning",
        "thinking",
        "redacted_thinking",
        "tool_call",
        "tool_call_chunk",
        "invalid_tool_call",
        "tool_use",
        "server_tool_call",
        "server_tool_call_chunk",
        "server_tool_result",
        "image",
        "image_url",
        "non_standard",
    }
)

_ROLES = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "system": "system",
    "developer": "developer",
}

# Base64 prefixes of the image formats vision models take, for blocks that omit mime_type.
_MAGIC = (("iVBORw0KGgo", "image/png"), ("/9j/", "image/jpeg"), ("R0lGOD", "image/gif"))


def convert_messages(messages: Sequence[BaseMessage]) -> list[ChatMessage]:
    """Convert LangChain messages to OpenAI-shaped chat messages.

    Args:
        messages: The conversation.

    Returns:
        The wire messages. A tool result keeps the images it returned (the transport sends
        them where each endpoint takes them).

    Raises:
        UnsupportedContentError: For a block or message type the API cannot take.
    """
    out: list[ChatMessage] = []
    for i, message in enumerate(messages):
        if isinstance(message, ToolMessage):
            wire = _tool_message(message.tool_call_id, message.content, f"messages[{i}]")
            if message.status == "error":  # as ChatAnthropic: the result's is_error
                wire["is_error"] = True
            out.append(wire)
        elif isinstance(message, AIMessage):
            out.append(_assistant(message, f"messages[{i}]"))
        elif isinstance(message, HumanMessage):
            out.extend(_user(message.content, message.name, f"messages[{i}]"))
        elif isinstance(message, SystemMessage):
            out.append({"role": "system", "content": _system(message.content, f"messages[{i}]")})
        elif isinstance(message, RoleMessage) and message.role in _ROLES:
            out.extend(_generic(message, f"messages[{i}]"))
        else:
            msg = f"messages[{i}]: {type(message).__name__} cannot be sent to ModelsLab."
            raise UnsupportedContentError(msg)
    return out


# ----------------------------------------------------------------------------- per role


def _generic(message: RoleMessage, where: str) -> list[ChatMessage]:
    role = _ROLES[message.role]
    if role == "user":
        return _user(message.content, message.name, where)
    if role == "assistant":
        return [_assistant(AIMessage(content=message.content), where)]
    return [{"role": role, "content": _system(message.content, where)}]  # type: ignore[typeddict-item]


def _user(content: str | list[Any], name: str | None, where: str) -> list[ChatMessage]:
    """A user turn; Anthropic ``tool_result`` blocks become tool messages placed before it."""
    if isinstance(content, str):
        return [_named({"role": "user", "content": content}, name)]
    parts: list[ContentPart] = []
    before: list[ChatMessage] = []
    for j, block in enumerate(content):
        here = f"{where}.content[{j}]"
        if isinstance(block, dict) and block.get("type") == "tool_result":
            before.append(_tool_result(block, here))
        else:
            part = _user_part(block, here)
            if part is not None:
                parts.append(part)
    if not parts:
        return before
    return [*before, _named({"role": "user", "content": _collapse(parts)}, name)]


def _assistant(message: AIMessage, where: str) -> ChatMessage:
    calls = [
        wire_tool_call(tc["id"], tc["name"], _arguments(tc["args"], where))
        for tc in message.tool_calls
    ]
    calls += [wire_tool_call(tc["id"], tc["name"], tc["args"]) for tc in message.invalid_tool_calls]
    known = {c["id"] for c in calls}
    reasoning: list[str] = []
    texts: list[str] = []
    for block in [message.content] if isinstance(message.content, str) else message.content:
        if isinstance(block, str):
            texts.append(block)
            continue
        kind = block.get("type")
        if kind == "text":
            texts.append(_text(block, "text", where))
        elif kind in ("reasoning", "thinking"):
            reasoning.append(_text(block, kind, where))
        elif kind == "tool_use" and _text(block, "id", where) not in known:
            args = _arguments(block.get("input") or {}, where)
            calls.append(wire_tool_call(block.get("id"), _text(block, "name", where), args))
        elif kind not in _ASSISTANT_NON_TEXT:
            msg = f"{where}: assistant content block of type {kind!r} cannot be sent."
            raise UnsupportedContentError(msg)
    text = "\n".join(t for t in texts if t)
    wire: ChatMessage = {"role": "assistant", "content": text or (None if calls else "")}
    if calls:
        wire["tool_calls"] = calls
        # Thinking models reject a tool loop whose assistant turns lost their reasoning.
        replay = message.additional_kwargs.get("reasoning_content") or "".join(reasoning)
        if isinstance(replay, str) and replay:
            wire["reasoning_content"] = replay
            _add_thinking_marks(message, wire)
    return _named(wire, message.name)


def _add_thinking_marks(message: AIMessage, wire: ChatMessage) -> None:
    """The thinking signature and redacted thinking to send back unchanged (Messages format).

    Read from this package's ``additional_kwargs``, or from content blocks as ChatAnthropic
    stores them (``thinking`` with ``signature``, ``redacted_thinking`` with ``data``) and as
    LangChain's v1 blocks carry them (``reasoning`` with ``extras.signature``).
    """
    kwargs = message.additional_kwargs
    signature = kwargs.get("thinking_signature")
    redacted = list(kwargs.get("redacted_thinking") or [])
    for block in [] if isinstance(message.content, str) else message.content:
        if not isinstance(block, dict):
            continue
        extras = block.get("extras")
        found = block.get("signature") or (
            extras.get("signature") if isinstance(extras, dict) else None
        )
        if block.get("type") in ("thinking", "reasoning") and isinstance(found, str) and found:
            signature = signature or found
        elif block.get("type") == "redacted_thinking" and isinstance(block.get("data"), str):
            redacted.append(block["data"])
    if isinstance(signature, str) and signature:
        wire["thinking_signature"] = signature
    if redacted and all(isinstance(d, str) for d in redacted):
        wire["redacted_thinking"] = redacted


def _tool_message(call_id: str, content: Any, where: str) -> ChatMessage:
    texts, images = _tool_content(content, where)
    text = "\n".join(texts)
    wire: ChatMessage = {"role": "tool", "tool_call_id": call_id, "content": text}
    mark = _cache_mark(content)
    if images or mark is not None:  # blocks, as ChatAnthropic sends a marked result
        parts: list[ContentPart] = [{"type": "text", "text": text}] if text else []
        wire["content"] = [*parts, *images]
    if mark is not None:  # as ChatAnthropic: a block's mark is hoisted onto the tool_result
        wire["cache_control"] = mark
    return wire


def _cache_mark(content: Any) -> Any:
    """The last ``cache_control`` among a tool output's blocks, if any."""
    if not isinstance(content, list):
        return None
    marks = [b["cache_control"] for b in content if isinstance(b, dict) and "cache_control" in b]
    return marks[-1] if marks else None


def _tool_result(block: Block, where: str) -> ChatMessage:
    call_id = block.get("tool_use_id")
    if not isinstance(call_id, str):
        msg = f"{where}: tool_result block without a tool_use_id."
        raise UnsupportedContentError(msg)
    wire = _tool_message(call_id, block.get("content", ""), where)
    if block.get("cache_control"):
        wire["cache_control"] = block["cache_control"]
    return wire


def _tool_content(content: Any, where: str) -> tuple[list[str], list[ContentPart]]:
    """Split tool output into text and images; other structured output is sent as JSON."""
    if isinstance(content, str):
        return [content], []
    texts: list[str] = []
    images: list[ContentPart] = []
    for j, block in enumerate(content if isinstance(content, list) else [content]):
        if isinstance(block, dict) and block.get("type") in ("image", "image_url"):
            images.append(_plain(_image_part(block, f"{where}.content[{j}]")))
        elif isinstance(block, str):
            texts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            texts.append(_text(block, "text", f"{where}.content[{j}]"))
        elif isinstance(block, dict) and block.get("type") in _UNSUPPORTED:
            raise _unsupported(block, f"{where}.content[{j}]")
        else:
            texts.append(json.dumps(block, ensure_ascii=False, default=str))
    return texts, images


# ------------------------------------------------------------------------------ parts

_UNSUPPORTED = frozenset(
    {"file", "audio", "video", "input_audio", "input_file", "document", "media", "file_url"}
)


def _user_part(block: Any, where: str) -> ContentPart | None:
    if isinstance(block, str):
        return {"type": "text", "text": block}
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text":
        part: ContentPart = {"type": "text", "text": _text(block, "text", where)}
        if block.get("cache_control"):  # prompt caching (Messages format)
            part["cache_control"] = block["cache_control"]
        return part
    if kind in ("image", "image_url"):
        return _image_part(block, where)
    if kind in ("reasoning", "thinking", "redacted_thinking"):
        return None  # nothing a user turn can carry
    if kind == "json" and "json" in block:
        return {"type": "text", "text": json.dumps(block["json"], ensure_ascii=False)}
    raise _unsupported(block, where)


def _image_part(block: Block, where: str) -> ContentPart:
    """Any supported image block as an OpenAI ``image_url`` part."""
    if block.get("type") == "image_url":
        spec = block.get("image_url")
        url = spec.get("url") if isinstance(spec, dict) else spec
        if isinstance(url, str) and url:
            part: ContentPart = {"type": "image_url", "image_url": {"url": url}}
            if isinstance(spec, dict) and spec.get("detail"):
                part["image_url"]["detail"] = spec["detail"]
            return _marked(part, block)
    else:
        url = _image_url(block.get("source") if "source" in block else block)
        if url:
            return _marked({"type": "image_url", "image_url": {"url": url}}, block)
    msg = f"{where}: image block has no usable url or base64 data (file ids are not supported)."
    raise UnsupportedContentError(msg)


def _image_url(src: Any) -> str | None:
    """URL or data URL of a LangChain standard / v0 / Anthropic ``source`` image."""
    if not isinstance(src, dict):
        return None
    if isinstance(src.get("url"), str):
        return str(src["url"])
    data = src.get("base64") or src.get("data")
    if not isinstance(data, str) or not data:
        return None
    if data.startswith("data:"):
        return data
    mime = src.get("mime_type") or src.get("media_type") or _sniff(data)
    return f"data:{mime};base64,{data}"


def _sniff(data: str) -> str:
    return next((mime for prefix, mime in _MAGIC if data.startswith(prefix)), "image/png")


def _unsupported(block: Any, where: str) -> UnsupportedContentError:
    kind = block.get("type") if isinstance(block, dict) else type(block).__name__
    mime = block.get("mime_type") if isinstance(block, dict) else None
    what = f"{kind!r}" + (f" ({mime})" if mime else "")
    msg = (
        f"{where}: content of type {what} is not supported by the ModelsLab chat API; "
        "send text and images (URL or base64) only."
    )
    return UnsupportedContentError(msg)


# ---------------------------------------------------------------------------- helpers


def _marked(part: ContentPart, block: Block) -> ContentPart:
    if block.get("cache_control"):  # prompt caching (Messages format)
        part["cache_control"] = block["cache_control"]
    return part


def _plain(part: ContentPart) -> ContentPart:
    """The part without its cache mark (a tool result carries one mark, on the result)."""
    part.pop("cache_control", None)
    return part


def _system(content: str | list[Any], where: str) -> str | list[ContentPart]:
    """A system message's text; its text parts when one carries a prompt-caching mark."""
    text = _plain_text(content, where)
    if isinstance(content, str) or not any(
        isinstance(b, dict) and "cache_control" in b for b in content
    ):
        return text
    return [p for j, b in enumerate(content) if (p := _user_part(b, f"{where}[{j}]")) is not None]


def _plain_text(content: str | list[Any], where: str) -> str:
    if isinstance(content, str):
        return content
    texts = []
    for j, block in enumerate(content):
        part = _user_part(block, f"{where}.content[{j}]")
        if part is None:
            continue
        if part["type"] != "text":
            msg = f"{where}.content[{j}]: only text is allowed in a system message."
            raise UnsupportedContentError(msg)
        texts.append(part["text"])
    return "\n".join(texts)


def _text(block: Block, key: str, where: str) -> str:
    """``block[key]`` as text ("" when absent); any other type is refused, not sent."""
    value = block.get(key)
    if value is None or isinstance(value, str):
        return value or ""
    kind = block.get("type")
    msg = f"{where}: {key!r} of a {kind!r} block must be a string, not {type(value).__name__}."
    raise UnsupportedContentError(msg)


def _arguments(value: Any, where: str) -> str:
    """Tool-call arguments as JSON text."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        msg = f"{where}: tool call arguments are not JSON-serializable ({exc})."
        raise UnsupportedContentError(msg) from None


def _collapse(parts: list[ContentPart]) -> str | list[ContentPart]:
    """Text-only content as one string (the API documents string content), unless cached."""
    if all(p["type"] == "text" and "cache_control" not in p for p in parts):
        return "\n".join(p["text"] for p in parts)
    return parts


def _named(message: ChatMessage, name: str | None) -> ChatMessage:
    if name:
        message["name"] = name
    return message
