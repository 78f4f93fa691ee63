"""Instrumentation: one start/end event per call (also for ``complete*``), provider token counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from li_fakes import (
    MODES,
    chat,
    chunk,
    complete,
    completion_body,
    sse,
    stream_chat,
    stream_complete,
    user,
)
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatInProgressEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionInProgressEvent,
    LLMCompletionStartEvent,
)

STREAM = sse(
    chunk({"content": "a"}),
    chunk({"content": "b"}),
    chunk({}, finish="stop"),
    chunk(None, usage={"prompt_tokens": 21, "completion_tokens": 4, "total_tokens": 25}),
)
BODY = completion_body(
    "ab", usage={"prompt_tokens": 21, "completion_tokens": 4, "total_tokens": 25}
)


class Collector(BaseEventHandler):
    """Records every instrumentation event."""

    events: list[BaseEvent] = []

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


@pytest.fixture
def collector() -> Iterator[Collector]:
    root = get_dispatcher()
    handler = Collector(events=[])
    root.add_event_handler(handler)
    try:
        yield handler
    finally:
        root.event_handlers.remove(handler)


def llm_events(collector: Collector) -> list[str]:
    kinds = (
        LLMChatStartEvent,
        LLMChatEndEvent,
        LLMCompletionStartEvent,
        LLMCompletionEndEvent,
        LLMChatInProgressEvent,
        LLMCompletionInProgressEvent,
    )
    return [type(e).__name__ for e in collector.events if isinstance(e, kinds)]


@pytest.mark.parametrize("mode", MODES)
async def test_chat_emits_one_start_and_end(fake: Any, collector: Collector, mode: str) -> None:
    llm, _ = fake(BODY)
    await chat(llm, mode, user("x"))
    assert llm_events(collector) == ["LLMChatStartEvent", "LLMChatEndEvent"]


@pytest.mark.parametrize("mode", MODES)
async def test_complete_is_not_counted_twice(fake: Any, collector: Collector, mode: str) -> None:
    llm, _ = fake(BODY)
    await complete(llm, mode, "x")
    assert llm_events(collector) == ["LLMCompletionStartEvent", "LLMCompletionEndEvent"]


@pytest.mark.parametrize("mode", MODES)
async def test_stream_chat_events(fake: Any, collector: Collector, mode: str) -> None:
    llm, _ = fake(STREAM)
    responses = await stream_chat(llm, mode, user("x"))
    names = llm_events(collector)
    assert names[0] == "LLMChatStartEvent"
    assert names[-1] == "LLMChatEndEvent"
    assert names.count("LLMChatInProgressEvent") == len(responses)
    assert names.count("LLMChatStartEvent") == names.count("LLMChatEndEvent") == 1
    end = next(e for e in collector.events if isinstance(e, LLMChatEndEvent))
    assert end.response is not None
    assert end.response.message.content == "ab"


@pytest.mark.parametrize("mode", MODES)
async def test_stream_complete_events(fake: Any, collector: Collector, mode: str) -> None:
    llm, _ = fake(STREAM)
    await stream_complete(llm, mode, "x")
    names = llm_events(collector)
    assert "LLMChatStartEvent" not in names
    assert names.count("LLMCompletionStartEvent") == names.count("LLMCompletionEndEvent") == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("kind", ["chat", "complete"])
async def test_token_counting_uses_provider_usage(
    fake: Any, mode: str, streaming: bool, kind: str
) -> None:
    llm, _ = fake(STREAM if streaming else BODY)
    counter = TokenCountingHandler()
    llm.callback_manager = CallbackManager([counter])
    if kind == "chat":
        await (stream_chat if streaming else chat)(llm, mode, user("x"))
    else:
        await (stream_complete if streaming else complete)(llm, mode, "x")
    assert counter.prompt_llm_token_count == 21
    assert counter.completion_llm_token_count == 4
    assert len(counter.llm_token_counts) == 1
