"""Chat Completions: the body ours sends equals the OpenAI peers', for the same messages.

``ChatModelsLab`` (``api_format="openai"``) is compared with ``ChatOpenAI`` (Chat Completions,
``use_responses_api=False``), and ``ModelsLabLLM`` with llama-index's ``OpenAILike``
(``is_chat_model=True, is_function_calling_model=True``). All four talk to one loopback server
in this process that records each body and answers like Chat Completions; nothing leaves the
machine. Bodies are compared field by field; the fields that differ on purpose are listed once
in docs/modelslab-api.md, which this test reads: a difference not listed fails, and so does a
listed difference that no case shows any more.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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

MODEL = "baidu-ernie-4.5-vl-28b-a3b"  # a vision model with tool calling, in the catalog
URL = "https://example.com/cat.png"
DATA = "data:image/png;base64,iVBORw0KGgo="
SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "schema": {"type": "object", "properties": {"a": {"type": "integer"}}},
    },
}
DOC = Path(__file__).parents[2] / "docs" / "modelslab-api.md"


class Answer(BaseModel):
    """An answer."""

    a: int


def _listed(marker: str) -> set[str]:
    """The body fields docs/modelslab-api.md lists between ``marker``'s comments."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"<!-- {marker} -->")[1].split(f"<!-- /{marker} -->")[0]
    return set(re.findall(r"^- `([^`]+)`", section, flags=re.MULTILINE))


def _matches(pattern: str, path: str) -> bool:
    """Whether a listed ``pattern`` (``*`` standing for one key) names ``path``."""
    return re.fullmatch(re.escape(pattern).replace(r"\*", "[^.]+"), path) is not None


def _unlisted(found: frozenset[str], listed: set[str]) -> set[str]:
    return {path for path in found if not any(_matches(p, path) for p in listed)}


def _label(item: Any) -> str:
    """How a list element is named in a path: a message by its role, anything else ``[]``."""
    return f"[{item['role']}]" if isinstance(item, dict) and "role" in item else "[]"


def _differences(mine: Any, theirs: Any, path: str = "") -> set[str]:
    """The paths where two JSON values differ, e.g. ``messages[tool].content``.

    A key only one side has is a difference at that key; list elements are compared in
    order, and one only one side has is a difference at its label (``messages[user]``).
    """
    if isinstance(mine, dict) and isinstance(theirs, dict):
        out: set[str] = set()
        for key in mine.keys() | theirs.keys():
            sub = f"{path}.{key}" if path else key
            if key not in mine or key not in theirs:
                out.add(sub)
            else:
                out |= _differences(mine[key], theirs[key], sub)
        return out
    if isinstance(mine, list) and isinstance(theirs, list):
        out = set()
        for a, b in zip(mine, theirs, strict=False):  # extra elements are counted below
            out |= _differences(a, b, path + _label(a if _label(a) == _label(b) else None))
        longer = mine if len(mine) > len(theirs) else theirs
        out |= {path + _label(extra) for extra in longer[min(len(mine), len(theirs)) :]}
        return out
    return set() if mine == theirs else {path}


def _reply(body: dict[str, Any]) -> dict[str, Any]:
    """A Chat Completions answer that fits the request: a tool call when one is forced."""
    choices = []
    forced = body.get("tool_choice")
    for i in range(body.get("n") or 1):
        message: dict[str, Any] = {"role": "assistant", "content": '{"a": 1}'}
        if isinstance(forced, dict) or forced == "required":
            tool = forced if isinstance(forced, dict) else body["tools"][0]
            name = tool["function"]["name"]
            call = {"id": f"call_{i}", "type": "function"}
            call["function"] = {"name": name, "arguments": '{"a": 1}'}
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
        choices.append({"index": i, "message": message, "finish_reason": "stop"})
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "m"),
        "choices": choices,
        "usage": usage,
    }


def _events(reply: dict[str, Any]) -> bytes:
    """``reply``'s first choice as a Chat Completions event stream."""
    choice = reply["choices"][0]
    delta = {"role": "assistant", "content": choice["message"]["content"] or ""}
    chunk = {**reply, "object": "chat.completion.chunk", "usage": None}
    chunk["choices"] = [{"index": 0, "delta": delta, "finish_reason": "stop"}]
    last = {**reply, "object": "chat.completion.chunk", "choices": []}
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in (chunk, last)) + (
        b"data: [DONE]\n\n"
    )


class _Recorder(BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length))
        type(self).bodies.append(body)
        reply = _reply(body)
        if body.get("stream"):
            kind, data = "text/event-stream", _events(reply)
        else:
            kind, data = "application/json", json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        return


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


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
    "streamed": lambda m: list(m.stream("Hi")),
}


@functools.cache
def _lc_body(server: str, cls: str, case: str) -> dict[str, Any]:
    if cls == "ours":
        model: Any = ChatModelsLab(
            api_key="k", base_url=server, model=MODEL, api_format="openai", max_retries=0
        )
    else:
        model = ChatOpenAI(
            api_key="k", base_url=server, model=MODEL, max_retries=0, use_responses_api=False
        )
    _Recorder.bodies.clear()
    LC_CASES[case](model)
    return _Recorder.bodies[-1]


@functools.cache
def _lc_diff(server: str, case: str) -> frozenset[str]:
    return frozenset(_differences(_lc_body(server, "ours", case), _lc_body(server, "peer", case)))


@pytest.mark.parametrize("case", list(LC_CASES))
def test_body_equals_chat_openai(server: str, case: str) -> None:
    assert _unlisted(_lc_diff(server, case), _listed("differences-from-chat-openai")) == set()


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
    "streamed": lambda m: list(m.stream_chat([ChatMessage(role="user", content="Hi")])),
}


@functools.cache
def _li_body(server: str, cls: str, case: str) -> dict[str, Any]:
    common: dict[str, Any] = {"model": MODEL, "api_key": "k", "max_retries": 0}
    if cls == "ours":
        model: Any = ModelsLabLLM(base_url=server, **common)
    else:
        model = OpenAILike(
            api_base=server, is_chat_model=True, is_function_calling_model=True, **common
        )
    _Recorder.bodies.clear()
    LI_CASES[case](model)
    return _Recorder.bodies[-1]


@functools.cache
def _li_diff(server: str, case: str) -> frozenset[str]:
    return frozenset(_differences(_li_body(server, "ours", case), _li_body(server, "peer", case)))


@pytest.mark.parametrize("case", list(LI_CASES))
def test_body_equals_openai_like(server: str, case: str) -> None:
    assert _unlisted(_li_diff(server, case), _listed("differences-from-openai-like")) == set()


@pytest.mark.parametrize(
    ("marker", "diff", "cases"),
    [
        ("differences-from-chat-openai", _lc_diff, LC_CASES),
        ("differences-from-openai-like", _li_diff, LI_CASES),
    ],
    ids=["chat-openai", "openai-like"],
)
def test_each_listed_difference_is_still_seen(
    server: str, marker: str, diff: Callable[[str, str], frozenset[str]], cases: dict[str, Any]
) -> None:
    found = frozenset().union(*(diff(server, case) for case in cases))
    listed = _listed(marker)
    assert len(listed) >= 5  # the list is read, not empty
    assert {p for p in listed if not any(_matches(p, path) for path in found)} == set()


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
    "streamed": lambda b: b["stream"] is True,
}


@pytest.mark.parametrize(
    ("body", "case"),
    [pytest.param(_lc_body, c, id=f"langchain-{c}") for c in LC_CASES if c in FEATURES]
    + [pytest.param(_li_body, c, id=f"llama-index-{c}") for c in LI_CASES if c in FEATURES],
)
def test_each_case_carries_what_it_is_named_for(
    server: str, body: Callable[[str, str, str], dict[str, Any]], case: str
) -> None:
    assert FEATURES[case](body(server, "ours", case))
    assert FEATURES[case](body(server, "peer", case))
