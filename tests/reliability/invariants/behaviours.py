"""The catalogue of hostile server behaviours: one line each.

A behaviour is a function from an ``httpx.Request`` to the ``httpx.Response`` a server sends,
served through ``httpx.MockTransport`` (no sockets, so fast). ``OK`` answers every endpoint
correctly. Each behaviour's correct answer is the one ``ok`` gives (a hostile server that still
says it, e.g. amid keep-alives or with a second choice, must be understood): the harness checks
that ``ok`` gets it and that any other behaviour ends in it or in an error from the project's
tree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

KEY = "sk-harness-3e9a1c7f5b2d"
MODEL = "baidu-ernie-4.5-vl-28b-a3b"
STRUCTURED = "hello there"
TEXT = f'{{"answer": "{STRUCTURED}"}}'  # also a structured answer
TOKENS = 7
Behaviour = Callable[[httpx.Request], httpx.Response]


def _body(request: httpx.Request) -> dict[str, Any]:
    try:
        body = json.loads(request.content or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _wants_stream(request: httpx.Request) -> bool:
    return bool(_body(request).get("stream"))


def forced_tool(request: httpx.Request) -> str | None:
    """The tool a request forces (OpenAI's or Anthropic's ``tool_choice``), else ``None``.

    A correct server answers such a request with a call of that tool whose arguments are
    :data:`TEXT`, so a structured-output parser and a tool-call reader both get the answer.
    """
    body = _body(request)
    tools, choice = body.get("tools") or [], body.get("tool_choice")
    if not tools or choice in (None, "auto", "none") or not isinstance(tools, list):
        return None
    if isinstance(choice, dict):
        named = choice.get("name") or (choice.get("function") or {}).get("name")
        if named or choice.get("type") not in ("any",):
            return str(named) if named else None
    first = tools[0]
    return str(first.get("name") or (first.get("function") or {}).get("name"))


_CALL = {"id": "call_1", "type": "function"}


def _chat(text: str = TEXT, tool: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool is not None:
        call = {**_CALL, "function": {"name": tool, "arguments": TEXT}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
    finish = "stop" if tool is None else "tool_calls"
    choice = {"index": 0, "message": message, "finish_reason": finish}
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    return {
        "id": "c1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [choice],
        "usage": usage,
    }


def _chunk(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> dict[str, Any]:
    choice = {"index": index, "delta": delta, "finish_reason": finish}
    return {"id": "c1", "object": "chat.completion.chunk", "model": MODEL, "choices": [choice]}


def _messages(text: str = TEXT, tool: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "text", "text": text}
    if tool is not None:
        block = {"type": "tool_use", "id": "tu_1", "name": tool, "input": json.loads(TEXT)}
    return {
        "id": "m1", "type": "message", "role": "assistant", "model": MODEL,
        "content": [block], "stop_reason": "end_turn" if tool is None else "tool_use",
        "usage": {"input_tokens": 3, "output_tokens": 2},
    }  # fmt: skip


def _message_events(tool: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    start = {**_messages(""), "content": []}
    block: dict[str, Any] = {"type": "text", "text": ""}
    deltas = [{"type": "text_delta", "text": TEXT}]
    if tool is not None:  # the arguments in two pieces, as a server streams them
        block = {"type": "tool_use", "id": "tu_1", "name": tool, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in (TEXT[:5], TEXT[5:])]
    stop = "end_turn" if tool is None else "tool_use"
    return [
        ("message_start", {"type": "message_start", "message": start}),
        ("content_block_start", {"type": "content_block_start", "index": 0,
                                 "content_block": block}),
        *[("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": d})
          for d in deltas],
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop},
                           "usage": {"output_tokens": 2}}),
        ("message_stop", {"type": "message_stop"}),
    ]  # fmt: skip


def sse(*events: Any, done: bool = True) -> bytes:
    """Chat Completions events (dicts or raw strings) as one SSE body."""
    lines = [f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n" for e in events]
    return "".join([*lines, "data: [DONE]\n\n" if done else ""]).encode()


def _stream_body(request: httpx.Request) -> bytes:
    tool = forced_tool(request)
    if request.url.path.endswith("/messages"):
        events = _message_events(tool)
        return "".join(f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in events).encode()
    if tool is None:
        return sse(_chunk({"role": "assistant", "content": TEXT}), _chunk({}, "stop"))
    head = {**_CALL, "index": 0, "function": {"name": tool, "arguments": TEXT[:5]}}
    tail = {"index": 0, "function": {"arguments": TEXT[5:]}}
    return sse(
        _chunk({"role": "assistant", "tool_calls": [head]}),
        _chunk({"tool_calls": [tail]}),
        _chunk({}, "tool_calls"),
    )


def ok(request: httpx.Request) -> httpx.Response:
    """A correct server: every endpoint answers as ModelsLab documents it."""
    path = request.url.path
    if path.endswith("/models"):
        return httpx.Response(
            200, json={"object": "list", "data": [{"id": MODEL, "object": "model"}]}
        )
    if path.endswith("/count_tokens"):
        return httpx.Response(200, json={"input_tokens": TOKENS})
    if _wants_stream(request):
        return httpx.Response(200, content=_stream_body(request), headers=_SSE)
    tool = forced_tool(request)
    body = _messages(tool=tool) if path.endswith("/messages") else _chat(tool=tool)
    return httpx.Response(200, json=body)


_SSE = {"content-type": "text/event-stream"}
_JSON = {"content-type": "application/json"}


def status(code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Behaviour:
    """Every request gets ``code`` with ``body``."""
    return lambda request: httpx.Response(code, content=body, headers=headers or _JSON)


def events(body: bytes) -> Behaviour:
    """Stream requests get ``body`` as their event stream; others the right answer."""
    return lambda r: httpx.Response(200, content=body, headers=_SSE) if _wants_stream(r) else ok(r)


def raises(exc: type[Exception]) -> Behaviour:
    """The connection fails the way httpx reports ``exc``."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("harness fault", request=request)  # type: ignore[call-arg]

    return handler


def echo_key(where: str) -> Behaviour:
    """A 401 that echoes the key back in its body, a header or the request id."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = {"error": {"message": "bad key" + (f" {KEY}" if where == "body" else "")}}
        headers = {"x-request-id": f"req-{KEY}"} if where == "request-id" else {}
        if where == "header":
            headers["x-echo"] = f"Bearer {KEY}"
        return httpx.Response(401, json=body, headers=headers)

    return handler


def _then(first: httpx.Response, extra: bytes) -> httpx.Response:
    """``first``, a Chat Completions stream's events after ``extra`` (a second choice's)."""
    if first.headers.get("content-type") != _SSE["content-type"] or b"event:" in first.content:
        return first
    return httpx.Response(200, content=extra + first.content, headers=_SSE)


_PNG = {"content-type": "image/png"}
_ERR = json.dumps({"error": {"message": "boom", "code": 500}}).encode()
_HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
_CUT = sse(_chunk({"content": "hel"}), done=False)[:-3] + b'{"id": "c1", "choi'

# One line per behaviour. Name -> handler.
BEHAVIOURS: dict[str, Behaviour] = {
    "ok": ok,
    "400-odd-body": status(400, b'{"error": "nope", "detail": [1, {"x": null}]}'),
    "401-empty": status(401),
    "402-credits": status(402, b'{"status": "error", "message": "Insufficient credits"}'),
    "403-html": status(403, _HTML, {"content-type": "text/html"}),
    "404-list": status(404, b"[1, 2, 3]"),
    "408-text": status(408, b"timeout", {"content-type": "text/plain"}),
    "413-null": status(413, b"null"),
    "422-deep": status(422, b'{"error": ' + b"[" * 300 + b"]" * 300 + b"}"),
    "429-bad-retry-after": status(429, b"{}", {"retry-after": "soon", **_JSON}),
    "500-error-body": status(500, _ERR),
    "502-html": status(502, _HTML, {"content-type": "text/html"}),
    "503-empty": status(503),
    "599-unknown": status(599, b"?"),
    "200-error-body": status(200, b'{"status": "error", "message": "model is loading"}'),
    "200-html": status(200, _HTML, {"content-type": "text/html"}),
    "200-empty": status(200),
    "200-huge": status(200, b'{"choices": [], "pad": "' + b"x" * 2_000_000 + b'"}'),
    "200-bad-json": status(200, b'{"choices": [{"message": '),
    "200-wrong-type": lambda r: httpx.Response(200, content=ok(r).content, headers=_PNG),
    "200-nan": status(200, b'{"choices": NaN}'),
    "200-choices-null": status(200, b'{"choices": null, "usage": {"prompt_tokens": "x"}}'),
    "stream-no-done": events(sse(_chunk({"content": TEXT}), done=False)),
    "stream-cut-mid-event": events(_CUT),
    "stream-malformed-line": events(b"data: {not json\n\n" + sse(_chunk({}, "stop"))),
    "stream-error-event": events(sse({"error": {"message": "overloaded", "code": 529}})),
    "stream-two-choices": lambda r: _then(
        ok(r), sse(_chunk({"content": "b"}, index=1), done=False)
    ),
    "stream-keepalives-only": events(b": ping\n\n" * 50),
    "stream-empty": events(b""),
    "connect-error": raises(httpx.ConnectError),
    "read-error": raises(httpx.ReadError),
    "remote-protocol-error": raises(httpx.RemoteProtocolError),
    "read-timeout": raises(httpx.ReadTimeout),
    "key-in-body": echo_key("body"),
    "key-in-header": echo_key("header"),
    "key-in-request-id": echo_key("request-id"),
}
