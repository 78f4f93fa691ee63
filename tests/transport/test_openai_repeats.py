"""Streamed tool calls whose fragments repeat the call's id and name.

llama.cpp's OpenAI-compatible Python server sends ``id`` and ``function.name`` again on every
fragment of a streamed tool call. Consumers that concatenate name fragments (LangChain's chunk
merging) would see ``get_weatherget_weather...``, so the transport drops a fragment's id or
name when it only repeats what that call already has. Names genuinely split across fragments
are still passed through piece by piece.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelslab_transport._stream import StreamParser

from .conftest import chunk, sse


def fragment(index: int, arguments: str, call_id: str | None = None, name: str | None = None):
    """One streamed tool-call fragment as a server sends it."""
    call: dict[str, Any] = {"index": index, "function": {"arguments": arguments}}
    if call_id is not None:
        call["id"] = call_id
        call["type"] = "function"
    if name is not None:
        call["function"]["name"] = name
    return chunk(tool_calls=[call])


def tool_fragments(*chunks: dict[str, Any]) -> list[tuple[int, str | None, str | None, str]]:
    parser = StreamParser("openai")
    raw = sse(*chunks, chunk(finish="tool_calls"), "[DONE]")
    deltas = [*parser.feed(raw), *parser.finish()]
    return [
        (c["index"], c["id"], c["name"], c["arguments"])
        for d in deltas
        for c in d.get("tool_calls", [])
    ]


CASES = [
    pytest.param(
        [fragment(0, "{", "call_1", "get_weather"), fragment(0, "}", "call_1", "get_weather")],
        [(0, "call_1", "get_weather", "{"), (0, None, None, "}")],
        id="llama.cpp repeats id and name on every fragment",
    ),
    pytest.param(
        [fragment(0, "", "call_1", "get_weather"), fragment(0, "{}")],
        [(0, "call_1", "get_weather", ""), (0, None, None, "{}")],
        id="standard: id and name on the first fragment only",
    ),
    pytest.param(
        [fragment(0, "", "call_1", "get_"), fragment(0, "{}", name="weather")],
        [(0, "call_1", "get_", ""), (0, None, "weather", "{}")],
        id="a name split across fragments is kept",
    ),
    pytest.param(
        [
            fragment(0, "{", "call_1", "add"),
            fragment(1, "{", "call_2", "add"),
            fragment(0, "}", "call_1", "add"),
            fragment(1, "}", "call_2", "add"),
        ],
        [
            (0, "call_1", "add", "{"),
            (1, "call_2", "add", "{"),
            (0, None, None, "}"),
            (1, None, None, "}"),
        ],
        id="parallel calls of the same tool keep one name each",
    ),
    pytest.param(
        [fragment(0, "{", "call_1", "f"), fragment(0, "}", "call_9", "f")],
        [(0, "call_1", "f", "{"), (0, "call_9", None, "}")],
        id="a different id is passed on",
    ),
]


@pytest.mark.parametrize(("chunks", "expected"), CASES)
def test_repeated_ids_and_names_are_dropped(
    chunks: list[dict[str, Any]], expected: list[tuple[int, str | None, str | None, str]]
) -> None:
    assert tool_fragments(*chunks) == expected
