"""Messages format: the thinking signature and redacted thinking survive a LangChain tool loop.

The answer (invoked or streamed, sync or async) keeps them in ``additional_kwargs``; the next
request sends the thinking block signed and the redacted blocks verbatim, as ChatAnthropic
does. A history written by ChatAnthropic (content blocks) or in v1 blocks is read the same way.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)

from ..transport.signed_answers import (
    ANSWER,
    CHAT_ANSWER,
    EVENTS,
    FINAL,
    MODEL,
    REDACTED,
    SENT_BACK,
    SIGNATURE,
    THINKING,
)
from .lc_helpers import Scripted


def _history(answer: BaseMessage) -> list[BaseMessage]:
    return [HumanMessage("Weather?"), answer, ToolMessage("sunny", tool_call_id="toolu_1")]


def _joined(chunks: list[AIMessageChunk]) -> BaseMessage:
    return functools.reduce(operator.add, chunks)


def _check(answer: BaseMessage, fake: Scripted, **kwargs: Any) -> None:
    assert answer.additional_kwargs["thinking_signature"] == SIGNATURE
    assert answer.additional_kwargs["redacted_thinking"] == [REDACTED]
    fake.model(model=MODEL, api_format="anthropic", **kwargs).invoke(_history(answer))
    assert fake.requests[-1]["messages"][1] == {"role": "assistant", "content": SENT_BACK}


def test_invoke_round_trip() -> None:
    fake = Scripted([ANSWER, FINAL])
    answer = fake.model(model=MODEL, api_format="anthropic").invoke("Weather?")
    _check(answer, fake)


async def test_ainvoke_round_trip() -> None:
    fake = Scripted([ANSWER, FINAL])
    answer = await fake.model(model=MODEL, api_format="anthropic").ainvoke("Weather?")
    _check(answer, fake)


@pytest.mark.parametrize("v1", [False, True], ids=["v0", "v1"])
def test_stream_round_trip(v1: bool) -> None:
    fake = Scripted([EVENTS, FINAL])
    extra: dict[str, Any] = {"output_version": "v1"} if v1 else {}
    chunks = list(fake.model(model=MODEL, api_format="anthropic", **extra).stream("Weather?"))
    _check(_joined(chunks), fake, **extra)


async def test_astream_round_trip() -> None:
    fake = Scripted([EVENTS, FINAL])
    model = fake.model(model=MODEL, api_format="anthropic")
    _check(_joined([c async for c in model.astream("Weather?")]), fake)


V1_BLOCKS = [
    {"type": "reasoning", "reasoning": THINKING, "extras": {"signature": SIGNATURE}},
    {"type": "redacted_thinking", "data": REDACTED},
]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(ANSWER["content"], id="chat-anthropic-blocks"),
        pytest.param(V1_BLOCKS, id="v1-blocks"),
    ],
)
def test_history_in_content_blocks_is_sent_back_signed(content: list[Any]) -> None:
    fake = Scripted([FINAL])
    call = {"id": "toolu_1", "name": "get", "args": {"city": "Paris"}, "type": "tool_call"}
    answer = AIMessage(content=content, tool_calls=[call])
    fake.model(model=MODEL, api_format="anthropic").invoke(_history(answer))
    assert fake.requests[-1]["messages"][1] == {"role": "assistant", "content": SENT_BACK}


def test_chat_completions_body_carries_neither() -> None:
    fake = Scripted([ANSWER, CHAT_ANSWER])
    answer = fake.model(model=MODEL, api_format="anthropic").invoke("Weather?")
    fake.model(model=MODEL).invoke(_history(answer))
    sent = fake.requests[-1]["messages"][1]
    assert sent["reasoning_content"] == THINKING
    assert "thinking_signature" not in sent
    assert "redacted_thinking" not in sent


def test_failed_tool_message_and_strict_tools_reach_the_wire() -> None:
    fake = Scripted([FINAL])
    model = fake.model(model=MODEL, api_format="anthropic").bind_tools(
        [{"name": "get", "description": "Weather.", "parameters": {"type": "object"}}],
        strict=True,
    )
    call = {"id": "toolu_1", "name": "get", "args": {}, "type": "tool_call"}
    history = [
        HumanMessage("Weather?"),
        AIMessage(content="", tool_calls=[call]),
        ToolMessage("boom", tool_call_id="toolu_1", status="error"),
    ]
    model.invoke(history)
    body = fake.requests[-1]
    assert body["tools"][0]["strict"] is True
    assert body["messages"][2]["content"][0]["is_error"] is True
