"""Pure tool functions: tool specs, tool_choice, prepare, reading and trimming tool calls."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, TextBlock, ToolCallBlock
from llama_index.core.tools import FunctionTool

from llama_index_modelslab._tools import (
    force_single_tool_call,
    prepare_chat_with_tools,
    tool_selections,
    tool_spec,
)


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


ADD = FunctionTool.from_defaults(fn=add)
SUB = FunctionTool.from_defaults(fn=lambda a, b: a - b, name="sub", description="Subtract.")


def test_tool_spec_is_openai_shaped() -> None:
    spec = tool_spec(ADD)
    assert spec["type"] == "function"
    assert spec["function"]["name"] == "add"
    assert "Add two integers" in spec["function"]["description"]
    assert spec["function"]["parameters"]["required"] == ["a", "b"]
    assert "strict" not in spec["function"]
    assert tool_spec(ADD, strict=True)["function"]["strict"] is True


@pytest.mark.parametrize(
    ("choice", "required", "expected"),
    [
        (None, False, None),  # the API's default with tools is "auto"
        (None, True, "required"),
        ("none", True, "none"),
        ("add", False, "add"),  # a name is resolved (and checked) by the transport's rule
    ],
)
def test_tool_choice_from_tool_required(choice: Any, required: bool, expected: Any) -> None:
    out = prepare_chat_with_tools(
        [ADD],
        "x",
        None,
        allow_parallel_tool_calls=False,
        tool_required=required,
        tool_choice=choice,
        strict=None,
    )
    assert out.get("tool_choice") == expected


def test_prepare_copies_history_and_sets_tool_fields() -> None:
    history = [ChatMessage(role="user", content="earlier")]
    out = prepare_chat_with_tools(
        [ADD],
        "now",
        history,
        allow_parallel_tool_calls=True,
        tool_required=True,
        tool_choice=None,
        strict=None,
    )
    assert len(history) == 1
    assert [m.content for m in out["messages"]] == ["earlier", "now"]
    assert out["tool_choice"] == "required"
    assert out["parallel_tool_calls"] is True
    assert [t["function"]["name"] for t in out["tools"]] == ["add"]


def test_prepare_without_tools_sends_no_tool_choice() -> None:
    msg = ChatMessage(role="user", content="x")
    out = prepare_chat_with_tools(
        [],
        msg,
        None,
        allow_parallel_tool_calls=False,
        tool_required=True,
        tool_choice="add",
        strict=None,
    )
    assert out == {"messages": [msg]}


def response_with(*blocks: Any, **kwargs: Any) -> ChatResponse:
    return ChatResponse(
        message=ChatMessage(role="assistant", blocks=list(blocks), additional_kwargs=kwargs)
    )


@pytest.mark.parametrize(
    ("kwargs_value", "expected"),
    [
        ({"a": 1}, {"a": 1}),
        ('{"a": 1, "b": [2', {"a": 1, "b": [2]}),
        ("", {}),
        ("}}garbage", {}),
        ("[1, 2]", {}),
        ('{"a": 1e999}', {}),
        # Nested 5,000 deep, whole or cut short: unreadable, never a RecursionError.
        ('{"a": ' + "[" * 5000 + "]" * 5000 + "}", {}),
        ('{"a": 1, "b": ' + "[" * 5000, {}),
        ('{"a": ' + "[" * 150 + "]" * 150 + "}", {}),  # deeper than any answer is
    ],
)
def test_tool_selections_tolerate_partial_json(kwargs_value: Any, expected: Any) -> None:
    response = response_with(
        ToolCallBlock(tool_call_id="c", tool_name="add", tool_kwargs=kwargs_value)
    )
    [selection] = tool_selections(response, error_on_no_tool_call=True)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == ("c", "add", expected)


def test_tool_selections_fall_back_to_additional_kwargs() -> None:
    response = response_with(
        TextBlock(text=""),
        tool_calls=[
            {"id": "x", "type": "function", "function": {"name": "add", "arguments": '{"a": 3}'}}
        ],
    )
    [selection] = tool_selections(response, error_on_no_tool_call=True)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == ("x", "add", {"a": 3})


def test_no_tool_call() -> None:
    response = response_with(TextBlock(text="just text"))
    assert tool_selections(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="at least one tool call"):
        tool_selections(response, error_on_no_tool_call=True)


def test_force_single_tool_call() -> None:
    response = response_with(
        TextBlock(text="t"),
        ToolCallBlock(tool_call_id="1", tool_name="a"),
        ToolCallBlock(tool_call_id="2", tool_name="b"),
        tool_calls=[{"id": "1"}, {"id": "2"}],
    )
    force_single_tool_call(response)
    assert [getattr(b, "tool_call_id", None) for b in response.message.blocks] == [None, "1"]
    assert response.message.additional_kwargs["tool_calls"] == [{"id": "1"}]
