"""Helpers for the LangChain adapter's tests: a scripted OpenAI-compatible fake."""

from __future__ import annotations

import json
from typing import Any

import httpx
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_modelslab import ChatModelsLab

SECOND_MODEL = "baidu-ernie-4.5-vl-424b-a47b"


class Scripted:
    """An OpenAI-compatible fake behind ``httpx.MockTransport``: replays scripted answers.

    Each reply is a dict (a JSON body), a list of dicts (SSE chunks, ``[DONE]`` appended) or an
    ``httpx.Response``. Every request body is recorded in :attr:`requests`.
    """

    def __init__(self, replies: list[Any]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(json.loads(request.content) if request.content else {})
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, httpx.Response):
            return reply
        if isinstance(reply, list):
            text = "".join(f"data: {json.dumps(e)}\n\n" for e in reply) + "data: [DONE]\n\n"
            return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=reply)

    def model(self, **kwargs: Any) -> ChatModelsLab:
        """A model whose sync and async clients both talk to this fake."""
        kwargs.setdefault("api_key", "sk-scripted-secret")
        kwargs.setdefault("base_url", "https://modelslab.test/api/v7/llm")
        kwargs.setdefault("max_retries", 0)
        return ChatModelsLab(
            http_client=httpx.Client(transport=httpx.MockTransport(self)),
            http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(self)),
            **kwargs,
        )


def completion_body(
    text: str | None = "ok", *, tool_calls: list[dict[str, Any]] | None = None, **message: Any
) -> dict[str, Any]:
    """A Chat Completions body."""
    msg: dict[str, Any] = {"role": "assistant", "content": text, **message}
    if tool_calls:
        msg["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-1",
        "model": "served-model",
        "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    }


def chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, **top: Any
) -> dict[str, Any]:
    """One Chat Completions stream chunk (``delta=None`` with ``usage=...`` for a usage chunk)."""
    base: dict[str, Any] = {"id": "chatcmpl-1", "model": "served-model", **top}
    if delta is not None or finish is not None:
        base["choices"] = [{"index": 0, "delta": delta or {}, "finish_reason": finish}]
    else:
        base.setdefault("choices", [])
    return base


USAGE = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}


class FullFeatureSuite(ChatModelIntegrationTests):
    """The standard integration suite with every capability ModelsLab supports switched on.

    PDF, audio and video inputs stay off: the chat API takes text and images only.
    """

    @property
    def chat_model_class(self) -> type[ChatModelsLab]:
        return ChatModelsLab

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": "baidu-ernie-4.5-vl-28b-a3b",
            "temperature": 0,
        }

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return SECOND_MODEL
