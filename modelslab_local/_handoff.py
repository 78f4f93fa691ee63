"""Multi-agent hand-off: LlamaIndex's ``AgentWorkflow`` gives each agent a ``handoff`` tool.

Its description lists the agents it may hand off to (``Currently available agents:
{'WriteAgent': 'Writes and saves reports.'}``). The rule-based engine hands off when another
agent's description matches the user's request better than any of the current agent's own
tools, and only once per request (the next agent then works with its own tools).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from . import _text
from ._tools import PlannedCall, Tool

__all__ = ["HANDOFF_TOOL", "plan_handoff"]

HANDOFF_TOOL = "handoff"
_AGENTS = re.compile(r"Currently available agents:\s*(\{.*\})", re.S)


def _agents(tool: Tool) -> dict[str, str]:
    """Agent name -> description, from the hand-off tool's description."""
    match = _AGENTS.search(tool.description)
    if not match:
        return {}
    try:
        agents: Any = ast.literal_eval(match.group(1))
    except (ValueError, SyntaxError):
        return {}
    return {str(k): str(v) for k, v in agents.items()} if isinstance(agents, dict) else {}


def _match(text: str, question: str) -> int:
    """Words of ``question`` that ``text`` shares; ``writ``/``write`` (crude stems) match."""
    offered = _text.content_words(text)
    return sum(
        1
        for asked in _text.content_words(question)
        if any(a.startswith(b) or b.startswith(a) for a in (asked,) for b in offered if len(b) > 3)
    )


def plan_handoff(tools: list[Tool], question: str, made: list[str]) -> PlannedCall | None:
    """The hand-off to make for ``question``, or ``None`` to keep working here.

    Args:
        tools: The current agent's tools, the hand-off tool among them.
        question: The user's request.
        made: Names of the tools called since the request (a hand-off is made once).
    """
    handoff = next((t for t in tools if t.name == HANDOFF_TOOL), None)
    if handoff is None or HANDOFF_TOOL in made:
        return None
    agents = _agents(handoff)
    if not agents:
        return None
    name, description = max(agents.items(), key=lambda item: _match(item[1], question))
    own = max(
        (_match(f"{t.name} {t.description}", question) for t in tools if t is not handoff),
        default=0,
    )
    if _match(description, question) <= max(own, 1):
        return None
    reason = f"{name} is better suited to this request: {description}"
    return PlannedCall(handoff, {"to_agent": name, "reason": reason})
