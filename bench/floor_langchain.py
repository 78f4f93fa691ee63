"""The LangChain framework floor: the thinnest ``BaseChatModel`` over raw httpx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from bench.floors import Wire

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def _wire_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _ROLES[m.type], "content": str(m.content)} for m in messages]


def _usage(u: dict[str, int]) -> UsageMetadata:
    return {
        "input_tokens": u["prompt_tokens"],
        "output_tokens": u["completion_tokens"],
        "total_tokens": u["total_tokens"],
    }


def _result(data: dict[str, Any], model: str) -> ChatResult:
    choice = data["choices"][0]
    msg = AIMessage(
        content=choice["message"]["content"],
        usage_metadata=_usage(data["usage"]),
        response_metadata={"finish_reason": choice["finish_reason"], "model_name": model},
    )
    return ChatResult(generations=[ChatGeneration(message=msg)])


class FloorChat(BaseChatModel):
    """Generate, agenerate and stream: the three paths the benchmark drives."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    wire: Wire

    @property
    def _llm_type(self) -> str:
        return "bench-floor"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return _result(self.wire.post(_wire_messages(messages)), self.wire.model)

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return _result(await self.wire.apost(_wire_messages(messages)), self.wire.model)

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        for event in self.wire.stream(_wire_messages(messages)):
            if event["choices"]:
                text = event["choices"][0]["delta"].get("content") or ""
                msg = AIMessageChunk(content=text)
            else:
                msg = AIMessageChunk(content="", usage_metadata=_usage(event["usage"]))
            chunk = ChatGenerationChunk(message=msg)
            if run_manager:
                run_manager.on_llm_new_token(msg.text, chunk=chunk)
            yield chunk


def make(base_url: str, key: str, model: str) -> FloorChat:
    """Return the floor model for the bench server at ``base_url``."""
    return FloorChat(wire=Wire(base_url, key, model))
