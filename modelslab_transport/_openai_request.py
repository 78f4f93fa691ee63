"""Chat Completions (``POST {base}/chat/completions``) request bodies. Pure.

The OpenAI-shaped :class:`ChatRequest` is nearly the wire format already: this module fills in
what the API leaves to defaults (``max_tokens``), maps the reasoning settings, strips what only
the Messages format carries, and moves images out of tool results (which take text only).
"""

from __future__ import annotations

from ._cache_marks import uncached_messages, uncached_tools
from ._catalog import default_max_tokens
from ._reasoning import wire_effort
from ._types import JSON, ChatMessage, ChatRequest, ContentPart

__all__ = ["TOOL_IMAGES_INTRO", "build_body", "replayed_reasoning", "text_tool_results"]

# Introduces the images tool results returned, moved out of the (text-only) tool messages.
TOOL_IMAGES_INTRO = "Images returned by the tool call(s) above:"

# ChatRequest keys copied verbatim into the body (None values are omitted).
_PASSTHROUGH = (
    "temperature",
    "top_p",
    "top_k",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
    "stop",
    "seed",
    "n",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "user",
)
_PASSTHROUGH_SET = frozenset(_PASSTHROUGH)


def build_body(request: ChatRequest, *, stream: bool) -> JSON:
    """The Chat Completions JSON body for ``request``.

    ``max_tokens`` is always explicit (the API would default to 1000). When streaming, usage is
    requested with ``stream_options.include_usage`` unless ``stream_usage`` is False.
    ``reasoning_effort`` is sent as is, or mapped from ``thinking`` (``_reasoning``).
    ``extra_body`` is merged last, so it can override anything.
    """
    max_tokens = request.get("max_tokens")
    body: JSON = {
        "model": request["model"],
        "messages": _wire_messages(request["messages"]),
        "max_tokens": max_tokens
        if max_tokens is not None
        else default_max_tokens(request["model"]),
    }
    if not _PASSTHROUGH_SET.isdisjoint(request):  # most requests set none of them
        for key in _PASSTHROUGH:
            value = request.get(key)
            if value is not None:
                body[key] = value
    if "tools" in body:
        body["tools"] = uncached_tools(body["tools"])
    if "reasoning_effort" in request or "thinking" in request:
        effort = wire_effort(request)
        if effort is not None:
            body["reasoning_effort"] = effort
    if stream:
        body["stream"] = True
        if request.get("stream_usage") is not False:
            body["stream_options"] = {"include_usage": True}
    extra = request.get("extra_body")
    if extra:
        body.update(extra)
    return body


# The fields of a message that none of the rewrites below reads.
_PLAIN_KEYS = frozenset({"role", "content", "name", "tool_calls", "tool_call_id"})


def _wire_messages(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The messages as Chat Completions takes them (a new list; the caller's dicts unchanged).

    Messages with only plain fields and text content (most conversations) need none of the
    rewrites, so they are looked at once here instead of once per rewrite.
    """
    for m in messages:
        if not m.keys() <= _PLAIN_KEYS or isinstance(m.get("content"), list):
            return text_tool_results(uncached_messages(replayed_reasoning(messages)))
    return list(messages)


def replayed_reasoning(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The messages with ``reasoning_content`` kept on tool-call turns only.

    The one rule for sending reasoning back, whatever the framework: thinking models need
    their reasoning on an assistant turn that called tools (DeepSeek's thinking mode with tool
    calls answers 400 without it), while some OpenAI-compatible servers refuse
    ``reasoning_content`` on any other assistant turn (DeepSeek's multi-round guide). The
    caller's dicts are never changed.
    """
    if not any(
        "reasoning_content" in m and not m.get("tool_calls") and m.get("role") == "assistant"
        for m in messages
    ):
        return messages
    return [
        {k: v for k, v in m.items() if k != "reasoning_content"}  # type: ignore[misc]
        if m.get("role") == "assistant" and not m.get("tool_calls")
        else m
        for m in messages
    ]


def text_tool_results(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The messages with text-only tool results, as Chat Completions takes them.

    A tool result that carries images (a screenshot tool) keeps its text; the images follow
    the run of tool messages it belongs to as one user message, so the model still sees them.
    (The Messages endpoint takes images inside ``tool_result`` blocks and needs none of this.)
    """
    messages = _without_messages_only_fields(messages)
    if not any(m.get("role") == "tool" and isinstance(m.get("content"), list) for m in messages):
        return list(messages)
    out: list[ChatMessage] = []
    images: list[ContentPart] = []
    for message in messages:
        if images and message.get("role") != "tool":
            out.append(_images_message(images))
            images = []
        content = message.get("content")
        if message.get("role") == "tool" and isinstance(content, list):
            parts = [p for p in content if isinstance(p, dict)]
            texts = [str(p.get("text") or "") for p in parts if p.get("type") == "text"]
            images.extend(p for p in parts if p.get("type") == "image_url")
            message = {**message, "content": "\n".join(texts)}
        out.append(message)
    if images:
        out.append(_images_message(images))
    return out


_MESSAGES_ONLY = ("thinking_signature", "redacted_thinking", "is_error")


def _without_messages_only_fields(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The messages without the fields only the Messages format carries.

    Chat Completions has no field for a thinking signature, redacted thinking or a failed
    tool's ``is_error``: they stay in the history (for a later call on the Messages format)
    but are not sent here.
    """
    if not any(k in m for m in messages for k in _MESSAGES_ONLY):
        return messages
    return [
        {k: v for k, v in m.items() if k not in _MESSAGES_ONLY}  # type: ignore[misc]
        for m in messages
    ]


def _images_message(images: list[ContentPart]) -> ChatMessage:
    intro: ContentPart = {"type": "text", "text": TOOL_IMAGES_INTRO}
    return {"role": "user", "content": [intro, *images]}
