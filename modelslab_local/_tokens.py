"""A small deterministic tokenizer shared by usage accounting and ``count_tokens``.

Words, numbers and each punctuation mark count as one token; a run of CJK characters counts
one token per character (closer to real BPE counts than one token per run).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]|[^\W_]+|[^\w\s]|_", re.UNICODE)

# Per-message overhead, as chat templates add role markers around every turn.
MESSAGE_OVERHEAD = 3
# A flat cost per image, like the low-detail image price of common vision models.
IMAGE_TOKENS = 85


def count_text(text: str) -> int:
    """Return the number of tokens in ``text``."""
    return sum(1 for _ in _TOKEN.finditer(text))


def truncate(text: str, max_tokens: int) -> str:
    """Return the longest prefix of ``text`` with at most ``max_tokens`` tokens."""
    if max_tokens <= 0:
        return ""
    for i, match in enumerate(_TOKEN.finditer(text), start=1):
        if i == max_tokens:
            return text[: match.end()]
    return text


def split_pieces(text: str, tokens_per_piece: int = 2) -> list[str]:
    """Split ``text`` into small pieces of a few tokens each (for streamed deltas).

    Joining the pieces gives back ``text`` exactly, whitespace included.
    """
    ends = [m.end() for m in _TOKEN.finditer(text)]
    cuts = ends[tokens_per_piece - 1 :: tokens_per_piece]
    pieces: list[str] = []
    start = 0
    for cut in cuts:
        if cut > start:
            pieces.append(text[start:cut])
            start = cut
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def count_messages(messages: Iterable[dict[str, Any]], tools: Iterable[Any] = ()) -> int:
    """Count the prompt tokens of OpenAI-shaped ``messages`` plus tool definitions."""
    total = 0
    for message in messages:
        total += MESSAGE_OVERHEAD
        content = message.get("content")
        if isinstance(content, str):
            total += count_text(content)
        elif isinstance(content, list):
            for part in content:
                if part.get("type") == "text":
                    total += count_text(str(part.get("text", "")))
                else:
                    total += IMAGE_TOKENS
        for call in message.get("tool_calls") or []:
            function = call.get("function", {})
            total += count_text(str(function.get("name", "")))
            total += count_text(str(function.get("arguments", "")))
        if message.get("reasoning_content"):
            total += count_text(str(message["reasoning_content"]))
    for tool in tools:
        total += count_text(json.dumps(tool, ensure_ascii=False))
    return total
