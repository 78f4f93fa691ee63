"""Answers that come from the conversation itself: agent summaries and "what is my name?".

LangChain's ``SummarizationMiddleware`` (``create_agent``) asks for the conversation's context
in four sections, with the history as ``<message type="...">`` elements; the engine answers
extractively: what the user asked and said, what the tools returned. A user who told the
model a fact earlier in the thread ("my name is Bob") gets it back when asking for it, as
LangGraph's memory examples expect. Pure functions over text; no fact is invented.
"""

from __future__ import annotations

import re
from html import unescape

__all__ = ["conversation_summary", "recalled_fact"]

_MESSAGES = re.compile(r"Messages to summarize:\s*(?P<body>.*?)\s*</messages>", re.S)
_MESSAGE = re.compile(r"<message type=\"(?P<role>[^\"]+)\"[^>]*>(?P<content>.*?)</message>", re.S)
# What the middleware puts before a summary it made earlier (a summary of a summary).
_EARLIER = "Here is a summary of the conversation to date:"


def conversation_summary(prompt: str) -> str | None:
    """The four-section summary a summarization prompt asks for, or ``None`` for another prompt."""
    if "## SESSION INTENT" not in prompt:
        return None
    match = _MESSAGES.search(prompt)
    if match is None:
        return None
    intent: str | None = None
    asked: list[str] = []
    lines: list[str] = []  # in the order the conversation had them
    for role, content in _MESSAGE.findall(match.group("body")):
        text = _plain(content)
        if role == "human" and text.startswith(_EARLIER):
            intent = intent or _section(text, "SESSION INTENT")
            lines.extend(_earlier_lines(text))
        elif role == "human" and text:
            asked.append(text)
            lines.append(f"The user said: {text}")
        elif role == "tool" and text:
            lines.append(f"A tool returned: {text}")
    intent = intent or (asked[0] if asked else None)
    parts = [
        f"## SESSION INTENT\n{intent or 'None'}",
        "## SUMMARY\n" + ("\n".join(f"- {line}" for line in lines) if lines else "None"),
        "## ARTIFACTS\nNone",
        "## NEXT STEPS\n" + (f"Answer: {asked[-1]}" if asked else "None"),
    ]
    return "\n\n".join(parts)


def _plain(content: str) -> str:
    """A message's text: nested elements (tool calls, content wrappers) dropped, unescaped."""
    inner = re.search(r"<content>(.*?)</content>", content, re.S)
    text = (
        inner.group(1) if inner else re.sub(r"<tool_call\b.*?</tool_call>", "", content, flags=re.S)
    )
    return " ".join(unescape(text).split())


def _section(summary: str, name: str) -> str | None:
    """One section of a summary made earlier (whitespace already collapsed), or ``None``."""
    body = summary.partition(f"## {name}")[2].partition("## ")[0].strip()
    return body if body and body != "None" else None


def _earlier_lines(summary: str) -> list[str]:
    """The ``- `` lines of an earlier summary's SUMMARY section, kept as they were."""
    body = _section(summary, "SUMMARY") or ""
    return [part.strip()[2:] for part in re.split(r"\s(?=- )", " " + body) if part.strip()]


_NAME_QUESTION = re.compile(
    r"\b(?:what(?:'s| is) my name|who am i|do you (?:know|remember) my name)\b", re.I
)
# The lead words in any case, the name capitalized (so "I am going" is not a name).
_NAME_GIVEN = re.compile(
    r"\b(?i:my name is|my name's|i am|i'm|call me)\s+(?P<name>[A-Z][\w'-]*(?: [A-Z][\w'-]*)?)"
)


def recalled_fact(question: str, earlier: list[str]) -> str | None:
    """The user's name, when they ask for it and said it earlier in the conversation."""
    if not _NAME_QUESTION.search(question):
        return None
    for text in reversed(earlier):
        match = _NAME_GIVEN.search(text)
        if match:
            return f"Your name is {match.group('name')}."
    return "You have not told me your name in this conversation."
