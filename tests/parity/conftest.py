"""Shared by the parity tests against the peers: recording Chat Completions and Messages servers.

Loopback servers in this process record each request body and answer like Chat Completions
or like Messages (an event stream when asked to stream); nothing leaves the machine. ``Wire``
compares two bodies field by field and reads the differences docs/modelslab-api.md lists on
purpose.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).parents[2] / "docs" / "modelslab-api.md"


def _listed(marker: str) -> set[str]:
    """The body fields docs/modelslab-api.md lists between ``marker``'s comments."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"<!-- {marker} -->")[1].split(f"<!-- /{marker} -->")[0]
    return set(re.findall(r"^- `([^`]+)`", section, flags=re.MULTILINE))


def _matches(pattern: str, path: str) -> bool:
    """Whether a listed ``pattern`` (``*`` standing for one key) names ``path``."""
    return re.fullmatch(re.escape(pattern).replace(r"\*", "[^.]+"), path) is not None


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

    @staticmethod
    def answer(body: dict[str, Any]) -> tuple[str, bytes]:
        reply = _reply(body)
        if body.get("stream"):
            return "text/event-stream", _events(reply)
        return "application/json", json.dumps(reply).encode()

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length))
        type(self).bodies.append(body)
        kind, data = self.answer(body)
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        return


def _messages_reply(body: dict[str, Any]) -> dict[str, Any]:
    """A Messages answer that fits the request: a ``tool_use`` whenever a tool may be called.

    (Structured output by tool calling reads a call even when the call is not forced.)
    """
    content: list[dict[str, Any]] = [{"type": "text", "text": '{"a": 1}'}]
    choice = body.get("tool_choice") or {}
    if choice.get("type") != "none" and body.get("tools"):
        name = choice.get("name") or body["tools"][0]["name"]
        content = [{"type": "tool_use", "id": "toolu_9", "name": name, "input": {"a": 1}}]
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "m"),
        "content": content,
        "stop_reason": "tool_use" if content[0]["type"] == "tool_use" else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }


def _messages_events(reply: dict[str, Any]) -> bytes:
    """A text ``reply`` as a Messages event stream."""
    text = reply["content"][0].get("text", "")
    start = {**reply, "content": [], "stop_reason": None}
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": 1},
        },
        {"type": "message_stop"},
    ]
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


class _MessagesRecorder(_Recorder):
    bodies: list[dict[str, Any]] = []

    @staticmethod
    def answer(body: dict[str, Any]) -> tuple[str, bytes]:
        reply = _messages_reply(body)
        if body.get("stream"):
            return "text/event-stream", _messages_events(reply)
        return "application/json", json.dumps(reply).encode()


class Wire:
    """The recording server's URL and bodies, and the comparison against a listed set."""

    def __init__(self, url: str, bodies: list[dict[str, Any]]) -> None:
        self.url = url
        self.bodies = bodies

    differences = staticmethod(_differences)

    @staticmethod
    def unlisted(found: frozenset[str], marker: str) -> set[str]:
        """The paths in ``found`` that ``marker``'s list in docs/modelslab-api.md does not name."""
        listed = _listed(marker)
        return {path for path in found if not any(_matches(p, path) for p in listed)}

    @staticmethod
    def unseen(found: frozenset[str], marker: str) -> set[str]:
        """The entries of ``marker``'s list that name none of the paths in ``found``."""
        listed = _listed(marker)
        assert len(listed) >= 5  # the list is read, not empty
        return {p for p in listed if not any(_matches(p, path) for path in found)}


def _serve(handler: type[_Recorder], path: str) -> Iterator[Wire]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Wire(f"http://127.0.0.1:{httpd.server_address[1]}{path}", handler.bodies)
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def openai_wire() -> Iterator[Wire]:
    """A loopback server answering like Chat Completions, recording every body it gets."""
    yield from _serve(_Recorder, "/v1")


@pytest.fixture(scope="session")
def anthropic_wire() -> Iterator[Wire]:
    """A loopback server answering like Messages (``/v1/messages``), recording every body."""
    yield from _serve(_MessagesRecorder, "")
