"""Messages format: a tool's ``strict`` and a failed tool's ``is_error`` reach the wire.

Chat Completions has no ``is_error``: the field is not sent there.
"""

from __future__ import annotations

from modelslab_transport import ChatRequest
from modelslab_transport._anthropic_request import build_body
from modelslab_transport._openai import build_body as openai_body

CALL = {"id": "toolu_1", "type": "function", "function": {"name": "get", "arguments": "{}"}}


def _request(*, is_error: bool) -> ChatRequest:
    return {
        "model": "m-1",
        "max_tokens": 64,
        "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},  # type: ignore[list-item]
            {"role": "tool", "tool_call_id": "toolu_1", "content": "boom", "is_error": is_error},
        ],
        "tools": [
            {
                "type": "function",
                "function": {"name": "get", "parameters": {"type": "object"}, "strict": True},
            }
        ],
    }


def test_strict_is_kept_on_tools() -> None:
    body = build_body(_request(is_error=False), stream=False)
    assert body["tools"] == [{"name": "get", "input_schema": {"type": "object"}, "strict": True}]


def test_failed_tool_result_says_is_error() -> None:
    result = build_body(_request(is_error=True), stream=False)["messages"][2]["content"][0]
    assert result == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": "boom",
        "is_error": True,
    }


def test_succeeded_tool_result_has_no_is_error() -> None:
    result = build_body(_request(is_error=False), stream=False)["messages"][2]["content"][0]
    assert "is_error" not in result


def test_chat_completions_has_no_is_error() -> None:
    tool = openai_body(_request(is_error=True), stream=False)["messages"][2]
    assert tool == {"role": "tool", "tool_call_id": "toolu_1", "content": "boom"}
