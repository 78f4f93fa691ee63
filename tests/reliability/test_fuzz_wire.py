"""Property tests of the transport: whatever arrives, only our typed errors come out.

The request builder, the SSE decoder, both stream parsers, the whole-body parsers, the error
recogniser and the sync client, each fed wire-shaped random input (``fuzz_shapes.py``), hostile
JSON text (deep nesting, infinities, 5,000-digit numbers) or any bytes at all. Allowed
failures: ``ModelsLabError`` subclasses only.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import modelslab_transport as mt
from modelslab_transport import _anthropic, _anthropic_request, _openai
from modelslab_transport._error_map import error_from_response, parse_retry_after
from modelslab_transport._sse import SSEDecoder, SSEEvent
from modelslab_transport._stream import StreamParser, deltas_from_completion

from .fuzz_shapes import FUZZ, KEYS, WORDS, only_typed, split_at, wire_json, wire_object

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
    got = [e for piece in split_at(raw, cuts) for e in decoder.feed(piece)]
    assert got + decoder.flush() == expected


@FUZZ
@given(st.binary(max_size=300), st.lists(st.integers(0, 1000), max_size=8))
def test_sse_decoder_takes_any_bytes(raw: bytes, cuts: list[int]) -> None:
    decoder = SSEDecoder()
    events = [e for piece in split_at(raw, cuts) for e in decoder.feed(piece)] + decoder.flush()
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
    split = only_typed(run, pieces, split_at(raw, cuts))
    assert (one is None) == (split is None)  # the split never changes the outcome...
    if one is not None:
        assert all(isinstance(d, dict) for d in one)
        # ...nor the text (deltas may be grouped differently).
        assert "".join(d.get("text", "") for d in one) == "".join(d.get("text", "") for d in split)


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
