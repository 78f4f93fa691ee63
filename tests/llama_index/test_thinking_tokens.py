"""``ThinkingBlock.num_tokens`` is the usage's reasoning token count, when one is reported."""

from __future__ import annotations

import json
from collections.abc import Callable

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole, ThinkingBlock

from llama_index_modelslab import ModelsLabLLM

from .li_fakes import FakeAPI

Fake = Callable[..., tuple[ModelsLabLLM, FakeAPI]]
USAGE = {
    "prompt_tokens": 3,
    "completion_tokens": 9,
    "total_tokens": 12,
    "completion_tokens_details": {"reasoning_tokens": 5},
}
ANSWER = {
    "id": "c1",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "4", "reasoning_content": "2+2"},
            "finish_reason": "stop",
        }
    ],
    "usage": USAGE,
}
CHUNKS = [
    {"id": "c1", "choices": [{"index": 0, "delta": {"reasoning_content": "2+2"}}]},
    {"id": "c1", "choices": [{"index": 0, "delta": {"content": "4"}, "finish_reason": "stop"}]},
    {"id": "c1", "choices": [], "usage": USAGE},
]
SSE = ("".join(f"data: {json.dumps(c)}\n\n" for c in CHUNKS) + "data: [DONE]\n\n").encode()
QUESTION = [ChatMessage(role=MessageRole.USER, content="2+2?")]


def _thinking(response: ChatResponse) -> ThinkingBlock:
    return next(b for b in response.message.blocks if isinstance(b, ThinkingBlock))


def test_chat_thinking_block_counts_reasoning_tokens(fake: Fake) -> None:
    llm, _ = fake(ANSWER, model="openai-o3-mini-high")
    assert _thinking(llm.chat(QUESTION)).num_tokens == 5


def test_stream_thinking_block_counts_reasoning_tokens(fake: Fake) -> None:
    llm, _ = fake(SSE, model="openai-o3-mini-high")
    *_, last = llm.stream_chat(QUESTION)
    assert _thinking(last).num_tokens == 5


def test_no_reported_count_leaves_it_unset(fake: Fake) -> None:
    llm, _ = fake({**ANSWER, "usage": {"prompt_tokens": 3, "completion_tokens": 9}})
    assert _thinking(llm.chat(QUESTION)).num_tokens is None
