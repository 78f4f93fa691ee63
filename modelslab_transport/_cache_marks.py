"""Prompt-caching marks (``cache_control``) on the Chat Completions format. Pure.

The Messages format carries ``cache_control`` on system, text, image and tool-result blocks
and on tools; Chat Completions has no field for it, so the marks are removed there, with one
warning, rather than sent to a server that would reject or ignore them.
"""

from __future__ import annotations

import warnings
from typing import Any

from ._types import ChatMessage, ToolSpec

__all__ = ["CACHE_CONTROL_WARNING", "uncached_messages", "uncached_tools"]

CACHE_CONTROL_WARNING = (
    "cache_control (prompt caching) is not carried by the OpenAI (Chat Completions) format "
    "and was not sent; use api_format='anthropic' to send prompt-caching marks."
)


def _warn_cache_control() -> None:
    # The default warning filter shows it once per call site: once, not per request.
    warnings.warn(CACHE_CONTROL_WARNING, UserWarning, stacklevel=4)


def uncached_messages(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The messages without ``cache_control`` marks, which Chat Completions cannot carry."""
    if not any(_marked(m) for m in messages):
        return messages
    _warn_cache_control()
    out: list[ChatMessage] = []
    for m in messages:
        clean: Any = {k: v for k, v in m.items() if k != "cache_control"}
        if isinstance(clean.get("content"), list):
            clean["content"] = [
                {k: v for k, v in p.items() if k != "cache_control"} if isinstance(p, dict) else p
                for p in clean["content"]
            ]
        out.append(clean)
    return out


def _marked(message: ChatMessage) -> bool:
    content = message.get("content")
    parts = content if isinstance(content, list) else ()
    return "cache_control" in message or any(
        isinstance(p, dict) and "cache_control" in p for p in parts
    )


def uncached_tools(tools: list[ToolSpec]) -> list[ToolSpec]:
    """The tools without ``cache_control`` marks (warned about when there were some)."""
    if not any("cache_control" in t for t in tools):
        return tools
    _warn_cache_control()
    return [{k: v for k, v in t.items() if k != "cache_control"} for t in tools]  # type: ignore[misc]
