"""Property tests of the adapters: any stream or answer, any message, only documented errors.

Events and bodies shaped like each format's (right keys, any values) go through both adapters
end to end; random LangChain and LlamaIndex messages go through their converters and both
request builders. Allowed failures: ``ModelsLabError`` subclasses; the converters refuse input
with ``ConfigurationError`` (``UnsupportedContentError`` for LangChain), raised before anything
is sent.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import assume, given, settings
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
from modelslab_transport import _anthropic_request, _openai

from .fuzz_shapes import DELTA_TYPES, EVENT_TYPES, FUZZ, only_typed, wire_json
from .harness import FRAMEWORKS, ask, make_model

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
    {"type": st.sampled_from(EVENT_TYPES)},
    optional={
        "index": J,
        "content_block": J
        | st.fixed_dictionaries(
            {"type": st.sampled_from(["text", "tool_use", "thinking"])},
            optional={"text": J, "id": J, "name": J, "input": J, "thinking": J},
        ),
        "delta": J
        | st.fixed_dictionaries(
            {"type": st.sampled_from(DELTA_TYPES)},
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


def _ask_sync(framework: str, api_format: str, mode: str, **response: Any) -> Any:
    """One sync call (``invoke`` or ``stream``) to a server answering ``httpx.Response(200,
    **response)``; a ``ModelsLabError`` is fine, any other error propagates."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, **response))
    with httpx.Client(transport=transport) as http:
        model = make_model(
            framework,
            http,
            httpx.AsyncClient(),  # never used: these properties run the sync path only
            api_key="k",
            base_url="https://a.test/v",
            max_retries=0,
            api_format=api_format,
        )
        return only_typed(lambda: asyncio.run(ask(model, mode, "hi")))


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
    try:
        _ask_sync(framework, api_format, "stream", content=raw, headers=headers)
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
    _ask_sync(framework, api_format, "invoke", json=body)


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
