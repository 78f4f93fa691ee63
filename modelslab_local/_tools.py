"""Choosing tools and their arguments from a request, by word overlap and schema filling."""

from __future__ import annotations

import json
import re
from collections import Counter
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
    """The best-scoring tool; on a tie, one whose numbers ``text`` supplies, then the first.

    When nothing matches at all, the first tool wins: a guess is a guess.
    """
    ranked = []
    for i, tool in enumerate(tools):
        points = score(tool, text)
        lacking = _missing_numbers(tool, text) if points > 0 else 0
        ranked.append((points, -lacking, -i, tool))
    top = max(ranked, key=lambda r: r[:3])
    return top[3], top[0]


def _required_properties(tool: Tool) -> dict[str, JSON]:
    properties = tool.parameters.get("properties")
    if not isinstance(properties, dict):
        return {}
    required = set(tool.parameters.get("required") or [])
    return {k: v for k, v in properties.items() if k in required and isinstance(v, dict)}


def _missing_numbers(tool: Tool, text: str) -> int:
    """How many required numeric fields ``text`` has no number for."""
    wanted = sum(
        1 for p in _required_properties(tool).values() if p.get("type") in ("integer", "number")
    )
    return max(wanted - len(_text.numbers(text)), 0)


def fit(tool: Tool, text: str) -> int:
    """How well ``text`` can fill ``tool``'s fields: fields it names, less numbers it lacks."""
    properties = tool.parameters.get("properties")
    names = properties if isinstance(properties, dict) else {}
    asked = _text.content_words(text)
    named = sum(
        1
        for key in names
        if ({_text.stem(w) for w in _text.identifier_words(key)} - _text.STOPWORDS) & asked
    )
    return named - _missing_numbers(tool, text)


def plan_calls(
    tools: list[Tool],
    text: str,
    *,
    forced: str | None,
    required: bool,
    parallel: bool,
    evidence: str = "",
) -> list[PlannedCall]:
    """Decide which tools ``text`` asks for and with which arguments.

    Args:
        tools: The tools on offer.
        text: The user's request.
        forced: A tool name the caller forces, or ``None``.
        required: Whether some tool must be called.
        parallel: Whether several calls may be returned.
        evidence: Tool results so far; a forced tool's arguments may come from them too.

    Returns:
        The planned calls, possibly empty when no tool fits and none is required.
    """
    if not tools:
        return []
    if forced is not None:
        tool = next((t for t in tools if t.name == forced), tools[0])
        return [_call(tool, text, evidence)]
    calls = _calls_per_clause(tools, text) if parallel else []
    if not calls:
        tool, points = best_tool(tools, text)
        explicit = bool(re.search(r"\b(?:use|using|call|with)\b.{0,20}\btools?\b", text, re.I))
        if points >= THRESHOLD or required or (explicit and (points > 0 or len(tools) == 1)):
            calls = [_call(tool, text)]
    return calls if parallel else calls[:1]


def _calls_per_clause(tools: list[Tool], text: str) -> list[PlannedCall]:
    """One call per clause that asks for a tool with a value of its own.

    ``weather in Paris and time in Tokyo`` makes two calls. A clause that names no tool but
    carries its own value (``... and in London``) repeats the previous clause's tool with that
    value. A clause that asks for a tool without a value (``Use the get_weather tool.``) is not
    a request of its own: its tool is called once, with values from the whole text, only when
    no other clause calls it.
    """
    clauses = [c for c in re.split(r"\s+(?:and|&)\s+|;\s*|\?\s+", text) if c.strip()]
    if len(clauses) < 2:
        return []
    calls: list[PlannedCall] = []
    bare: dict[str, tuple[int, Tool]] = {}  # tool name -> (position, tool)
    previous: Tool | None = None
    for clause in clauses:
        tool, points = best_tool(tools, clause)
        if points >= THRESHOLD:
            previous = tool
            if not _has_value(clause, tool):
                bare.setdefault(tool.name, (len(calls), tool))
                continue
        elif previous is None or not _has_value(clause, previous):
            continue
        else:
            tool = previous
        call = _call(tool, clause)
        if call not in calls:
            calls.append(call)
    called = {c.tool.name for c in calls}
    wanted = [v for k, v in bare.items() if k not in called]
    for at, tool in sorted(wanted, key=lambda v: v[0], reverse=True):
        calls.insert(at, _call(tool, text))
    return calls if len(calls) > 1 else []


def _has_value(clause: str, tool: Tool) -> bool:
    """Whether a clause carries a value of its own: a number, a quote or a proper name.

    Words of the tool's own name (``the Weather tool``) are not values.
    """
    if _text.numbers(clause) or _text.quoted(clause):
        return True
    own = set(_text.identifier_words(tool.name)) | _text.STOPWORDS
    phrases = _text.capitalized_phrases(" x " + clause)
    return any(w not in own for p in phrases for w in _text.words(p))


def _call(tool: Tool, text: str, evidence: str = "") -> PlannedCall:
    arguments = fill_schema(tool.parameters, text, evidence)
    if not isinstance(arguments, dict):
        arguments = {}
    return PlannedCall(tool, arguments)


def pending(planned: list[PlannedCall], made: list[tuple[str, JSON]]) -> list[PlannedCall]:
    """The planned calls not made yet.

    A made call with the same tool and arguments cancels its plan first; the other made calls
    then cancel one planned call of the same tool each (their arguments may have been edited).
    """
    left = list(made)
    unmatched = []
    for call in planned:
        key = (call.tool.name, call.arguments)
        if key in left:
            left.remove(key)
        else:
            unmatched.append(call)
    spare = Counter(name for name, _ in left)
    out = []
    for call in unmatched:
        if spare[call.tool.name] > 0:
            spare[call.tool.name] -= 1
        else:
            out.append(call)
    return out


def follow_up(
    tools: list[Tool], question: str, evidence: str, made: list[tuple[str, JSON]]
) -> PlannedCall | None:
    """The next call once every planned call has its result, when some call is required.

    A tool not called since the question, preferring one whose fields the question and the
    results can fill (typically a structured-output tool); ``None`` when every tool was called.
    """
    called = {name for name, _ in made}
    text = f"{question}\n{evidence}"
    fresh = [(fit(t, text), score(t, text), -i, t) for i, t in enumerate(tools)]
    fresh = [r for r in fresh if r[3].name not in called]
    if not fresh:
        return None
    tool = max(fresh, key=lambda r: r[:3])[3]
    return _call(tool, question, evidence)


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
