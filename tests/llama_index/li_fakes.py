"""Shared test code for the LlamaIndex adapter: scripted HTTP fakes, sync/async callers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse

from llama_index_modelslab import ModelsLabLLM

MODEL = "baidu-ernie-4.5-vl-28b-a3b"
KEY = "sk-test-secret-0123456789"


# ------------------------------------------------------------ scripted HTTP fakes


def sse(*chunks: dict[str, Any], done: bool = True) -> bytes:
    """An OpenAI Chat Completions event stream."""
    lines = [f"data: {json.dumps(c)}\n\n" for c in chunks]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


def chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` with a single choice (or none when ``delta`` is None)."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": choices,
        **extra,
    }


def completion_body(
    content: str | None = "Hello!",
    tool_calls: list[dict[str, Any]] | None = None,
    usage: dict[str, int] | None = None,
    **message: Any,
) -> dict[str, Any]:
    """A ``chat.completion`` body."""
    msg: dict[str, Any] = {"role": "assistant", "content": content, **message}
    if tool_calls:
        msg["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {"index": 0, "message": msg, "finish_reason": "tool_calls" if tool_calls else "stop"}
        ],
        "usage": usage or {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    }


@dataclass
class FakeAPI:
    """Answers requests from a script and records what was sent.

    Each script entry is a JSON body (dict), SSE bytes, or an ``httpx.Response``.
    """

    script: list[Any]
    requests: list[httpx.Request] = field(default_factory=list)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, httpx.Response):
            return item
        if isinstance(item, bytes):
            return httpx.Response(200, content=item, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=item)

    def handler(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request)

    async def ahandler(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request)


@dataclass
class Wire:
    """Real ``httpx`` clients whose event hooks record what went over loopback HTTP.

    Response hooks run once the headers arrived, before a (streamed) body is read, so each
    recorded response can be checked for ``is_closed`` later.
    """

    requests: list[httpx.Request] = field(default_factory=list)
    responses: list[httpx.Response] = field(default_factory=list)

    def client(self) -> httpx.Client:
        return httpx.Client(
            event_hooks={"request": [self.requests.append], "response": [self.responses.append]}
        )

    def async_client(self) -> httpx.AsyncClient:
        async def on_request(request: httpx.Request) -> None:
            self.requests.append(request)

        async def on_response(response: httpx.Response) -> None:
            self.responses.append(response)

        return httpx.AsyncClient(event_hooks={"request": [on_request], "response": [on_response]})

    @property
    def statuses(self) -> list[int]:
        return [r.status_code for r in self.responses]


# ------------------------------------------------------------- sync/async callers

MODES = ["sync", "async"]


async def chat(
    llm: ModelsLabLLM, mode: str, messages: list[ChatMessage], **kw: Any
) -> ChatResponse:
    if mode == "sync":
        return llm.chat(messages, **kw)
    return await llm.achat(messages, **kw)


async def stream_chat(
    llm: ModelsLabLLM, mode: str, messages: list[ChatMessage], **kw: Any
) -> list[ChatResponse]:
    if mode == "sync":
        return list(llm.stream_chat(messages, **kw))
    return [r async for r in await llm.astream_chat(messages, **kw)]


async def complete(llm: ModelsLabLLM, mode: str, prompt: str, **kw: Any) -> CompletionResponse:
    if mode == "sync":
        return llm.complete(prompt, **kw)
    return await llm.acomplete(prompt, **kw)


async def stream_complete(
    llm: ModelsLabLLM, mode: str, prompt: str, **kw: Any
) -> list[CompletionResponse]:
    if mode == "sync":
        return list(llm.stream_complete(prompt, **kw))
    return [r async for r in await llm.astream_complete(prompt, **kw)]


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]
