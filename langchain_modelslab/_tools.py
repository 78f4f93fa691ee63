"""Tool definitions and ``tool_choice`` in the API's (OpenAI) vocabulary. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.tools import BaseTool

from modelslab_transport import ToolSpec

if TYPE_CHECKING:  # not re-exported by the transport; used for typing only
    from modelslab_transport._types import ToolChoice

__all__ = ["ToolLike", "format_tools", "normalize_tool_choice"]

ToolLike = dict[str, Any] | type | Callable[..., Any] | BaseTool

# LangChain spells "must call some tool" several ways; the API says "required".
_FORCED = frozenset({"any", "required"})
_KEYWORDS = frozenset({"auto", "none"})


def format_tools(tools: Sequence[ToolLike], *, strict: bool | None = None) -> list[ToolSpec]:
    """Convert tools to OpenAI tool definitions.

    Accepts LangChain tools, functions, pydantic / TypedDict classes, JSON schemas and
    Anthropic-format tool dicts.
    """
    # Imported on first use: LangChain's schema conversion is slow to import.
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return [convert_to_openai_tool(t, strict=strict) for t in tools]  # type: ignore[misc]


def normalize_tool_choice(choice: Any, tools: Sequence[ToolSpec]) -> ToolChoice | None:
    """Map LangChain's ``tool_choice`` spellings onto the API's.

    Args:
        choice: ``None``/``False`` (omit), ``"auto"``, ``"none"``, ``"any"``/``"required"``/
            ``True`` (force some tool), a bound tool's name, an OpenAI
            ``{"type": "function", ...}`` dict, or an Anthropic ``{"type": "auto"|"any"|
            "tool", ...}`` dict.
        tools: The tools being bound (to check a forced name).

    Returns:
        The value to send, or ``None`` to send nothing.

    Raises:
        ValueError: For a name that is not among ``tools`` or an unknown shape.
    """
    if choice is None or choice is False:
        return None
    if choice is True:
        return "required"
    if isinstance(choice, str):
        if choice in _FORCED:
            return "required"
        return choice if choice in _KEYWORDS else _named(choice, tools)
    if isinstance(choice, dict):
        return _from_dict(choice, tools)
    msg = f"Unsupported tool_choice {choice!r}."
    raise ValueError(msg)


def _named(name: str, tools: Sequence[ToolSpec]) -> ToolChoice:
    names = [t["function"]["name"] for t in tools]
    if name not in names:
        msg = f"tool_choice {name!r} is not one of the bound tools {names}."
        raise ValueError(msg)
    return {"type": "function", "function": {"name": name}}


def _from_dict(choice: dict[str, Any], tools: Sequence[ToolSpec]) -> ToolChoice:
    kind = choice.get("type")
    if kind == "function":
        return choice
    if kind == "tool" and isinstance(choice.get("name"), str):
        return _named(choice["name"], tools)
    if kind in ("auto", "any", "none"):
        return normalize_tool_choice(kind, tools) or "auto"
    msg = f"Unsupported tool_choice {choice!r}."
    raise ValueError(msg)
