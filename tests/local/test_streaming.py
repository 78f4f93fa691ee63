"""SSE framing of streamed Chat Completions (docs/modelslab-api.md §3.3)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from local_helpers import (
    PLAIN_MODEL,
    REASONING_TEXT_MODEL,
    WEATHER_TOOL,
    chat_body,
    data_payloads,
    sse_lines,
)


def stream(client: httpx.Client, body: dict[str, Any]) -> tuple[list[str], list[Any]]:
    lines = sse_lines(client, "/chat/completions", {**body, "stream": True})
    return lines, data_payloads(lines)


def test_framing_role_first_deltas_finish_usage_done(client: httpx.Client) -> None:
    body = chat_body("Hello", stream_options={"include_usage": True})
    lines, payloads = stream(client, body)
    assert lines[0].startswith(":")  # a keep-alive comment, which clients must skip
    assert all(line.startswith(("data: ", ":")) for line in lines)
    assert payloads[-1] == "[DONE]"
    chunks = payloads[:-1]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    texts = [c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"]]
    assert len([t for t in texts if t]) > 3  # small deltas, not one blob
    assert "".join(texts) == "Hello! How can I help you today?"
    finish, usage = chunks[-2], chunks[-1]
    assert finish["choices"][0] == {
        "index": 0,
        "delta": {},
        "finish_reason": "stop",
        "logprobs": None,
    }
    assert usage["choices"] == []
    assert usage["usage"]["total_tokens"] > 0
    assert [c for c in chunks[:-2] if c["choices"][0]["finish_reason"]] == []


def test_no_usage_chunk_unless_asked(client: httpx.Client) -> None:
    _, payloads = stream(client, chat_body("Hello"))
    assert all(p == "[DONE]" or p["choices"] for p in payloads)


def test_stream_text_matches_the_non_streamed_answer(client: httpx.Client) -> None:
    body = chat_body("What is the capital of France?")
    whole = client.post("/chat/completions", json=body).json()["choices"][0]["message"]["content"]
    _, payloads = stream(client, body)
    parts = [p["choices"][0]["delta"].get("content") or "" for p in payloads[:-1]]
    assert "".join(parts) == whole == "The capital of France is Paris."


def test_tool_call_arguments_arrive_in_fragments(client: httpx.Client) -> None:
    body = chat_body("What's the weather in London and Paris?", tools=[WEATHER_TOOL])
    _, payloads = stream(client, body)
    fragments = [
        tc
        for p in payloads[:-1]
        if p["choices"]
        for tc in p["choices"][0]["delta"].get("tool_calls", [])
    ]
    by_index: dict[int, list[dict[str, Any]]] = {}
    for fragment in fragments:
        by_index.setdefault(fragment["index"], []).append(fragment)
    assert sorted(by_index) == [0, 1]
    for index, parts in by_index.items():
        first, rest = parts[0], parts[1:]
        assert first["id"].startswith("call_")
        assert first["function"]["name"] == "get_weather"
        assert len(rest) > 1
        assert all("id" not in p and "name" not in p["function"] for p in rest)
        arguments = "".join(p["function"].get("arguments", "") for p in parts)
        assert json.loads(arguments)["location"] == ["London", "Paris"][index]
    assert payloads[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_reasoning_deltas_come_before_content(client: httpx.Client) -> None:
    _, payloads = stream(client, chat_body("Hello", model=REASONING_TEXT_MODEL))
    deltas = [p["choices"][0]["delta"] for p in payloads[1:-1]]
    kinds = ["reasoning" if "reasoning_content" in d else "content" for d in deltas if d]
    assert kinds[0] == "reasoning"
    assert kinds[-1] == "content"
    assert kinds == sorted(kinds, key=lambda k: k == "content")
    reasoning = "".join(d.get("reasoning_content", "") for d in deltas)
    assert reasoning.startswith("The user asked")


def test_streamed_stop_and_length(client: httpx.Client) -> None:
    _, payloads = stream(client, chat_body("hi", stop=["you"]))
    text = "".join(p["choices"][0]["delta"].get("content", "") for p in payloads[:-1])
    assert text == "Hello! How can I help "
    _, payloads = stream(client, chat_body("Write a long story", max_tokens=4, model=PLAIN_MODEL))
    assert payloads[-2]["choices"][0]["finish_reason"] == "length"


def test_errors_before_the_stream_are_plain_json(client: httpx.Client) -> None:
    response = client.post("/chat/completions", json=chat_body(model="nope", stream=True))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
