"""Choosing tools and their arguments from a request, by word overlap and schema filling."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from . import _text
from ._schema import fill_schema

JSON = dict[str, Any]

# A tool is worth calling unprompted when it scores at least this much (one name word).
THRESHOLD = 3.0


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool as the engine sees it."""

    name: str
    description: str
    parameters: JSON

    @classmethod
    def from_spec(cls, spec: JSON) -> Tool:
        """Build from an OpenAI tool definition (or a bare function definition)."""
        function = spec.get("function", spec)
        return cls(
            name=str(function.get("name", "")),
            description=str(function.get("description") or ""),
            parameters=function.get("parameters") or {"type": "object", "properties": {}},
        )


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """A tool call the engine intends to make."""

    tool: Tool
    arguments: JSON

    @property
    def arguments_json(self) -> str:
        """Arguments as a JSON string, non-ASCII kept as is."""
        return json.dumps(self.arguments, ensure_ascii=False)


def score(tool: Tool, text: str) -> float:
    """How well ``text`` asks for ``tool``: name words count triple, description words once."""
    asked = _text.content_words(text)
    name_words = {
        _text.stem(w)
        for w in _text.identifier_words(tool.name)
        if w not in _text.GENERIC_NAME_WORDS and w not in _text.STOPWORDS
    }
    description_words = _text.content_words(tool.description) - _text.content_words(
        "tool that returns takes input output"
    )
    points = 3.0 * _text.overlap(name_words, asked) + 1.0 * _text.overlap(description_words, asked)
    if re.search(rf"\b{re.escape(tool.name)}\b", text, re.IGNORECASE):
        points += 10.0
    return points


def best_tool(tools: list[Tool], text: str) -> tuple[Tool, float]:
    """The best-scoring tool (the first one on a tie)."""
    ranked = [(score(t, text), -i, t) for i, t in enumerate(tools)]
    top = max(ranked, key=lambda r: (r[0], r[1]))
    return top[2], top[0]


def plan_calls(
    tools: list[Tool],
    text: str,
    *,
    forced: str | None,
    required: bool,
    parallel: bool,
) -> list[PlannedCall]:
    """Decide which tools ``text`` asks for and with which arguments.

    Args:
        tools: The tools on offer.
        text: The user's request.
        forced: A tool name the caller forces, or ``None``.
        required: Whether some tool must be called.
        parallel: Whether several calls may be returned.

    Returns:
        The planned calls, possibly empty when no tool fits and none is required.
    """
    if not tools:
        return []
    if forced is not None:
        tool = next((t for t in tools if t.name == forced), tools[0])
        return [_call(tool, text)]
    calls = _calls_per_clause(tools, text) if parallel else []
    if not calls:
        tool, points = best_tool(tools, text)
        explicit = bool(re.search(r"\b(?:use|using|call|with)\b.{0,20}\btools?\b", text, re.I))
        if points >= THRESHOLD or required or (explicit and (points > 0 or len(tools) == 1)):
            calls = [_call(tool, text)]
    return calls if parallel else calls[:1]


def _calls_per_clause(tools: list[Tool], text: str) -> list[PlannedCall]:
    """One call per clause that asks for a tool (``weather in Paris and time in Tokyo``).

    A clause that names no tool but carries its own value (``... and London``) repeats the
    previous clause's tool with that value.
    """
    clauses = [c for c in re.split(r"\s+(?:and|&)\s+|;\s*|\?\s+", text) if c.strip()]
    if len(clauses) < 2:
        return []
    calls: list[PlannedCall] = []
    previous: Tool | None = None
    for clause in clauses:
        tool, points = best_tool(tools, clause)
        if points >= THRESHOLD:
            previous = tool
        elif previous is None or not _has_value(clause):
            continue
        else:
            tool = previous
        call = _call(tool, clause)
        if call not in calls:
            calls.append(call)
    return calls if len(calls) > 1 else []


def _has_value(clause: str) -> bool:
    """Whether a clause carries a value of its own: a number, a quote or a proper name."""
    if _text.numbers(clause) or _text.quoted(clause):
        return True
    name = _text.capitalized(" x " + clause) or ""
    return any(w not in _text.STOPWORDS for w in _text.words(name))


def _call(tool: Tool, text: str) -> PlannedCall:
    arguments = fill_schema(tool.parameters, text)
    if not isinstance(arguments, dict):
        arguments = {}
    return PlannedCall(tool, arguments)


def tool_choice_mode(tool_choice: Any) -> tuple[str, str | None]:
    """Normalize a tool choice to ``(mode, forced_name)``; mode is auto, none or required."""
    if isinstance(tool_choice, dict):
        function = tool_choice.get("function") or {}
        name = function.get("name") or tool_choice.get("name")
        if name:
            return "required", str(name)
        kind = str(tool_choice.get("type", "auto"))
        return ("required" if kind in ("any", "required") else kind), None
    if tool_choice in ("required", "any"):
        return "required", None
    if tool_choice == "none":
        return "none", None
    return "auto", None
