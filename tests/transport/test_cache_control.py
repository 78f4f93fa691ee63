"""Prompt-caching marks: kept on every Messages block that takes one, stripped (with one
warning) from Chat Completions bodies, and absent marks leave the bodies as they were."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from modelslab_transport import ChatRequest
from modelslab_transport._anthropic_request import build_body
from modelslab_transport._cache_marks import CACHE_CONTROL_WARNING
from modelslab_transport._openai import build_body as openai_body

MARK = {"type": "ephemeral"}
PNG = "data:image/png;base64,iVBORw0KGgo="
TOOL: Any = {"type": "function", "function": {"name": "get", "parameters": {"type": "object"}}}


def _request(marked: bool) -> ChatRequest:
    mark: dict[str, Any] = {"cache_control": MARK} if marked else {}
    return {
        "model": "m",
        "max_tokens": 8,
        "messages": [
            {"role": "system", "content": [{"type": "text", "text": "Be brief.", **mark}]},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Look", **mark},
                    {"type": "image_url", "image_url": {"url": PNG}, **mark},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "t1", "type": "function", "function": {"name": "get", "arguments": "{}"}}
                ],
            },
            {"role": "tool", "tool_call_id": "t1", "content": "sunny", **mark},  # type: ignore[typeddict-item]
        ],
        "tools": [{**TOOL, **mark}],
    }


def test_messages_body_keeps_each_mark() -> None:
    body = build_body(_request(marked=True), stream=False)
    assert body["system"] == [{"type": "text", "text": "Be brief.", "cache_control": MARK}]
    text, image = body["messages"][0]["content"]
    assert text["cache_control"] == MARK
    assert image["cache_control"] == MARK
    assert image["type"] == "image"
    assert body["messages"][2]["content"][0]["cache_control"] == MARK  # the tool_result
    assert body["tools"][0]["cache_control"] == MARK


def test_messages_body_without_marks_is_unchanged() -> None:
    body = build_body(_request(marked=False), stream=False)
    assert body["system"] == "Be brief."
    assert "cache_control" not in str(body)


@pytest.mark.parametrize("stream", [False, True])
def test_chat_completions_body_strips_marks_and_warns(stream: bool) -> None:
    with pytest.warns(UserWarning, match="cache_control"):
        body = openai_body(_request(marked=True), stream=stream)
    assert "cache_control" not in str(body)
    plain = openai_body(_request(marked=False), stream=stream)
    assert body == plain  # nothing else changed
    assert "not carried by the OpenAI" in CACHE_CONTROL_WARNING


def test_chat_completions_body_without_marks_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        openai_body(_request(marked=False), stream=False)
