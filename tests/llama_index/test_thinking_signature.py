"""Messages format: the thinking signature and redacted thinking survive a LlamaIndex tool loop.

As llama-index's Anthropic LLM does, the signature is kept in the ``ThinkingBlock``'s
``additional_information["signature"]`` (whole, or the streamed pieces joined); each redacted
block becomes an empty ``ThinkingBlock`` carrying its data. The next request sends them back
unchanged; the Chat Completions body carries neither.
"""

from __future__ import annotations

from collections.abc import Callable

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    ThinkingBlock,
    ToolCallBlock,
)

from llama_index_modelslab import ModelsLabLLM

from ..transport.signed_answers import (
    ANSWER,
    CHAT_ANSWER,
    FINAL,
    MODEL,
    REDACTED,
    SENT_BACK,
    SIGNATURE,
    SSE,
    THINKING,
)
from .li_fakes import FakeAPI

Fake = Callable[..., tuple[ModelsLabLLM, FakeAPI]]
QUESTION = [ChatMessage(role=MessageRole.USER, content="Weather?")]


def _history(answer: ChatMessage) -> list[ChatMessage]:
    result = ChatMessage(
        role=MessageRole.TOOL, content="sunny", additional_kwargs={"tool_call_id": "toolu_1"}
    )
    return [*QUESTION, answer, result]


def _check(response: ChatResponse, llm: ModelsLabLLM, api: FakeAPI) -> None:
    thinking = [b for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking[0].content == THINKING
    assert thinking[0].additional_information == {"signature": SIGNATURE}
    assert thinking[1].additional_information == {"redacted_thinking": REDACTED}
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
            ThinkingBlock(content=THINKING, additional_information={"signature": SIGNATURE}),
            ThinkingBlock(content=None, additional_information={"redacted_thinking": REDACTED}),
            ToolCallBlock(tool_call_id="toolu_1", tool_name="get", tool_kwargs={"city": "Paris"}),
        ],
    )
    llm.chat(_history(answer))
    assert api.bodies[-1]["messages"][1] == {"role": "assistant", "content": SENT_BACK}


def test_chat_completions_body_carries_neither(fake: Fake) -> None:
    llm, _ = fake(ANSWER, model=MODEL, api_format="anthropic")
    answer = llm.chat(QUESTION).message
    openai_llm, openai_api = fake(CHAT_ANSWER, model=MODEL)
    openai_llm.chat(_history(answer))
    sent = openai_api.bodies[-1]["messages"][1]
    assert sent["reasoning_content"] == THINKING
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
