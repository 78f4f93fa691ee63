"""``messages`` / ``stream_messages``: bodies written in Anthropic's own Messages shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from modelslab_transport import AsyncModelsLabClient, ConfigurationError, ModelsLabClient

from .conftest import Api, anthropic_sse, drain, stream_response

MakeApi = Callable[..., Api]
local = pytest.importorskip("modelslab_local")

MODEL = "baidu-ernie-4.5-vl-28b-a3b"
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": [{"type": "text", "text": "Four."}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 9, "output_tokens": 2},
}
TOOL_LOOP: dict[str, Any] = {
    "model": MODEL,
    "system": "Answer from the tool result.",
    "messages": [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "tu_1",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                }
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "18 °C, sunny"}],
        },
    ],
    "tools": [
        {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ],
}


async def test_body_is_sent_as_written_with_defaults_filled(api: MakeApi) -> None:
    facade = api(httpx.Response(200, json=MESSAGE))
    answer = await facade.call("messages", {**TOOL_LOOP, "temperature": 1.7})
    sent = facade.script.bodies[0]
    assert facade.script.requests[0].url.path.endswith("/v1/messages")
    assert sent["system"] == TOOL_LOOP["system"]
    assert sent["messages"] == TOOL_LOOP["messages"]
    assert sent["tools"] == TOOL_LOOP["tools"]
    assert sent["max_tokens"] == 1000  # the endpoint requires it: the catalog's default
    assert sent["temperature"] == 1.0  # the Messages API accepts at most 1
    assert "stream" not in sent
    assert answer["text"] == "Four."
    assert answer["usage"]["total_tokens"] == 11


async def test_stream_messages(api: MakeApi) -> None:
    body = anthropic_sse(
        {"type": "message_start", "message": {"id": "msg_1", "model": MODEL}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "4"}},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}},
        {"type": "message_stop"},
    )
    facade = api(stream_response(body))
    deltas = await drain(await facade.call("stream_messages", {**TOOL_LOOP, "max_tokens": 50}))
    assert facade.script.bodies[0]["stream"] is True
    assert facade.script.bodies[0]["max_tokens"] == 50
    assert "".join(d.get("text", "") for d in deltas) == "4"


@pytest.mark.parametrize(
    ("body", "missing"),
    [({"messages": []}, "'model'"), ({"model": MODEL}, "'messages'")],
)
async def test_incomplete_bodies_are_refused_before_sending(
    api: MakeApi, body: dict[str, Any], missing: str
) -> None:
    facade = api()
    with pytest.raises(ConfigurationError, match=missing):
        await facade.call("messages", body)
    assert facade.script.requests == []


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with local.start_server() as handle:
        yield handle


async def test_native_tool_loop_over_loopback(server: Any, kind: str) -> None:
    # The local server reads the tool result and answers from it, on real HTTP.
    if kind == "sync":
        with ModelsLabClient(api_key=server.api_key, base_url=server.base_url) as client:
            answer = client.messages(TOOL_LOOP)
            streamed = list(client.stream_messages(TOOL_LOOP))
    else:
        async with AsyncModelsLabClient(api_key=server.api_key, base_url=server.base_url) as ac:
            answer = await ac.messages(TOOL_LOOP)
            streamed = [d async for d in await ac.stream_messages(TOOL_LOOP)]
    assert "18 °C" in answer["text"]
    assert "".join(d.get("text", "") for d in streamed) == answer["text"]
