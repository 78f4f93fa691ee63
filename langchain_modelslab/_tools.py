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
    Anthropic-format tool dicts.
    """
    # Imported on first use: LangChain's schema conversion is slow to import.
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return [convert_to_openai_tool(t, strict=strict) for t in tools]  # type: ignore[misc]
