"""Rules both adapters follow because the transport owns them: reasoning replay, tool names.

* Reasoning is sent back (``reasoning_content``, Chat Completions) on assistant turns that
  called tools, and on no other turn, whichever framework built the history.
* A tool whose name the API cannot take (``^[a-zA-Z0-9_-]{1,64}$``) is refused with the same
  ``UnsupportedContentError`` before any I/O, in sync, async and streamed calls; never renamed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import StructuredTool
from llama_index.core.base.llms.types import ChatMessage, TextBlock, ThinkingBlock, ToolCallBlock
from llama_index.core.tools import FunctionTool

import modelslab_transport as mt
from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM

MODEL = "baidu-ernie-4.5-vl-28b-a3b"  # in the catalog, with tool calling: nothing looked up
ANSWER = {
    "id": "r1",
    "model": MODEL,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
CALL = {"id": "c1", "name": "get_weather", "args": {"city": "Paris"}}


class Recorder:
    """Records each request body and answers with one plain completion."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.lookups = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":  # LlamaIndex may look the unlisted model up first
            self.lookups += 1
            return httpx.Response(200, json={"data": []})
        self.bodies.append(json.loads(request.content))
        return httpx.Response(200, json=ANSWER)

    def clients(self) -> tuple[httpx.Client, httpx.AsyncClient]:
        return httpx.Client(transport=httpx.MockTransport(self)), httpx.AsyncClient(
            transport=httpx.MockTransport(self)
        )


def _lc(rec: Recorder) -> ChatModelsLab:
    http, ahttp = rec.clients()
    return ChatModelsLab(
        model=MODEL,
        api_key="sk-rule-secret",
        base_url="https://modelslab.test/api/v7/llm",
        http_client=http,
        http_async_client=ahttp,
        max_retries=0,
    )


def _li(rec: Recorder) -> ModelsLabLLM:
    http, ahttp = rec.clients()
    return ModelsLabLLM(
        model=MODEL,
        api_key="sk-rule-secret",
        base_url="https://modelslab.test/api/v7/llm",
        http_client=http,
        async_http_client=ahttp,
        max_retries=0,
    )


# -------------------------------------------------------------------- reasoning replay


def _replayed(messages: list[dict[str, Any]]) -> list[Any]:
    return [m.get("reasoning_content") for m in messages if m["role"] == "assistant"]


def test_langchain_sends_reasoning_back_on_tool_call_turns_only() -> None:
    rec = Recorder()
    history = [
        HumanMessage("hi"),
        AIMessage("hello", additional_kwargs={"reasoning_content": "greet"}),
        HumanMessage("weather?"),
        AIMessage("", tool_calls=[CALL], additional_kwargs={"reasoning_content": "look"}),
        ToolMessage("sunny", tool_call_id="c1"),
    ]
    _lc(rec).invoke(history)
    assert _replayed(rec.bodies[0]["messages"]) == [None, "look"]


def test_llama_index_sends_reasoning_back_on_tool_call_turns_only() -> None:
    rec = Recorder()
    call = ToolCallBlock(tool_call_id="c1", tool_name="get_weather", tool_kwargs={"city": "P"})
    history = [
        ChatMessage(role="user", content="hi"),
        ChatMessage(
            role="assistant", blocks=[ThinkingBlock(content="greet"), TextBlock(text="hello")]
        ),
        ChatMessage(role="user", content="weather?"),
        ChatMessage(role="assistant", blocks=[ThinkingBlock(content="look"), call]),
        ChatMessage(role="tool", content="sunny", additional_kwargs={"tool_call_id": "c1"}),
    ]
    _li(rec).chat(history)
    assert _replayed(rec.bodies[0]["messages"]) == [None, "look"]


def test_transport_rule_leaves_the_callers_messages_alone() -> None:
    from modelslab_transport._openai import build_body

    turn: mt.ChatMessage = {"role": "assistant", "content": "hello", "reasoning_content": "x"}
    request = mt.build_chat_request(MODEL, [{"role": "user", "content": "hi"}, turn])
    assert "reasoning_content" not in build_body(request, stream=False)["messages"][1]
    assert turn["reasoning_content"] == "x"


# -------------------------------------------------------------------------- tool names

BAD_NAMES = ["get weather!", "x" * 65, "naïve", ""]


def _lc_tool(name: str) -> StructuredTool:
    return StructuredTool.from_function(lambda city: "sunny", name=name, description="Weather.")


def _li_tool(name: str) -> FunctionTool:
    def weather(city: str) -> str:
        """Weather of a city."""
        return "sunny"

    return FunctionTool.from_defaults(fn=weather, name=name)


LC_CALLS: dict[str, Callable[[ChatModelsLab, str], Any]] = {
    "invoke": lambda m, n: m.bind_tools([_lc_tool(n)]).invoke("hi"),
    "stream": lambda m, n: list(m.bind_tools([_lc_tool(n)]).stream("hi")),
    "forced": lambda m, n: m.bind_tools([_lc_tool(n)], tool_choice="any").invoke("hi"),
}
LI_CALLS: dict[str, Callable[[ModelsLabLLM, str], Any]] = {
    "chat_with_tools": lambda m, n: m.chat_with_tools([_li_tool(n)], user_msg="hi"),
    "stream": lambda m, n: list(m.stream_chat_with_tools([_li_tool(n)], user_msg="hi")),
}


@pytest.mark.parametrize("name", BAD_NAMES[:3])
@pytest.mark.parametrize("call", LC_CALLS)
def test_langchain_refuses_a_tool_name_the_api_cannot_take(call: str, name: str) -> None:
    rec = Recorder()
    with pytest.raises(mt.UnsupportedContentError, match=r"tools\[0\].*\^\[a-zA-Z0-9_-\]"):
        LC_CALLS[call](_lc(rec), name)
    assert (rec.bodies, rec.lookups) == ([], 0)


async def test_langchain_refuses_it_in_async_calls_too() -> None:
    rec = Recorder()
    with pytest.raises(mt.UnsupportedContentError, match="get weather!"):
        await _lc(rec).bind_tools([_lc_tool("get weather!")]).ainvoke("hi")
    assert (rec.bodies, rec.lookups) == ([], 0)


@pytest.mark.parametrize("name", BAD_NAMES[:3])
@pytest.mark.parametrize("call", LI_CALLS)
def test_llama_index_refuses_a_tool_name_the_api_cannot_take(call: str, name: str) -> None:
    rec = Recorder()
    with pytest.raises(mt.UnsupportedContentError, match=r"tools\[0\].*\^\[a-zA-Z0-9_-\]"):
        LI_CALLS[call](_li(rec), name)
    assert (rec.bodies, rec.lookups) == ([], 0)


async def test_llama_index_refuses_it_in_async_calls_too() -> None:
    rec = Recorder()
    with pytest.raises(mt.UnsupportedContentError, match="get weather!"):
        await _li(rec).achat_with_tools([_li_tool("get weather!")], user_msg="hi")
    assert (rec.bodies, rec.lookups) == ([], 0)


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
def test_transport_refuses_bad_names_in_either_format(name: str, api_format: str) -> None:
    tool: dict[str, Any] = (
        {"type": "function", "function": {"name": name}}
        if api_format == "openai"
        else {"name": name, "input_schema": {"type": "object"}}
    )
    with pytest.raises(mt.UnsupportedContentError, match=r"tools\[0\]"):
        mt.build_chat_request(MODEL, [{"role": "user", "content": "hi"}], {"tools": [tool]})


@pytest.mark.parametrize("name", ["get_weather", "a", "Tool-2", "x" * 64])
def test_names_the_api_takes_are_sent_as_they_are(name: str) -> None:
    rec = Recorder()
    _lc(rec).bind_tools([_lc_tool(name)]).invoke("hi")
    _li(rec).chat_with_tools([_li_tool(name)], user_msg="hi")
    sent = [b["tools"][0]["function"]["name"] for b in rec.bodies]
    assert sent == [name, name]


# -------------------------------------------------------------- several choices, streamed

STREAMED_N: dict[str, Callable[[Recorder], Any]] = {
    "langchain stream": lambda r: list(_lc(r).stream("hi", n=2)),
    "langchain n field": lambda r: list(_lc(r).bind(n=3).stream("hi")),
    "llama_index stream_chat": lambda r: list(
        _li(r).stream_chat([ChatMessage(role="user", content="hi")], n=2)
    ),
    "llama_index stream_complete": lambda r: list(_li(r).stream_complete("hi", n=2)),
    "transport": lambda r: list(
        mt.ModelsLabClient(api_key="sk-rule-secret", http_client=r.clients()[0]).stream_chat(
            mt.build_chat_request(MODEL, [{"role": "user", "content": "hi"}], {"n": 2})
        )
    ),
    "transport extra_body": lambda r: list(
        mt.ModelsLabClient(api_key="sk-rule-secret", http_client=r.clients()[0]).stream_chat(
            mt.build_chat_request(
                MODEL, [{"role": "user", "content": "hi"}], {"extra_body": {"n": 2}}
            )
        )
    ),
}


@pytest.mark.parametrize("surface", STREAMED_N)
def test_several_choices_are_never_streamed(surface: str) -> None:
    rec = Recorder()
    with pytest.raises(mt.UnsupportedContentError, match=r"n=\d cannot be streamed"):
        STREAMED_N[surface](rec)
    assert (rec.bodies, rec.lookups) == ([], 0)


async def _li_astream(rec: Recorder) -> list[Any]:
    stream = await _li(rec).astream_chat([ChatMessage(role="user", content="hi")], n=2)
    return [c async for c in stream]


async def test_several_choices_are_never_streamed_async() -> None:
    rec = Recorder()
    with pytest.raises(mt.UnsupportedContentError, match="n=2 cannot be streamed"):
        [c async for c in _lc(rec).astream("hi", n=2)]
    with pytest.raises(mt.UnsupportedContentError, match="n=2 cannot be streamed"):
        await _li_astream(rec)
    assert (rec.bodies, rec.lookups) == ([], 0)
