"""POST /v1/messages (Anthropic format) and /v1/messages/count_tokens."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from local_helpers import (
    PLAIN_MODEL,
    REASONING_TEXT_MODEL,
    messages_body,
    sse_lines,
)

WEATHER = {
    "name": "get_weather",
    "description": "Get the weather at a location.",
    "input_schema": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}


def post(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def events(client: httpx.Client, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    lines = sse_lines(client, "/v1/messages", {**body, "stream": True})
    pairs = []
    for name_line, data_line in zip(lines[::2], lines[1::2], strict=True):
        assert name_line.startswith("event: ")
        assert data_line.startswith("data: ")
        payload = json.loads(data_line[len("data: ") :])
        assert payload["type"] == name_line[len("event: ") :]
        pairs.append((payload["type"], payload))
    return pairs


def test_message_shape(client: httpx.Client) -> None:
    data = post(client, messages_body("Hello", system="Be brief."))
    assert data["type"] == "message"
    assert data["role"] == "assistant"
    assert data["id"].startswith("msg_")
    assert data["model"] == PLAIN_MODEL
    assert data["content"] == [{"type": "text", "text": "Hello! How can I help you today?"}]
    assert data["stop_reason"] == "end_turn"
    assert data["stop_sequence"] is None
    assert data["usage"]["input_tokens"] > 0
    assert data["usage"]["output_tokens"] > 0


def test_thinking_block_for_reasoning_models(client: httpx.Client) -> None:
    data = post(client, messages_body("Hello", model=REASONING_TEXT_MODEL))
    thinking, text = data["content"]
    assert thinking["type"] == "thinking"
    assert thinking["signature"]
    assert text["type"] == "text"


@pytest.mark.parametrize(
    ("choice", "expected_name"),
    [({"type": "auto"}, "get_weather"), ({"type": "any"}, "get_weather")],
)
def test_tool_use(client: httpx.Client, choice: dict[str, Any], expected_name: str) -> None:
    body = messages_body("What is the weather in Paris?", tools=[WEATHER], tool_choice=choice)
    data = post(client, body)
    assert data["stop_reason"] == "tool_use"
    [block] = data["content"]
    assert block["type"] == "tool_use"
    assert block["id"].startswith("toolu_")
    assert block["name"] == expected_name
    assert block["input"] == {"location": "Paris"}


def test_tool_result_round_trip(client: httpx.Client) -> None:
    body = messages_body("What is the weather in Paris?", tools=[WEATHER])
    body["messages"] += [
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "call the tool", "signature": "x"},
                {
                    "type": "tool_use",
                    "id": "t1",
                    "name": "get_weather",
                    "input": {"location": "Paris"},
                },
            ],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "Rainy, 12 °C"}],
        },
    ]
    data = post(client, body)
    assert data["stop_reason"] == "end_turn"
    assert "Rainy, 12 °C" in data["content"][0]["text"]


def test_stop_sequences_and_max_tokens(client: httpx.Client) -> None:
    data = post(client, messages_body("hi", stop_sequences=["you"]))
    assert data["stop_reason"] == "stop_sequence"
    assert data["stop_sequence"] == "you"
    data = post(client, messages_body("Write a long story", max_tokens=3))
    assert data["stop_reason"] == "max_tokens"


def test_event_sequence(client: httpx.Client) -> None:
    seen = events(client, messages_body("Hello", model=REASONING_TEXT_MODEL))
    names = [name for name, _ in seen]
    assert names[:2] == ["message_start", "ping"]
    assert names[-2:] == ["message_delta", "message_stop"]
    start = seen[0][1]["message"]
    assert start["content"] == []
    assert start["usage"]["input_tokens"] > 0
    blocks = [p["content_block"]["type"] for n, p in seen if n == "content_block_start"]
    assert blocks == ["thinking", "text"]
    deltas = [p["delta"]["type"] for n, p in seen if n == "content_block_delta"]
    assert deltas.index("signature_delta") < deltas.index("text_delta")
    text = "".join(p["delta"].get("text", "") for n, p in seen if n == "content_block_delta")
    assert text == "Hello! How can I help you today?"
    final = seen[-2][1]
    assert final["delta"]["stop_reason"] == "end_turn"
    assert final["usage"]["output_tokens"] > 0


def test_streamed_tool_use_sends_json_fragments(client: httpx.Client) -> None:
    body = messages_body("What is the weather in San Francisco, CA?", tools=[WEATHER])
    seen = events(client, body)
    [start] = [p for n, p in seen if n == "content_block_start"]
    assert start["content_block"]["name"] == "get_weather"
    fragments = [p["delta"]["partial_json"] for n, p in seen if n == "content_block_delta"]
    assert len(fragments) > 1
    assert json.loads("".join(fragments)) == {"location": "San Francisco, CA"}
    assert seen[-2][1]["delta"]["stop_reason"] == "tool_use"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"model": PLAIN_MODEL, "messages": [{"role": "user", "content": "hi"}]}, "max_tokens"),
        (messages_body(temperature=1.5), "temperature must be between 0 and 1"),
        ({**messages_body(), "messages": [{"role": "system", "content": "x"}]}, "role"),
    ],
)
def test_bad_requests_use_the_anthropic_error_shape(
    client: httpx.Client, body: dict[str, Any], needle: str
) -> None:
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 400
    data = response.json()
    assert data["type"] == "error"
    assert data["error"]["type"] == "invalid_request_error"
    assert needle in data["error"]["message"]


def test_count_tokens(client: httpx.Client) -> None:
    body = {"model": PLAIN_MODEL, "messages": [{"role": "user", "content": "Hello there"}]}
    short = client.post("/v1/messages/count_tokens", json=body).json()["input_tokens"]
    body["system"] = "You are a helpful assistant with a long system prompt."
    longer = client.post("/v1/messages/count_tokens", json=body).json()["input_tokens"]
    assert 0 < short < longer
    body["tools"] = [WEATHER]
    assert client.post("/v1/messages/count_tokens", json=body).json()["input_tokens"] > longer


def test_count_tokens_for_an_unknown_model_is_a_404(client: httpx.Client) -> None:
    body = {"model": "nope", "messages": [{"role": "user", "content": "x"}]}
    response = client.post("/v1/messages/count_tokens", json=body)
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Model not found: nope"
