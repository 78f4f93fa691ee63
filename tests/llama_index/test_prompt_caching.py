"""Prompt caching from LlamaIndex: a ``CachePoint`` is sent as ``cache_control`` on Messages.

As llama-index's Anthropic LLM places it, a ``CachePoint`` marks the block before it (text,
image, a tool result's text) and ``additional_kwargs["cache_control"]`` a message's last block;
the cache token counts come back in ``raw["usage"]`` under the Messages names and in
``additional_kwargs["usage"]``. Chat Completions cannot carry the marks: they are removed, with
a warning. Sync, async and streamed calls, over ``httpx.MockTransport``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    ChatResponse,
    ImageBlock,
    TextBlock,
    ToolCallBlock,
)

from llama_index_modelslab import ModelsLabLLM
from modelslab_transport._cache_marks import CACHE_CONTROL_WARNING

from .li_fakes import FakeAPI, chunk, completion_body, sse

Fake = Callable[..., tuple[ModelsLabLLM, FakeAPI]]
MODEL = "baidu-ernie-4.5-vl-28b-a3b"  # a vision model with tools, in the catalog
POINT = CachePoint(cache_control=CacheControl(type="ephemeral"))
MARK = {"type": "ephemeral", "ttl": "5m"}
URL = "https://example.com/cat.png"
USAGE = {
    "input_tokens": 3,
    "output_tokens": 2,
    "cache_read_input_tokens": 7,
    "cache_creation_input_tokens": 5,
}
ANSWER = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": [{"type": "text", "text": "Sunny."}],
    "stop_reason": "end_turn",
    "usage": USAGE,
}
EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {"id": "msg_1", "usage": {**USAGE, "output_tokens": 0}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Sunny."}},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}},
    {"type": "message_stop"},
]
SSE = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in EVENTS).encode()

HISTORY = [
    ChatMessage(role="system", blocks=[TextBlock(text="Long rules."), POINT]),
    ChatMessage(role="user", blocks=[TextBlock(text="Look"), ImageBlock(url=URL), POINT]),
    ChatMessage(
        role="assistant",
        blocks=[ToolCallBlock(tool_call_id="toolu_1", tool_name="get", tool_kwargs={})],
    ),
    ChatMessage(
        role="tool",
        blocks=[TextBlock(text="sunny"), POINT],
        additional_kwargs={"tool_call_id": "toolu_1"},
    ),
    ChatMessage(
        role="user",
        content="And tomorrow?",
        additional_kwargs={"cache_control": {"type": "ephemeral"}},
    ),
]
SENT_SYSTEM = [{"type": "text", "text": "Long rules.", "cache_control": MARK}]
SENT_MESSAGES = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Look"},
            {"type": "image", "source": {"type": "url", "url": URL}, "cache_control": MARK},
        ],
    },
    {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_1", "name": "get", "input": {}}],
    },
    {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "content": [{"type": "text", "text": "sunny", "cache_control": MARK}],
            },
            {"type": "text", "text": "And tomorrow?", "cache_control": {"type": "ephemeral"}},
        ],
    },
]


def _check(response: ChatResponse, api: FakeAPI) -> None:
    body = api.bodies[-1]
    assert body["system"] == SENT_SYSTEM
    assert body["messages"] == SENT_MESSAGES
    assert response.raw["usage"]["cache_read_input_tokens"] == 7
    assert response.raw["usage"]["cache_creation_input_tokens"] == 5
    usage = response.additional_kwargs["usage"]
    assert (usage["cache_read_tokens"], usage["cache_creation_tokens"]) == (7, 5)
    assert response.additional_kwargs["prompt_tokens"] == 3 + 7 + 5


def test_chat_sends_the_marks(fake: Fake) -> None:
    llm, api = fake(ANSWER, model=MODEL, api_format="anthropic")
    _check(llm.chat(HISTORY), api)


async def test_achat_sends_the_marks(fake: Fake) -> None:
    llm, api = fake(ANSWER, model=MODEL, api_format="anthropic")
    _check(await llm.achat(HISTORY), api)


def test_stream_chat_sends_the_marks(fake: Fake) -> None:
    llm, api = fake(SSE, model=MODEL, api_format="anthropic")
    *_, last = llm.stream_chat(HISTORY)
    assert last.message.content == "Sunny."
    _check(last, api)


async def test_astream_chat_sends_the_marks(fake: Fake) -> None:
    llm, api = fake(SSE, model=MODEL, api_format="anthropic")
    responses = [r async for r in await llm.astream_chat(HISTORY)]
    _check(responses[-1], api)


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream_chat"])
def test_chat_completions_removes_the_marks_with_a_warning(fake: Fake, stream: bool) -> None:
    llm, api = fake(completion_body("ok"), model=MODEL)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if stream:
            api.script[0] = sse(chunk({"content": "ok"}, "stop"))
            list(llm.stream_chat(HISTORY))
        else:
            llm.chat(HISTORY)
    assert [str(w.message) for w in caught] == [CACHE_CONTROL_WARNING]
    body = api.bodies[-1]
    assert "cache_control" not in json.dumps(body)
    assert body["messages"][0]["content"] == [{"type": "text", "text": "Long rules."}]
    assert body["messages"][3]["content"] == "sunny"  # tool messages take text (§3.1)
