"""Messages format: the body ModelsLabLLM sends equals llama-index's Anthropic LLM's.

``ModelsLabLLM(api_format="anthropic")`` and ``llama_index.llms.anthropic.Anthropic`` get the
same LlamaIndex messages and talk to one loopback server in this process (``anthropic_wire``,
in this folder's conftest) that records each body and answers like Messages; nothing leaves
the machine. Bodies are compared field by field; the fields that differ on purpose are listed
once in docs/modelslab-api.md §4.1, which this test reads: a difference not listed fails, and
so does a listed difference that no case shows any more.

The installed peers disagree with each other: llama-index-llms-anthropic 0.12.3 (the newest)
calls anthropic's ``MessageParam`` and ``BetaMessageParam`` (``Union``s in the anthropic SDK
2.x, no longer ``TypedDict``s) and passes ``temperature`` to ``messages.create`` (which 2.x no
longer takes). ``_peer`` and ``_body`` bridge exactly that, in this test only: the two names
build the dict they built, and ``create``'s keyword arguments are posted as they are, through
the peer's own SDK client (its serialization, its HTTP, its response and event parsing).
Images are given as bytes: the peer downloads URLs.
"""

from __future__ import annotations

import asyncio
import functools
import warnings
from collections.abc import Callable
from typing import Any

import anthropic
import llama_index.llms.anthropic.utils as peer_utils
import pytest
from anthropic.types import Message, RawMessageStreamEvent
from llama_index.core.base.llms.types import (
    CacheControl,
    CachePoint,
    ChatMessage,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.llms.anthropic import Anthropic
from pydantic import BaseModel

from llama_index_modelslab import ModelsLabLLM

# A name the Anthropic LLM knows, without native structured outputs there (so it answers
# structured_predict with a tool call, as ours does); unknown to our catalog: sent as asked.
MODEL = "claude-sonnet-4-0"
MARKER = "differences-from-anthropic-llm"
PNG = b"\x89PNG\r\n\x1a\n"
THINKING = {"type": "enabled", "budget_tokens": 1024}
POINT = CachePoint(cache_control=CacheControl(type="ephemeral"))
IMAGE = ImageBlock(image=PNG, image_mimetype="image/png")


class Answer(BaseModel):
    """An answer."""

    a: int


def _get_weather(city: str) -> str:
    """Weather of a city."""
    return "sunny"


TOOL = FunctionTool.from_defaults(fn=_get_weather, name="get_weather")
CALL = ToolCallBlock(tool_call_id="toolu_1", tool_name="get_weather", tool_kwargs={"city": "P"})
ASK = ChatMessage(role="user", content="Weather in Paris?")
HI = [ChatMessage(role="user", content="Hi")]


def _result(*blocks: Any, **extra: Any) -> ChatMessage:
    kwargs = {"tool_call_id": "toolu_1", **extra}
    return ChatMessage(role="tool", blocks=list(blocks), additional_kwargs=kwargs)


LOOP = [ASK, ChatMessage(role="assistant", blocks=[CALL]), _result(TextBlock(text="sunny"))]
SIGNED = ThinkingBlock(content="I should look.", additional_information={"signature": "sig-A=="})


async def _astream(model: Any) -> list[Any]:
    return [r async for r in await model.astream_chat(HI)]


CASES: dict[str, Callable[[Any], Any]] = {
    "text": lambda m: m.chat(HI),
    "images": lambda m: m.chat(
        [
            ChatMessage(
                role="user",
                blocks=[
                    TextBlock(text="What is this?"),
                    ImageBlock(image=PNG, image_mimetype="image/png"),
                    ImageBlock(image=PNG, image_mimetype="image/png", detail="low"),
                ],
            )
        ]
    ),
    "tools": lambda m: m.chat_with_tools([TOOL], "Weather in Paris?"),
    "forced tool": lambda m: m.chat_with_tools([TOOL], "Weather?", tool_required=True),
    "parallel tools": lambda m: m.chat_with_tools([TOOL], "W?", allow_parallel_tool_calls=True),
    "tool result": lambda m: m.chat_with_tools([TOOL], chat_history=list(LOOP)),
    "tool result with image": lambda m: m.chat_with_tools(
        [TOOL],
        chat_history=[*LOOP[:2], _result(TextBlock(text="shot"), IMAGE)],
    ),
    "failed tool result": lambda m: m.chat_with_tools(
        [TOOL], chat_history=[*LOOP[:2], _result(TextBlock(text="boom"), is_error=True)]
    ),
    "several system messages": lambda m: m.chat(
        [
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(role="system", content="Be kind."),
            *HI,
        ]
    ),
    "cache points": lambda m: m.chat(
        [
            ChatMessage(
                role="user",
                blocks=[TextBlock(text="Long doc."), POINT, IMAGE, POINT],
            ),
            ChatMessage(role="assistant", blocks=[TextBlock(text="Read."), POINT]),
            ChatMessage(
                role="user",
                content="Summary?",
                additional_kwargs={"cache_control": {"type": "ephemeral"}},
            ),
        ]
    ),
    "cache point on a tool result": lambda m: m.chat_with_tools(
        [TOOL], chat_history=[*LOOP[:2], _result(TextBlock(text="sunny"), POINT)]
    ),
    "cache point on the system prompt": lambda m: m.chat(
        [ChatMessage(role="system", blocks=[TextBlock(text="Rules."), POINT]), *HI]
    ),
    "structured output": lambda m: m.structured_predict(
        Answer, PromptTemplate("Give a for {x}."), x="y"
    ),
    "thinking with signature replay": lambda m: m.chat_with_tools(
        [TOOL],
        chat_history=[ASK, ChatMessage(role="assistant", blocks=[SIGNED, CALL]), LOOP[2]],
    ),
    "forced tool with thinking": lambda m: m.chat_with_tools([TOOL], "W?", tool_required=True),
    "sampling": lambda m: m.chat(HI, temperature=0.5, max_tokens=50, stop_sequences=["x"]),
    "streamed": lambda m: list(m.stream_chat(HI)),
    "async": lambda m: asyncio.run(m.achat_with_tools([TOOL], chat_history=list(LOOP))),
    "async streamed": lambda m: asyncio.run(_astream(m)),
}


class _Create:
    """``messages.create`` taking what the peer gives it, posted through the peer's client."""

    def __init__(self, client: Any, stream_cls: Any) -> None:
        self._client = client
        self._stream_cls = stream_cls

    def create(self, *, stream: bool = False, **body: Any) -> Any:
        return self._client.post(
            "/v1/messages",
            body={**body, "stream": stream},
            cast_to=Message,
            stream=stream,
            stream_cls=self._stream_cls[RawMessageStreamEvent],
        )


def _peer(url: str, **settings: Any) -> Anthropic:
    peer = Anthropic(model=MODEL, api_key="k", base_url=url, max_retries=0, **settings)
    client: Any = peer._client
    aclient: Any = peer._aclient
    client.messages = _Create(client, anthropic.Stream)
    aclient.messages = _Create(aclient, anthropic.AsyncStream)
    return peer


@functools.cache
def _body(wire: Any, cls: str, case: str) -> dict[str, Any]:
    model: Any
    thinking = case.endswith("with thinking")
    if cls == "ours":
        model = ModelsLabLLM(
            model=MODEL, api_key="k", base_url=wire.url, api_format="anthropic", max_retries=0
        )
        if thinking:
            model = model.model_copy(update={"thinking": THINKING, "max_tokens": 4096})
    else:
        model = (
            _peer(wire.url, thinking_dict=THINKING, max_tokens=4096)
            if thinking
            else _peer(wire.url)
        )
    wire.bodies.clear()
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ours: the forced tool left to the model
        if cls == "peer":  # builds the dict it built with anthropic 1.x
            patch.setattr(peer_utils, "MessageParam", dict)
            patch.setattr(peer_utils, "BetaMessageParam", dict)
        CASES[case](model)
    return wire.bodies[-1]


@functools.cache
def _diff(wire: Any, case: str) -> frozenset[str]:
    return frozenset(wire.differences(_body(wire, "ours", case), _body(wire, "peer", case)))


@pytest.mark.parametrize("case", list(CASES))
def test_body_equals_anthropic_llm(anthropic_wire: Any, case: str) -> None:
    assert anthropic_wire.unlisted(_diff(anthropic_wire, case), MARKER) == set()


def test_each_listed_difference_is_still_seen(anthropic_wire: Any) -> None:
    found = frozenset().union(*(_diff(anthropic_wire, case) for case in CASES))
    assert anthropic_wire.unseen(found, MARKER) == set()


def _blocks(body: dict[str, Any], turn: int) -> list[dict[str, Any]]:
    content = body["messages"][turn]["content"]
    return content if isinstance(content, list) else [{"type": "text", "text": content}]


def _marked(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["type"] for b in blocks if "cache_control" in b]


# What each case is there for, true of both bodies: a case that stopped carrying its feature
# would compare nothing.
FEATURES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "images": lambda b: [x["type"] for x in _blocks(b, 0)] == ["text", "image", "image"],
    "tools": lambda b: b["tools"][0]["name"] == "get_weather",
    "forced tool": lambda b: b["tool_choice"]["type"] in ("any", "tool"),
    "parallel tools": lambda b: not (b.get("tool_choice") or {}).get("disable_parallel_tool_use"),
    "tool result": lambda b: _blocks(b, 2)[0]["type"] == "tool_result",
    "tool result with image": lambda b: (
        [x["type"] for x in _blocks(b, 2)[0]["content"]] == ["text", "image"]
    ),
    "cache points": lambda b: (
        (_marked(_blocks(b, 0)), _marked(_blocks(b, 1)), _marked(_blocks(b, 2)))
        == (["text", "image"], ["text"], ["text"])
    ),
    "cache point on a tool result": lambda b: _marked(_blocks(b, 2)[0]["content"]) == ["text"],
    "structured output": lambda b: b["tools"][0]["name"] == "Answer",
    "thinking with signature replay": lambda b: (
        _blocks(b, 1)[0]
        == {"type": "thinking", "thinking": "I should look.", "signature": "sig-A=="}
    ),
    "sampling": lambda b: (
        (b["temperature"], b["max_tokens"], b["stop_sequences"]) == (0.5, 50, ["x"])
    ),
    "forced tool with thinking": lambda b: (
        b["thinking"] == THINKING and b["tool_choice"]["type"] == "auto"
    ),
    "streamed": lambda b: b["stream"] is True,
    "async": lambda b: _blocks(b, 2)[0]["type"] == "tool_result",
    "async streamed": lambda b: b["stream"] is True,
}


@pytest.mark.parametrize("case", [c for c in CASES if c in FEATURES])
@pytest.mark.parametrize("cls", ["ours", "peer"])
def test_each_case_carries_what_it_is_named_for(anthropic_wire: Any, cls: str, case: str) -> None:
    assert FEATURES[case](_body(anthropic_wire, cls, case))


def test_ours_carries_what_the_peer_drops(anthropic_wire: Any) -> None:
    failed = _blocks(_body(anthropic_wire, "ours", "failed tool result"), 2)[0]
    assert failed["is_error"] is True
    system = _body(anthropic_wire, "ours", "cache point on the system prompt")["system"]
    assert system == [
        {"type": "text", "text": "Rules.", "cache_control": {"type": "ephemeral", "ttl": "5m"}}
    ]
