"""ReAct text protocol (``Thought:`` / ``Action:`` / ``Action Input:`` / ``Observation:``).

Agents that do not use native tool calling describe their tools in the system prompt and
expect the model to answer in this text format; the same tool choice and argument rules as
native tool calls apply.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from ._tools import Tool, plan_calls

JSON = dict[str, Any]

_ANSWER_THOUGHT = (
    "Thought: I can answer without using any more tools. I'll use the user's language to answer"
)
_ACTION_THOUGHT = (
    "Thought: The current language of the user is: English. "
    "I need to use a tool to help me answer the question."
)


def is_react(system: str) -> bool:
    """Whether the system prompt asks for the ReAct text format."""
    return "Action Input:" in system and ("Tool Name:" in system or "Observation" in system)


def parse_tools(system: str) -> list[Tool]:
    """Tools listed as ``> Tool Name: ... Tool Description: ... Tool Args: {...}``."""
    tools = []
    decoder = json.JSONDecoder()
    for block in system.split("> Tool Name:")[1:]:
        name = block.strip().splitlines()[0].strip()
        description = ""
        match = re.search(r"Tool Description:\s*(.*?)\nTool Args:", block, re.S)
        if match:
            description = match.group(1).strip()
        parameters: JSON = {"type": "object", "properties": {}}
        args_at = block.find("Tool Args:")
        if args_at >= 0:
            raw = block[args_at + len("Tool Args:") :].lstrip()
            try:
                parsed, _ = decoder.raw_decode(raw)
                if isinstance(parsed, dict):
                    parameters = parsed
            except ValueError:
                pass
        tools.append(Tool(name=name, description=description, parameters=parameters))
    return tools


def react_reply(system: str, turns: list[tuple[str, str]], answer_for: Any) -> str:
    """The next ReAct step.

    Args:
        system: The system prompt (tool list and format instructions).
        turns: ``(role, text)`` for every message after the system prompt.
        answer_for: ``callable(question, observations) -> str`` for the final answer, where
            ``observations`` are ``(tool name, output)`` pairs.
    """
    tools = parse_tools(system)
    question_at = max(
        (i for i, (role, text) in enumerate(turns) if role == "user" and not _is_observation(text)),
        default=-1,
    )
    question = turns[question_at][1] if question_at >= 0 else ""
    actions: list[str] = []
    observations: list[tuple[str, str]] = []
    for role, text in turns[question_at + 1 :]:
        action = re.search(r"^Action:\s*(.+)$", text, re.M)
        if role == "assistant" and action:
            actions.append(action.group(1).strip())
        elif _is_observation(text) or role == "tool":
            name = actions[-1] if actions else "tool"
            observations.append((name, re.sub(r"^\s*Observation:\s*", "", text)))
    planned = plan_calls(tools, question, forced=None, required=False, parallel=True)
    done = Counter(actions)
    for call in planned:
        if done[call.tool.name] > 0:
            done[call.tool.name] -= 1
            continue
        return f"{_ACTION_THOUGHT}\nAction: {call.tool.name}\nAction Input: {call.arguments_json}"
    return f"{_ANSWER_THOUGHT}\nAnswer: {answer_for(question, observations)}"


def _is_observation(text: str) -> bool:
    return text.lstrip().startswith("Observation:")
