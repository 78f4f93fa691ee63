"""LangChain tools as the API's (OpenAI) tool definitions. Pure.

``tool_choice`` has one rule for both frameworks: the transport's ``resolve_tool_choice``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.tools import BaseTool

from modelslab_transport import ToolSpec

__all__ = ["ToolLike", "format_tools"]

ToolLike = dict[str, Any] | type | Callable[..., Any] | BaseTool


def format_tools(tools: Sequence[ToolLike], *, strict: bool | None = None) -> list[ToolSpec]:
    """Convert tools to OpenAI tool definitions.

    Accepts LangChain tools, functions, pydantic / TypedDict classes, JSON schemas and
    Anthropic-format tool dicts. A ``cache_control`` on a tool dict or in a tool's ``extras``
    is kept on the definition (sent on the Messages format only).
    """
    # Imported on first use: LangChain's schema conversion is slow to import.
    from langchain_core.utils.function_calling import convert_to_openai_tool

    specs: list[ToolSpec] = []
    for tool in tools:
        spec: ToolSpec = convert_to_openai_tool(tool, strict=strict)  # type: ignore[assignment]
        mark = _cache_mark(tool)
        if mark:  # sent on the Messages format only
            spec["cache_control"] = mark
        specs.append(spec)
    return specs


def _cache_mark(tool: ToolLike) -> Any:
    """A prompt-caching mark where ChatAnthropic reads one: the tool dict or ``BaseTool.extras``."""
    if isinstance(tool, dict):
        return tool.get("cache_control")
    extras = getattr(tool, "extras", None) if isinstance(tool, BaseTool) else None
    return extras.get("cache_control") if isinstance(extras, dict) else None
