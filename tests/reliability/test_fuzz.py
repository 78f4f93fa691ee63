"""Property tests: whatever arrives, only our typed errors come out.

Inputs are random but shaped like the real thing (dictionary keys and ``type`` values are drawn
from the wire vocabulary), so the parsers' deep branches are reached, not just their first
``isinstance`` check. Allowed failures: ``ModelsLabError`` subclasses only; the converters
refuse input with ``ConfigurationError`` (``UnsupportedContentError`` for LangChain), raised
before anything is sent.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from llama_index.core.base.llms import types as li
from pydantic import ValidationError

import modelslab_transport as mt
from langchain_modelslab._convert import convert_messages
from llama_index_modelslab._convert import to_wire_messages
from modelslab_transport import _anthropic, _anthropic_request, _openai
from modelslab_transport._error_map import error_from_response, parse_retry_after
from modelslab_transport._sse import SSEDecoder, SSEEvent
from modelslab_transport._stream import StreamParser, deltas_from_completion

from .harness import FRAMEWORKS, ask, make_model

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ wire-shaped JSON

KEYS = [
    "id",
    "model",
    "object",
    "choices",
    "index",
    "delta",
    "message",
    "content",
    "role",
    "reasoning_content",
    "reasoning",
    "tool_calls",
    "function",
    "name",
    "arguments",
    "finish_reason",
    "usage",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "prompt_tokens_details",
    "cached_tokens",
    "error",
    "type",
    "code",
    "status",
    "messege",
    "retry_after",
    "detail",
    "text",
    "content_block",
    "stop_reason",
    "stop_sequence",
    "input",
    "partial_json",
    "thinking",
    "signature",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "data",
    "input_json",
    "status_code",
]
WORDS = [
    "text",
    "image_url",
    "tool_use",
    "tool_result",
    "thinking",
    "text_delta",
    "input_json_delta",
    "thinking_delta",
    "signature_delta",
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
    "stop",
    "length",
    "tool_calls",
    "end_turn",
    "max_tokens",
    "function",
    "assistant",
    "success",
    "processing",
    "rate_limit_error",
    "429",
    "[DONE]",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(WORDS)
)
wire_json = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=3), inner, max_size=5)
    ),
    max_leaves=16,
)
wire_object = st.dictionaries(st.sampled_from(KEYS), wire_json, max_size=6)


def only_typed(call: Any, *args: Any) -> Any:
    """Call; a ``ModelsLabError`` is fine, anything else fails the property."""
    try:
        return call(*args)
    except mt.ModelsLabError:
        return None


# ----------------------------------------------------------------- request builder

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
request_key = st.sampled_from(
    [
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "extra_body",
        "stop",
        "model",
        "n",
        "max_tokens",
        "temperature",
        "custom",
    ]
)
wire_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "tool", "system"])},
    optional={"content": json_value, "tool_calls": json_value, "tool_call_id": json_value},
)


@FUZZ
@given(
    st.dictionaries(request_key, json_value, max_size=4),
    st.lists(wire_message | json_value, max_size=3),
)
def test_the_request_builder_refuses_with_typed_errors_only(
    call: dict[str, Any], messages: list[Any]
) -> None:
    """Whatever a caller passes, the shared builder (and both body builders) raise only ours."""
    request = only_typed(mt.build_chat_request, "m", messages, call)
    if request is None:
        return
    for build in (_openai.build_body, _anthropic_request.build_body):
        only_typed(lambda b=build: b(request, stream=False))  # type: ignore[misc]


# ---------------------------------------------------------------------- SSE decoder

line_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\0", blacklist_categories=("Cs",)),
    max_size=10,
)
sse_event = st.tuples(
    st.one_of(st.none(), line_text),  # event name
    st.lists(line_text, min_size=1, max_size=3),  # data lines
    st.one_of(st.none(), line_text),  # id
    st.booleans(),  # a comment line before it
    st.sampled_from(["\n", "\r", "\r\n"]),  # this event's line ending
)


def _encode(events: list[Any], bom: bool) -> tuple[bytes, list[SSEEvent]]:
    out, expected, last_id = ["\ufeff" if bom else ""], [], None
    for name, lines, ident, comment, eol in events:
        if comment:
            out.append(f": keep-alive{eol}")
        if name is not None:
            out.append(f"event: {name}{eol}")
        if ident is not None:
            out.append(f"id: {ident}{eol}")
            last_id = ident
        out.extend(f"data: {line}{eol}" for line in lines)
        out.append(eol)
        expected.append(SSEEvent(name or "message", "\n".join(lines), last_id))
    return "".join(out).encode(), expected


def _split(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(raw) + 1) for c in cuts})
    return [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]


@FUZZ
@given(
    st.lists(sse_event, min_size=1, max_size=5),
    st.booleans(),
    st.lists(st.integers(0, 10_000), max_size=12),
)
def test_sse_events_survive_any_split_line_ending_and_unicode(
    events: list[Any], bom: bool, cuts: list[int]
) -> None:
    raw, expected = _encode(events, bom)
    decoder = SSEDecoder()
    got = [e for piece in _split(raw, cuts) for e in decoder.feed(piece)]
    assert got + decoder.flush() == expected


@FUZZ
@given(st.binary(max_size=300), st.lists(st.integers(0, 1000), max_size=8))
def test_sse_decoder_takes_any_bytes(raw: bytes, cuts: list[int]) -> None:
    decoder = SSEDecoder()
    events = [e for piece in _split(raw, cuts) for e in decoder.feed(piece)] + decoder.flush()
    assert all(isinstance(e.data, str) and isinstance(e.event, str) for e in events)


# ---------------------------------------------------------------------- stream parsers

stream_event = st.tuples(
    st.one_of(st.none(), st.sampled_from(WORDS)),
    st.one_of(wire_object.map(json.dumps), st.just("[DONE]"), st.text(max_size=8)),
)


def _sse(events: list[tuple[str | None, str]]) -> bytes:
    parts = [(f"event: {name}\n" if name else "") + f"data: {data}\n\n" for name, data in events]
    return "".join(parts).encode()


@FUZZ
@given(
    st.sampled_from(["openai", "anthropic"]),
    st.lists(stream_event, max_size=8),
    st.lists(st.integers(0, 5000), max_size=6),
)
def test_stream_parsers_raise_only_typed_errors(
    api_format: Any, events: list[Any], cuts: list[int]
) -> None:
    raw = _sse(events)
    whole, pieces = StreamParser(api_format), StreamParser(api_format)

    def run(parser: StreamParser, chunks: list[bytes]) -> list[Any]:
        out = [d for chunk in chunks if not parser.done for d in parser.feed(chunk)]
        return out + parser.finish()

    one = only_typed(run, whole, [raw])
    split = only_typed(run, pieces, _split(raw, cuts))
    assert (one is None) == (split is None)  # the split never changes the outcome...
    if one is not None:
        assert all(isinstance(d, dict) for d in one)
        # ...nor the text (deltas may be grouped differently).
        assert "".join(d.get("text", "") for d in one) == "".join(d.get("text", "") for d in split)


# Events shaped like each format's (right keys, any values), through both adapters end to end.
J = wire_json
oa_call = st.fixed_dictionaries(
    {},
    optional={
        "index": J,
        "id": J,
        "function": J | st.fixed_dictionaries({}, optional={"name": J, "arguments": J}),
    },
)
oa_delta = st.fixed_dictionaries(
    {},
    optional={
        "content": J,
        "reasoning_content": J,
        "role": J,
        "tool_calls": J | st.lists(oa_call | J, max_size=2),
    },
)
oa_chunk = st.fixed_dictionaries(
    {},
    optional={
        "id": J,
        "model": J,
        "choices": J
        | st.lists(
            st.fixed_dictionaries({}, optional={"delta": oa_delta | J, "finish_reason": J}),
            max_size=2,
        ),
        "usage": J | st.fixed_dictionaries({}, optional={"prompt_tokens": J, "total_tokens": J}),
    },
)
an_event = st.fixed_dictionaries(
    {"type": st.sampled_from(WORDS[9:16])},
    optional={
        "index": J,
        "content_block": J
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "tool_use", "thinking"])},
            optional={"text": J, "id": J, "name": J, "input": J, "thinking": J},
        ),
        "delta": J
        | st.fixed_dictionaries(
            {"type": st.sampled_from(WORDS[5:9])},
            optional={"text": J, "partial_json": J, "thinking": J, "stop_reason": J},
        ),
        "message": J | st.fixed_dictionaries({}, optional={"id": J, "model": J, "usage": J}),
        "usage": J,
    },
)


def _framed(api_format: str, events: list[dict[str, Any]], end: bool) -> bytes:
    if api_format == "anthropic":
        body = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
        return (body + ("event: message_stop\ndata: {}\n\n" if end else "")).encode()
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
    return (body + ("data: [DONE]\n\n" if end else "")).encode()


@settings(FUZZ, max_examples=60)
@given(
    st.sampled_from(["openai", "anthropic"]).flatmap(
        lambda f: st.tuples(
            st.just(f), st.lists(oa_chunk if f == "openai" else an_event, max_size=5)
        )
    ),
    st.booleans(),
)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_any_stream_through_the_adapters_ends_in_chunks_or_a_typed_error(
    framework: str, case: tuple[str, list[dict[str, Any]]], end: bool
) -> None:
    api_format, events = case
    raw = _framed(api_format, events, end)
    headers = {"content-type": "text/event-stream"}
    transport = httpx.MockTransport(lambda _: httpx.Response(200, content=raw, headers=headers))
    with httpx.Client(transport=transport) as http:
        model = make_model(
            framework,
            http,
            httpx.AsyncClient(),  # never used: this property runs the sync path only
            api_key="k",
            base_url="https://a.test/v",
            max_retries=0,
            api_format=api_format,
        )
        try:
            only_typed(lambda: asyncio.run(ask(model, "stream", "hi")))
        except ValueError as exc:
            refused: ValueError | None = exc
        else:
            refused = None
    if refused is not None:
        # LangChain's own verdict on a stream that ended cleanly without a single event
        # (what every LangChain chat model raises then); anything else must be typed.
        assert framework == "langchain"
        assert str(refused) == "No generation chunks were returned"


def _as_completion(chunk: dict[str, Any]) -> dict[str, Any]:
    """A ``chat.completion`` body from a chunk: each choice's delta becomes its message."""
    choices = chunk.get("choices")
    if isinstance(choices, list):
        chunk = {
            **chunk,
            "choices": [
                {"message": c.get("delta"), "finish_reason": c.get("finish_reason")}
                if isinstance(c, dict)
                else c
                for c in choices
            ],
        }
    return chunk


an_message = st.fixed_dictionaries(
    {
        "type": st.just("message"),
        "content": st.lists(an_event.map(lambda e: e.get("content_block"))),
    },
    optional={"id": J, "model": J, "stop_reason": J, "usage": J},
)


@settings(FUZZ, max_examples=60)
@given(
    st.one_of(
        st.tuples(st.just("openai"), oa_chunk.map(_as_completion)),
        st.tuples(st.just("anthropic"), an_message),
    )
)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_any_answer_body_through_the_adapters_ends_in_an_answer_or_a_typed_error(
    framework: str, case: tuple[str, dict[str, Any]]
) -> None:
    api_format, body = case
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json=body))
    with httpx.Client(transport=transport) as http:
        model = make_model(
            framework,
            http,
            httpx.AsyncClient(),  # never used: this property runs the sync path only
            api_key="k",
            base_url="https://a.test/v",
            max_retries=0,
            api_format=api_format,
        )
        only_typed(lambda: asyncio.run(ask(model, "invoke", "hi")))


# -------------------------------------------------------------- whole-body parsers


@FUZZ
@given(wire_object | wire_json)
def test_completion_parsers_raise_only_typed_errors(body: Any) -> None:
    for accepts, parse in (
        (_openai.is_completion, _openai.parse_completion),
        (_anthropic.is_message, _anthropic.parse_message),
    ):
        if only_typed(accepts, body):
            completion = only_typed(parse, body)
            if completion is not None:
                assert isinstance(completion["text"], str | None)
                assert deltas_from_completion(completion)


retry_after_text = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e400", "-5", "0", "2.5", "Wed, 21 Oct 2015"]),
    st.floats().map(str),
)


@FUZZ
@given(
    st.integers(100, 599) | st.sampled_from([200, 429, 500]),
    st.dictionaries(
        st.sampled_from(["retry-after", "retry-after-ms", "x-request-id", "cf-ray"]),
        retry_after_text,
    ),
    st.one_of(
        wire_object,
        wire_json,
        st.text(max_size=40),
        st.text(max_size=6).map(lambda t: {"error": {"message": f"bad key sk-x{t}"}, "key": t}),
        st.text(max_size=6).map(lambda t: f"<html>sk-x {t}</html>"),
    ),
)
def test_error_recogniser_always_returns_a_typed_error(
    status: int, headers: dict[str, str], body: Any
) -> None:
    error = error_from_response(status, httpx.Headers(headers), body, secret="sk-x", now=0.0)
    assert isinstance(error, mt.APIError)
    assert isinstance(error.retryable, bool)
    assert "sk-x" not in str(error)
    assert "sk-x" not in json.dumps(error.body)
    wait = parse_retry_after(httpx.Headers(headers), body, 0.0)
    # A wait is what a client sleeps: it must be a real, non-negative number of seconds.
    assert wait is None or 0 <= wait < math.inf
    if isinstance(error, mt.RateLimitError) and error.retry_after is not None:
        assert 0 <= error.retry_after < math.inf


@FUZZ
@given(st.binary(max_size=200), st.sampled_from(["application/json", "text/html", ""]))
@pytest.mark.parametrize("stream", [False, True])
def test_any_http_body_ends_in_an_answer_or_a_typed_error(
    stream: bool, raw: bytes, media: str
) -> None:
    headers = {"content-type": media} if media else {}
    handler = lambda _: httpx.Response(200, content=raw, headers=headers)  # noqa: E731
    request: mt.ChatRequest = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    with mt.ModelsLabClient(
        "k", base_url="https://a.test/v", max_retries=0, transport=httpx.MockTransport(handler)
    ) as client:
        if stream:
            only_typed(lambda: list(client.stream_chat(request)))
        else:
            only_typed(client.chat, request)


# ------------------------------------------------------------ adapters' converters

block_types = st.sampled_from(
    [
        "text",
        "image",
        "image_url",
        "tool_use",
        "tool_result",
        "thinking",
        "reasoning",
        "redacted_thinking",
        "json",
        "file",
        "audio",
        "document",
        "tool_call",
        "non_standard",
        "input_audio",
        "media",
        "server_tool_call",
    ]
) | st.text(max_size=5)
BLOCK_KEYS = [
    "text",
    "image_url",
    "url",
    "source",
    "base64",
    "data",
    "mime_type",
    "media_type",
    "id",
    "name",
    "input",
    "tool_use_id",
    "content",
    "json",
    "reasoning",
    "thinking",
    "detail",
    "args",
]
block = st.builds(
    lambda kind, rest: {"type": kind, **rest},
    block_types,
    st.dictionaries(st.sampled_from(BLOCK_KEYS), wire_json, max_size=4),
) | st.text(max_size=8)
content = st.text(max_size=10) | st.lists(block, max_size=4)
# Tool arguments a caller built by hand may hold values JSON cannot take.
arg_value = wire_json | st.frozensets(st.integers(0, 3), max_size=2)
tool_call = st.fixed_dictionaries(
    {"name": st.text(max_size=5), "args": st.dictionaries(st.text(max_size=3), arg_value)},
    optional={"id": st.none() | st.text(max_size=5)},
)


def _lc_message(kind: str, body: Any, extra: Any) -> BaseMessage:
    if kind == "human":
        return HumanMessage(content=body)
    if kind == "system":
        return SystemMessage(content=body)
    if kind == "tool":
        return ToolMessage(content=body, tool_call_id=str(extra))
    if kind == "ai":
        return AIMessage(content=body, tool_calls=extra if isinstance(extra, list) else [])
    return ChatMessage(content=body, role=str(extra))


lc_message = st.builds(
    lambda kind, body, extra: (kind, body, extra),
    st.sampled_from(["human", "system", "tool", "ai", "chat"]),
    content,
    st.lists(tool_call, max_size=2) | st.sampled_from(["user", "assistant", "system", "x"]),
)


# A catalog model that takes no images.
TEXT_ONLY = mt.get_model_info("Qwen-Qwen2.5-7B")


@FUZZ
@given(st.lists(lc_message, min_size=1, max_size=4), st.booleans())
def test_langchain_converter_raises_only_documented_errors(specs: list[Any], images: bool) -> None:
    try:
        messages = [_lc_message(*spec) for spec in specs]
    except (ValidationError, ValueError, TypeError):
        assume(False)  # LangChain itself refused the message
    try:
        wire = convert_messages(messages)
        # The same conversation to a model that takes images, and to one that does not.
        mt.build_chat_request("m" if images else TEXT_ONLY.id, wire)
    except mt.UnsupportedContentError as exc:
        refused: Exception = exc
    else:
        _check_wire(wire)
        return
    assert str(refused)  # says what was wrong


def _check_wire(wire: list[Any]) -> None:
    """The converted messages go through both request builders and serialize to JSON."""
    request: mt.ChatRequest = {"model": "m", "messages": wire}
    for build in (_openai.build_body, _anthropic_request.build_body):
        body = only_typed(lambda b=build: b(request, stream=False))  # type: ignore[misc]
        if body is not None:
            json.dumps(body)


li_block = st.one_of(
    st.builds(li.TextBlock, text=st.text(max_size=10)),
    st.builds(li.ThinkingBlock, content=st.none() | st.text(max_size=10)),
    st.builds(
        li.ToolCallBlock,
        tool_call_id=st.none() | st.text(max_size=5),
        tool_name=st.text(max_size=5),
        tool_kwargs=st.dictionaries(st.text(max_size=3), arg_value, max_size=3)
        | st.text(max_size=8),
    ),
    st.builds(
        li.ImageBlock, url=st.sampled_from(["https://x.test/a.png", "data:image/png;base64,AA"])
    ),
    st.builds(li.ImageBlock, image=st.binary(min_size=1, max_size=16)),
    st.builds(li.AudioBlock, audio=st.binary(min_size=1, max_size=8)),
    st.builds(li.DocumentBlock, data=st.binary(min_size=1, max_size=8)),
)
li_message = st.builds(
    lambda role, blocks, kwargs: li.ChatMessage(role=role, blocks=blocks, additional_kwargs=kwargs),
    st.sampled_from(list(li.MessageRole)),
    st.lists(li_block, max_size=3),
    st.dictionaries(st.sampled_from(["tool_call_id", "tool_calls", "name"]), wire_json),
)


@FUZZ
@given(st.lists(li_message, min_size=1, max_size=4))
def test_llama_index_converter_raises_only_documented_errors(
    messages: list[li.ChatMessage],
) -> None:
    try:
        wire = to_wire_messages(messages)
    except ValueError as exc:
        refused: Exception = exc
    else:
        _check_wire(wire)
        return
    assert type(refused) is mt.ConfigurationError  # not a parse error that happens to be one
    assert str(refused)


# --------------------------------------------- hostile JSON text: depth, huge and odd numbers

hostile_number = st.sampled_from(
    ["1e999", "-1e999", "NaN", "Infinity", "-Infinity", "1" * 5000, "1e308", "-0", "0.0"]
)
hostile_leaf = hostile_number | st.sampled_from(['"x"', "null", "true", "[]", "{}", "3"])


def _nest(depth: int, leaf: str, key: str) -> str:
    opener, closer = ('{"%s": ' % key, "}") if depth % 2 else ("[", "]")  # noqa: UP031
    return opener * depth + leaf + closer * depth


hostile_text = st.builds(
    lambda depth, leaf, key, where: where.replace("LEAF", _nest(depth, leaf, key)),
    st.integers(0, 1200),
    hostile_leaf,
    st.sampled_from(KEYS),
    st.sampled_from(
        [
            "LEAF",
            '{"choices": [{"index": 0, "message": {"role": "assistant", "content": LEAF}}]}',
            '{"choices": [{"index": 0, "message": {"content": "hi"}}], "usage": {"prompt_tokens": LEAF}}',  # noqa: E501
            '{"choices": [{"index": LEAF, "delta": {"tool_calls": [{"index": LEAF}]}}]}',
            '{"type": "message", "content": [], "stop_reason": "end_turn", "usage": LEAF}',
            '{"error": {"code": LEAF, "message": LEAF}}',
        ]
    ),
)


@FUZZ
@given(hostile_text, st.sampled_from(["openai", "anthropic"]))
@pytest.mark.parametrize("stream", [False, True])
def test_hostile_json_text_ends_in_an_answer_or_a_typed_error(
    stream: bool, text: str, api_format: Any
) -> None:
    """Deep nesting, infinities, NaN and 5,000-digit numbers, in bodies and in SSE lines."""
    if stream:
        parser = StreamParser(api_format)
        body = f"data: {text}\n\ndata: [DONE]\n\n".encode()
        only_typed(lambda: [*parser.feed(body), *parser.finish()])
        return

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=text.encode(), headers={"content-type": "application/json"}
        )

    request: mt.ChatRequest = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    client = mt.ModelsLabClient(
        "k", base_url="https://a.test/v", max_retries=0, transport=httpx.MockTransport(handler)
    )
    with client:
        only_typed(lambda: client.chat(request, api_format=api_format))
