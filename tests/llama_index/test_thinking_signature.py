"""Messages format: the thinking signature and redacted thinking survive a LlamaIndex tool loop.

As llama-index's Anthropic LLM does, the signature is kept in the ``ThinkingBlock``'s
``additional_information["signature"]`` (whole, or the streamed pieces joined); each redacted
block becomes an empty ``ThinkingBlock`` carrying its data. The next request sends them back
unchanged; the Chat Completions body carries neither.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    ThinkingBlock,
    ToolCallBlock,
)

from llama_index_modelslab import ModelsLabLLM

from .li_fakes import FakeAPI

Fake = Callable[..., tuple[ModelsLabLLM, FakeAPI]]
MODEL = "openai-o3-mini-high"
CALL = {"id": "toolu_1", "name": "get", "input": {"city": "Paris"}}
ANSWER: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": MODEL,
    "content": [
        {"type": "thinking", "thinking": "Let me see.", "signature": "sig-A=="},
        {"type": "redacted_thinking", "data": "opaque-1"},
        {"type": "tool_use", **CALL},
    ],
    "stop_reason": "tool_use",
    "usage": {"input_tokens": 3, "output_tokens": 4},
}
EVENTS: list[dict[str, Any]] = [
    {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 3}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking"}},
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": "Let me see."},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "signature_delta", "signature": "sig-"},
    },
    {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "signature_delta", "signature": "A=="},
    },
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "redacted_thinking", "data": "opaque-1"},
    },
    {
        "type": "content_block_start",
        "index": 2,
        "content_block": {"type": "tool_use", **CALL, "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 2,
        "delta": {"type": "input_json_delta", "partial_json": '{"city": "Paris"}'},
    },
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 4}},
    {"type": "message_stop"},
]
SSE = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in EVENTS).encode()
FINAL = {
    "id": "msg_2",
    "type": "message",
    "role": "assistant",
    "content": [{"type": "text", "text": "Sunny."}],
    "stop_reason": "end_turn",
}
SENT_BACK = [
    {"type": "thinking", "thinking": "Let me see.", "signature": "sig-A=="},
    {"type": "redacted_thinking", "data": "opaque-1"},
    {"type": "tool_use", **CALL},
]
QUESTION = [ChatMessage(role=MessageRole.USER, content="Weather?")]


def _history(answer: ChatMessage) -> list[ChatMessage]:
    result = ChatMessage(
        role=MessageRole.TOOL, content="sunny", additional_kwargs={"tool_call_id": "toolu_1"}
    )
    return [*QUESTION, answer, result]


def _check(response: ChatResponse, llm: ModelsLabLLM, api: FakeAPI) -> None:
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking[0].content == "Let me see."
    assert thinking[0].additional_information == {"signature": "sig-A=="}
    assert thinking[1].additional_information == {"redacted_thinking": "opaque-1"}
    llm.chat(_history(response.message))
    assert api.bodies[-1]["messages"][1] == {"role": "assistant", "content": SENT_BACK}


def test_chat_round_trip(fake: Fake) -> None:
    llm, api = fake(ANSWER, FINAL, model=MODEL, api_format="anthropic")
    _check(llm.chat(QUESTION), llm, api)


async def test_achat_round_trip(fake: Fake) -> None:
    llm, api = fake(ANSWER, FINAL, model=MODEL, api_format="anthropic")
    _check(await llm.achat(QUESTION), llm, api)


def test_stream_round_trip(fake: Fake) -> None:
    llm, api = fake(SSE, FINAL, model=MODEL, api_format="anthropic")
    *_, last = llm.stream_chat(QUESTION)
    _check(last, llm, api)


async def test_astream_round_trip(fake: Fake) -> None:
    llm, api = fake(SSE, FINAL, model=MODEL, api_format="anthropic")
    last = None
    async for response in await llm.astream_chat(QUESTION):
        last = response
    assert last is not None
    _check(last, llm, api)


def test_history_written_as_llama_index_anthropic_writes_it(fake: Fake) -> None:
    llm, api = fake(FINAL, model=MODEL, api_format="anthropic")
    answer = ChatMessage(
        role=MessageRole.ASSISTANT,
        blocks=[
            ThinkingBlock(content="Let me see.", additional_information={"signature": "sig-A=="}),
            ThinkingBlock(content=None, additional_information={"redacted_thinking": "opaque-1"}),
            ToolCallBlock(tool_call_id="toolu_1", tool_name="get", tool_kwargs={"city": "Paris"}),
        ],
    )
    llm.chat(_history(answer))
    assert api.bodies[-1]["messages"][1] == {"role": "assistant", "content": SENT_BACK}


def test_chat_completions_body_carries_neither(fake: Fake) -> None:
    llm, _ = fake(ANSWER, model=MODEL, api_format="anthropic")
    answer = llm.chat(QUESTION).message
    chat = {"id": "c", "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}]}
    openai_llm, openai_api = fake(chat, model=MODEL)
    openai_llm.chat(_history(answer))
    sent = openai_api.bodies[-1]["messages"][1]
    assert sent["reasoning_content"] == "Let me see."
    assert "thinking_signature" not in sent
    assert "redacted_thinking" not in sent


def test_failed_tool_result_says_is_error(fake: Fake) -> None:
    llm, api = fake(FINAL, model=MODEL, api_format="anthropic")
    answer = ChatMessage(
        role=MessageRole.ASSISTANT,
        blocks=[ToolCallBlock(tool_call_id="toolu_1", tool_name="get", tool_kwargs={})],
    )
    failed = ChatMessage(
        role=MessageRole.TOOL,
        content="boom",
        additional_kwargs={"tool_call_id": "toolu_1", "is_error": True},
    )
    llm.chat([*QUESTION, answer, failed])
    assert api.bodies[-1]["messages"][2]["content"][0]["is_error"] is True
