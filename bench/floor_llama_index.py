"""The LlamaIndex framework floor: the thinnest ``LLM`` over raw httpx.

It decorates its chat methods with ``llm_chat_callback`` as every LlamaIndex integration
does, so the callback and instrumentation cost is in the floor. Streamed responses are
cumulative (each carries the text so far and the delta), as LlamaIndex expects.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from llama_index.core.llms import LLM, ChatMessage, ChatResponse, LLMMetadata
from llama_index.core.llms.callbacks import llm_chat_callback
from pydantic import PrivateAttr

from bench.floors import Wire


def _wire_messages(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": str(m.role.value), "content": m.content or ""} for m in messages]


def _response(data: dict[str, Any]) -> ChatResponse:
    text = data["choices"][0]["message"]["content"]
    return ChatResponse(message=ChatMessage(role="assistant", content=text), raw=data)


def _cumulative(events: Iterator[dict[str, Any]]) -> Iterator[ChatResponse]:
    text = ""
    for event in events:
        if not event["choices"]:
            continue
        delta = event["choices"][0]["delta"].get("content") or ""
        text += delta
        msg = ChatMessage(role="assistant", content=text)
        yield ChatResponse(message=msg, delta=delta, raw=event)


def _unsupported(*_: Any, **__: Any) -> Any:
    raise NotImplementedError("the floor model only chats")


class FloorLLM(LLM):
    """Chat, achat and stream_chat: the three paths the benchmark drives."""

    _wire: Wire = PrivateAttr()

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(is_chat_model=True, model_name=self._wire.model)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return _response(self._wire.post(_wire_messages(messages)))

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return _response(await self._wire.apost(_wire_messages(messages)))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Iterator[ChatResponse]:
        return _cumulative(self._wire.stream(_wire_messages(messages)))

    complete = stream_complete = acomplete = astream_complete = astream_chat = _unsupported


def make(base_url: str, key: str, model: str) -> FloorLLM:
    """Return the floor model for the bench server at ``base_url``."""
    llm = FloorLLM()
    llm._wire = Wire(base_url, key, model)
    return llm
