"""Chat Completions: the body ours sends equals the OpenAI peers', for the same messages.

``ChatModelsLab`` (``api_format="openai"``) is compared with ``ChatOpenAI`` (Chat Completions,
``use_responses_api=False``), and ``ModelsLabLLM`` with llama-index's ``OpenAILike``
(``is_chat_model=True, is_function_calling_model=True``). All four talk to one loopback server
in this process (``openai_wire``, in this folder's conftest) that records each body and answers
like Chat Completions; nothing leaves the machine. Bodies are compared field by field; the
fields that differ on purpose are listed once in docs/modelslab-api.md, which this test reads:
a difference not listed fails, and so does a listed difference that no case shows any more.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from llama_index.core.base.llms.types import (
    ChatMessage,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.llms.openai_like import OpenAILike
from pydantic import BaseModel

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM

from .parity_data import MODEL, SCHEMA, URL

DATA = "data:image/png;base64,iVBORw0KGgo="


class Answer(BaseModel):
    """An answer."""

    a: int


async def _drain(stream: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in stream]


# ------------------------------------------------------------------ LangChain: the table

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather of a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@tool
def get_weather(city: str) -> str:
    """Weather of a city."""
    return "sunny"


CALL = {"id": "call_1", "name": "get_weather", "args": {"city": "Paris"}, "type": "tool_call"}
LC_LOOP: list[BaseMessage] = [
    HumanMessage("Weather in Paris?"),
    AIMessage("", tool_calls=[CALL]),
    ToolMessage("sunny", tool_call_id="call_1"),
]
LC_CASES: dict[str, Callable[[Any], Any]] = {
    "text": lambda m: m.invoke([HumanMessage("Hi")]),
    "images": lambda m: m.invoke(
        [
            HumanMessage(
                [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": URL}},
                    {"type": "image", "url": URL},
                    {"type": "image", "base64": DATA.split(",")[1], "mime_type": "image/png"},
                ]
            )
        ]
    ),
    "tools": lambda m: m.bind_tools([TOOL]).invoke("Weather in Paris?"),
    "forced tool": lambda m: m.bind_tools([TOOL], tool_choice="get_weather").invoke("Weather?"),
    "any tool": lambda m: m.bind_tools([TOOL], tool_choice="any").invoke("Weather?"),
    "strict tool": lambda m: m.bind_tools([get_weather], strict=True).invoke("Weather?"),
    "no parallel tools": lambda m: m.bind_tools([TOOL], parallel_tool_calls=False).invoke("W?"),
    "tool result": lambda m: m.bind_tools([TOOL]).invoke(LC_LOOP),
    "tool result with images": lambda m: m.bind_tools([TOOL]).invoke(
        [
            *LC_LOOP[:2],
            ToolMessage(
                [
                    {"type": "text", "text": "sunny"},
                    {"type": "image_url", "image_url": {"url": URL}},
                ],
                tool_call_id="call_1",
            ),
        ]
    ),
    "failed tool result": lambda m: m.bind_tools([TOOL]).invoke(
        [*LC_LOOP[:2], ToolMessage("boom", tool_call_id="call_1", status="error")]
    ),
    "several system messages": lambda m: m.invoke(
        [SystemMessage("Be brief."), SystemMessage("Be kind."), HumanMessage("Hi")]
    ),
    "structured json_schema": lambda m: m.with_structured_output(
        Answer, method="json_schema"
    ).invoke("Give a."),
    "structured function_calling": lambda m: m.with_structured_output(
        Answer, method="function_calling"
    ).invoke("Give a."),
    "structured json_mode": lambda m: m.with_structured_output(Answer, method="json_mode").invoke(
        "Give a as JSON."
    ),
    "reasoning replay": lambda m: m.bind_tools([TOOL]).invoke(
        [
            LC_LOOP[0],
            AIMessage(
                "", additional_kwargs={"reasoning_content": "I should look."}, tool_calls=[CALL]
            ),
            LC_LOOP[2],
        ]
    ),
    "several choices": lambda m: m.bind(n=2).invoke("Hi"),
    "sampling": lambda m: m.bind(temperature=0.5, max_tokens=50, stop=["x"], seed=7).invoke("Hi"),
    "logprobs": lambda m: m.bind(logprobs=True, top_logprobs=2).invoke("Hi"),
    "penalties and user": lambda m: m.bind(
        top_p=0.5, frequency_penalty=0.1, presence_penalty=0.2, user="u1"
    ).invoke("Hi"),
    "streamed": lambda m: list(m.stream("Hi")),
    "async": lambda m: asyncio.run(m.bind_tools([TOOL]).ainvoke(LC_LOOP)),
    "async streamed": lambda m: asyncio.run(_drain(m.astream("Hi"))),
}


@functools.cache
def _lc_body(wire: Any, cls: str, case: str) -> dict[str, Any]:
    if cls == "ours":
        model: Any = ChatModelsLab(
            api_key="k", base_url=wire.url, model=MODEL, api_format="openai", max_retries=0
        )
    else:
        model = ChatOpenAI(
            api_key="k", base_url=wire.url, model=MODEL, max_retries=0, use_responses_api=False
        )
    wire.bodies.clear()
    LC_CASES[case](model)
    return wire.bodies[-1]


@functools.cache
def _lc_diff(wire: Any, case: str) -> frozenset[str]:
    mine, theirs = _lc_body(wire, "ours", case), _lc_body(wire, "peer", case)
    return frozenset(wire.differences(mine, theirs))


@pytest.mark.parametrize("case", list(LC_CASES))
def test_body_equals_chat_openai(openai_wire: Any, case: str) -> None:
    found = _lc_diff(openai_wire, case)
    assert openai_wire.unlisted(found, "differences-from-chat-openai") == set()


# ------------------------------------------------------------------ LlamaIndex: the table


def _get_weather(city: str) -> str:
    """Weather of a city."""
    return "sunny"


LI_TOOL = FunctionTool.from_defaults(fn=_get_weather, name="get_weather")
LI_CALL = ToolCallBlock(
    tool_call_id="call_1", tool_name="get_weather", tool_kwargs={"city": "Paris"}
)
LI_ASK = ChatMessage(role="user", content="Weather in Paris?")


def _li_tool(*blocks: Any) -> ChatMessage:
    return ChatMessage(
        role="tool", blocks=list(blocks), additional_kwargs={"tool_call_id": "call_1"}
    )


LI_LOOP = [
    LI_ASK,
    ChatMessage(role="assistant", blocks=[LI_CALL]),
    _li_tool(TextBlock(text="sunny")),
]
PROMPT = PromptTemplate("Give a for {x}.")


async def _li_astream(model: Any) -> list[Any]:
    return await _drain(await model.astream_chat([ChatMessage(role="user", content="Hi")]))


LI_CASES: dict[str, Callable[[Any], Any]] = {
    "text": lambda m: m.chat([ChatMessage(role="user", content="Hi")]),
    "images": lambda m: m.chat(
        [
            ChatMessage(
                role="user",
                blocks=[
                    TextBlock(text="What is this?"),
                    ImageBlock(url=URL),
                    ImageBlock(image=b"\x89PNG\r\n\x1a\n", image_mimetype="image/png"),
                ],
            )
        ]
    ),
    "tools": lambda m: m.chat_with_tools([LI_TOOL], "Weather in Paris?"),
    "forced tool": lambda m: m.chat_with_tools([LI_TOOL], "W?", tool_choice="get_weather"),
    "required tool": lambda m: m.chat_with_tools([LI_TOOL], "W?", tool_required=True),
    "parallel tools": lambda m: m.chat_with_tools([LI_TOOL], "W?", allow_parallel_tool_calls=True),
    "strict tool": lambda m: m.chat_with_tools([LI_TOOL], "W?", strict=True),
    "tool result": lambda m: m.chat_with_tools([LI_TOOL], chat_history=LI_LOOP),
    "tool result with images": lambda m: m.chat_with_tools(
        [LI_TOOL],
        chat_history=[*LI_LOOP[:2], _li_tool(TextBlock(text="sunny"), ImageBlock(url=URL))],
    ),
    "several system messages": lambda m: m.chat(
        [
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(role="system", content="Be kind."),
            ChatMessage(role="user", content="Hi"),
        ]
    ),
    "structured function": lambda m: m.structured_predict(Answer, PROMPT, x="y"),
    "structured json_schema": lambda m: m.chat(
        [ChatMessage(role="user", content="Give a.")], response_format=SCHEMA
    ),
    "structured json_mode": lambda m: m.chat(
        [ChatMessage(role="user", content="Give a.")], response_format={"type": "json_object"}
    ),
    "reasoning replay": lambda m: m.chat_with_tools(
        [LI_TOOL],
        chat_history=[
            LI_ASK,
            ChatMessage(
                role="assistant", blocks=[ThinkingBlock(content="I should look."), LI_CALL]
            ),
            LI_LOOP[2],
        ],
    ),
    "several choices": lambda m: m.chat([ChatMessage(role="user", content="Hi")], n=2),
    "sampling": lambda m: m.chat(
        [ChatMessage(role="user", content="Hi")],
        temperature=0.5,
        max_tokens=50,
        stop=["x"],
        seed=7,
    ),
    "logprobs": lambda m: m.chat(
        [ChatMessage(role="user", content="Hi")], logprobs=True, top_logprobs=2
    ),
    "penalties and user": lambda m: m.chat(
        [ChatMessage(role="user", content="Hi")],
        top_p=0.5,
        frequency_penalty=0.1,
        presence_penalty=0.2,
        user="u1",
    ),
    "streamed": lambda m: list(m.stream_chat([ChatMessage(role="user", content="Hi")])),
    "async": lambda m: asyncio.run(m.achat_with_tools([LI_TOOL], chat_history=LI_LOOP)),
    "async streamed": lambda m: asyncio.run(_li_astream(m)),
}


@functools.cache
def _li_body(wire: Any, cls: str, case: str) -> dict[str, Any]:
    common: dict[str, Any] = {"model": MODEL, "api_key": "k", "max_retries": 0}
    if cls == "ours":
        model: Any = ModelsLabLLM(base_url=wire.url, **common)
    else:
        model = OpenAILike(
            api_base=wire.url, is_chat_model=True, is_function_calling_model=True, **common
        )
    wire.bodies.clear()
    LI_CASES[case](model)
    return wire.bodies[-1]


@functools.cache
def _li_diff(wire: Any, case: str) -> frozenset[str]:
    mine, theirs = _li_body(wire, "ours", case), _li_body(wire, "peer", case)
    return frozenset(wire.differences(mine, theirs))


@pytest.mark.parametrize("case", list(LI_CASES))
def test_body_equals_openai_like(openai_wire: Any, case: str) -> None:
    found = _li_diff(openai_wire, case)
    assert openai_wire.unlisted(found, "differences-from-openai-like") == set()


@pytest.mark.parametrize(
    ("marker", "diff", "cases"),
    [
        ("differences-from-chat-openai", _lc_diff, LC_CASES),
        ("differences-from-openai-like", _li_diff, LI_CASES),
    ],
    ids=["chat-openai", "openai-like"],
)
def test_each_listed_difference_is_still_seen(
    openai_wire: Any, marker: str, diff: Callable[[Any, str], frozenset[str]], cases: dict[str, Any]
) -> None:
    found = frozenset().union(*(diff(openai_wire, case) for case in cases))
    assert openai_wire.unseen(found, marker) == set()


def _message_roles(body: dict[str, Any]) -> list[str]:
    return [m["role"] for m in body["messages"]]


# What each case is there for, true of both bodies: a case that stopped carrying its feature
# would compare nothing.
FEATURES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "images": lambda b: (
        [p["type"] for p in b["messages"][0]["content"]][1:3] == ["image_url", "image_url"]
    ),
    "tools": lambda b: b["tools"][0]["function"]["name"] == "get_weather",
    "forced tool": lambda b: b["tool_choice"]["function"]["name"] == "get_weather",
    "strict tool": lambda b: b["tools"][0]["function"]["strict"] is True,
    "no parallel tools": lambda b: b["parallel_tool_calls"] is False,
    "parallel tools": lambda b: b["parallel_tool_calls"] is True,
    "tool result": lambda b: _message_roles(b) == ["user", "assistant", "tool"],
    "several system messages": lambda b: _message_roles(b) == ["system", "system", "user"],
    "structured json_schema": lambda b: b["response_format"]["type"] == "json_schema",
    "structured function_calling": lambda b: b["tool_choice"]["function"]["name"] == "Answer",
    "structured function": lambda b: b["tools"][0]["function"]["name"] == "Answer",
    "structured json_mode": lambda b: b["response_format"] == {"type": "json_object"},
    "several choices": lambda b: b["n"] == 2,
    "sampling": lambda b: (b["temperature"], b["stop"], b["seed"]) == (0.5, ["x"], 7),
    "logprobs": lambda b: (b["logprobs"], b["top_logprobs"]) == (True, 2),
    "penalties and user": lambda b: (
        (b["top_p"], b["presence_penalty"], b["user"]) == (0.5, 0.2, "u1")
    ),
    "streamed": lambda b: b["stream"] is True,
    "async": lambda b: _message_roles(b) == ["user", "assistant", "tool"],
    "async streamed": lambda b: b["stream"] is True,
}


@pytest.mark.parametrize(
    ("body", "case"),
    [pytest.param(_lc_body, c, id=f"langchain-{c}") for c in LC_CASES if c in FEATURES]
    + [pytest.param(_li_body, c, id=f"llama-index-{c}") for c in LI_CASES if c in FEATURES],
)
def test_each_case_carries_what_it_is_named_for(
    openai_wire: Any, body: Callable[[Any, str, str], dict[str, Any]], case: str
) -> None:
    assert FEATURES[case](body(openai_wire, "ours", case))
    assert FEATURES[case](body(openai_wire, "peer", case))
