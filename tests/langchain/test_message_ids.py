"""Message ids: every chunk of a stream, and the answer, carry the provider's id."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from lc_helpers import USAGE, Scripted, chunk

CALL = {"index": 0, "id": "c1", "function": {"name": "get_weather", "arguments": '{"city":"P"}'}}
STREAMS: dict[str, list[dict[str, Any]]] = {
    "text": [chunk({"content": "h"}), chunk({"content": "i"}, "stop"), chunk(usage=USAGE)],
    "tool call": [chunk({"tool_calls": [CALL]}, "tool_calls"), chunk(usage=USAGE)],
}


def _ids(chunks: list[AIMessageChunk]) -> set[str | None]:
    return {c.id for c in chunks}


@pytest.mark.parametrize("version", ["v0", "v1"])
@pytest.mark.parametrize("script", STREAMS)
def test_every_streamed_chunk_has_the_providers_id(script: str, version: str) -> None:
    model = Scripted([STREAMS[script]]).model(output_version=version)
    chunks = list(model.stream("hi"))
    assert _ids(chunks) == {"chatcmpl-1"}
    assert chunks[-1].chunk_position == "last"
    total = chunks[0]
    for piece in chunks[1:]:
        total += piece
    assert total.id == "chatcmpl-1"
    if script == "tool call":
        assert [c["name"] for c in total.tool_calls] == ["get_weather"]


async def test_every_async_streamed_chunk_has_the_providers_id() -> None:
    model = Scripted([STREAMS["text"]]).model()
    chunks = [c async for c in model.astream("hi")]
    assert _ids(chunks) == {"chatcmpl-1"}
    assert [c.chunk_position for c in chunks].count("last") == 1


def test_a_stream_without_an_id_keeps_one_id_too() -> None:
    bare = [{k: v for k, v in c.items() if k != "id"} for c in STREAMS["text"]]
    chunks = list(Scripted([bare]).model().stream("hi"))
    (only,) = _ids(chunks)
    assert only is not None
    assert only.startswith("lc_run")
