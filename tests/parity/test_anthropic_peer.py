"""Messages format: the body ChatModelsLab sends equals ChatAnthropic's, for the same messages.

Both talk to one loopback server in this process that records each body and answers a fixed
Messages reply; nothing leaves the machine. Whole bodies are compared, less the differences
docs/modelslab-api.md lists on purpose.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_modelslab import ChatModelsLab

REPLY = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "m",
    "content": [{"type": "text", "text": "ok"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 1, "output_tokens": 1},
}


DOC = Path(__file__).parents[2] / "docs" / "modelslab-api.md"


def _differences() -> set[str]:
    """The fields docs/modelslab-api.md lists as different from ChatAnthropic on purpose."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("<!-- differences-from-chat-anthropic -->")[1].split("<!-- /")[0]
    return set(re.findall(r"^- `([a-z_]+)`", section, flags=re.MULTILINE))


def _without(body: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """``body`` without the listed top-level fields and the listed ``tool_result`` fields."""
    out = {k: v for k, v in body.items() if k not in fields}
    for message in out.get("messages", []):
        if isinstance(message["content"], list):
            message["content"] = [
                {k: v for k, v in b.items() if k not in fields or b.get("type") != "tool_result"}
                for b in message["content"]
            ]
    return out


class _Recorder(BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        data = json.dumps(REPLY).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
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
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


CALL = {"id": "toolu_1", "name": "get", "args": {"city": "Paris"}, "type": "tool_call"}
THINKING = [
    {"type": "thinking", "thinking": "Let me see.", "signature": "sig-A=="},
    {"type": "redacted_thinking", "data": "opaque-1"},
]
TOOL = {
    "name": "get",
    "description": "Weather of a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}

TEXT = {"type": "text", "text": "What is this?"}
IMAGE = {
    "type": "image",
    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
}
CACHED = {"cache_control": {"type": "ephemeral"}}
ANTHROPIC_TOOL = {
    "name": "get",
    "description": "Weather of a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}

CASES: list[Any] = [
    pytest.param([HumanMessage("Hi")], {}, id="text"),
    pytest.param(
        [
            HumanMessage("Weather?"),
            AIMessage(content=THINKING, tool_calls=[CALL]),
            ToolMessage("boom", tool_call_id="toolu_1", status="error"),
        ],
        {},
        id="thinking-signature-and-failed-tool",
    ),
    pytest.param([HumanMessage("Weather?")], {"strict": True}, id="strict-tool"),
    pytest.param(
        [
            HumanMessage("Weather?"),
            AIMessage(content="", tool_calls=[CALL]),
            ToolMessage("sunny", tool_call_id="toolu_1"),
        ],
        {},
        id="tool-result",
    ),
    pytest.param([HumanMessage([TEXT, IMAGE])], {}, id="image"),
    pytest.param(
        [SystemMessage("Be brief."), SystemMessage("Use French."), HumanMessage("Hi")],
        {},
        id="several-system-messages",
    ),
    pytest.param([HumanMessage("Weather?")], {"tool_choice": "get"}, id="forced-tool"),
    pytest.param(
        [
            HumanMessage("Look"),
            AIMessage(content="", tool_calls=[CALL]),
            ToolMessage([{"type": "text", "text": "shot"}, IMAGE], tool_call_id="toolu_1"),
        ],
        {},
        id="tool-result-with-image",
    ),
    pytest.param(
        [SystemMessage([{**TEXT, "text": "Be brief.", **CACHED}]), HumanMessage("Hi")],
        {},
        id="cache-system",
    ),
    pytest.param(
        [
            HumanMessage([{**TEXT, **CACHED}, {**IMAGE, **CACHED}]),
            AIMessage("ok"),
            HumanMessage("more"),
        ],
        {},
        id="cache-text-and-image",
    ),
    pytest.param(
        [
            HumanMessage("Weather?"),
            AIMessage(content="", tool_calls=[CALL]),
            ToolMessage([{"type": "text", "text": "sunny", **CACHED}], tool_call_id="toolu_1"),
        ],
        {},
        id="cache-tool-result",
    ),
    pytest.param(
        [HumanMessage("Weather?")], {"tools": [{**ANTHROPIC_TOOL, **CACHED}]}, id="cache-tool"
    ),
]


def _sent(server: str, model: Any, messages: list[BaseMessage], tools: dict[str, Any]) -> Any:
    _Recorder.bodies.clear()
    options = dict(tools)
    bound = model.bind_tools(options.pop("tools", [TOOL]), **options) if tools else model
    bound.invoke(messages)
    return _Recorder.bodies[-1]


@pytest.mark.parametrize(("messages", "tools"), CASES)
def test_messages_body_equals_chat_anthropic(
    server: str, messages: list[BaseMessage], tools: dict[str, Any]
) -> None:
    ours = ChatModelsLab(
        api_key="k", base_url=server, model="m", api_format="anthropic", max_retries=0
    )
    peer = ChatAnthropic(api_key="k", base_url=server, model="m", max_retries=0)
    mine = _sent(server, ours, messages, tools)
    theirs = _sent(server, peer, messages, tools)
    listed = _differences()
    assert listed == {"max_tokens", "is_error"}  # the list is read, not empty
    assert _without(mine, listed) == _without(theirs, listed)


@pytest.mark.parametrize(
    ("messages", "tools"), [c for c in CASES if str(c.id).startswith("cache-")]
)
def test_async_body_keeps_the_cache_marks(
    server: str, messages: list[BaseMessage], tools: dict[str, Any]
) -> None:
    ours = ChatModelsLab(
        api_key="k", base_url=server, model="m", api_format="anthropic", max_retries=0
    )
    sync_body = _sent(server, ours, messages, tools)
    options = dict(tools)
    bound = ours.bind_tools(options.pop("tools", [TOOL]), **options) if tools else ours
    _Recorder.bodies.clear()
    asyncio.run(bound.ainvoke(messages))
    assert "cache_control" in json.dumps(_Recorder.bodies[-1])
    assert _Recorder.bodies[-1] == sync_body
