"""``response_metadata["token_usage"]`` speaks Chat Completions' names, as ChatOpenAI's does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from langchain_modelslab import ChatModelsLab

OPENAI_BODY = {
    "id": "c1",
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
    "usage": {
        "prompt_tokens": 7,
        "completion_tokens": 3,
        "total_tokens": 10,
        "prompt_tokens_details": {"cached_tokens": 2},
    },
}
MESSAGES_BODY = {
    "id": "m1",
    "type": "message",
    "model": "m",
    "content": [{"type": "text", "text": "hi"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 7, "output_tokens": 3},
}


@pytest.mark.parametrize(
    ("api_format", "body"), [("openai", OPENAI_BODY), ("anthropic", MESSAGES_BODY)]
)
def test_token_usage_has_the_chat_completions_names(api_format: Any, body: Any) -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=body)))
    model = ChatModelsLab(
        api_key="k", base_url="https://api.example.test/v1", http_client=http, api_format=api_format
    )
    message = model.invoke("Hi")
    usage = message.response_metadata["token_usage"]
    assert usage["prompt_tokens"] == 7
    assert usage["completion_tokens"] == 3
    assert usage["total_tokens"] == 10
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == 7  # LangChain's own names stay as they are
    if api_format == "openai":
        assert usage["prompt_tokens_details"] == {"cached_tokens": 2}
    http.close()
