"""The context-length lookup of a model the catalog does not list, against real sockets.

``ModelsLabLLM`` asks ``GET /v1/models`` once for such a model's context length. An async
call asks it first (a metadata read from async code never does I/O), inside that call's
deadline; a sync metadata read asks it within the model's deadline; and a lookup that gives
up closes its connection.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate

from llama_index_modelslab import ModelsLabLLM
from modelslab_transport import APITimeoutError
from modelslab_transport._constants import UNKNOWN_CONTEXT_WINDOW

from .rawserver import CLOSE, HOLD, JSON, RawServer, Step, head

MODEL = "my-org/tiny-model"
WINDOW = 2048
_ANSWER = {
    "id": "c1",
    "object": "chat.completion",
    "model": MODEL,
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
}
_MODELS = {"object": "list", "data": [{"id": MODEL, "object": "model", "context_length": WINDOW}]}
_EVENTS = (
    b'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'
    b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)
# A deadline must hold within half a second; the rest absorbs a loaded two-core machine.
SLACK = 0.5 + 0.5


def _closing(content_type: str, body: bytes) -> tuple[bytes, list[Step]]:
    """A whole answer on a connection the server then closes (so only a lookup's may stay)."""
    head = (
        f"HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode()
    return head + body, [CLOSE]


def _server(models: list[Step], chat: list[Step] | None = None) -> RawServer:
    """``/v1/models`` answers with ``models`` (after a JSON head); chats answer at once."""

    def script(path: str, body: bytes) -> list[Step] | tuple[bytes, list[Step]]:
        if path.endswith("/models"):
            return head(JSON), models
        if chat is not None:
            return chat
        if json.loads(body).get("stream"):
            return _closing("text/event-stream", _EVENTS)
        return _closing(JSON, json.dumps(_ANSWER).encode())

    return RawServer(script, with_path=True)


def _trickle(pause: float = 0.1, count: int = 200) -> list[Step]:
    """A body that never ends in time: one byte every ``pause`` seconds."""
    steps: list[Step] = [b"{"]
    for _ in range(count):
        steps += [pause, b" "]
    return steps


def _llm(raw: RawServer, **settings: Any) -> ModelsLabLLM:
    return ModelsLabLLM(model=MODEL, api_key="k", base_url=raw.base_url, max_retries=0, **settings)


_M = [ChatMessage(role="user", content="Hi")]


async def _text(gen: Awaitable[Any]) -> str:
    responses = [r async for r in await gen]
    last = responses[-1]
    return str(last.message.content if hasattr(last, "message") else last.text)


async def _whole(call: Awaitable[Any]) -> str:
    result = await call
    return str(result.message.content if hasattr(result, "message") else result.text)


CALLS: dict[str, Callable[[ModelsLabLLM, dict[str, Any]], Awaitable[str]]] = {
    "achat": lambda llm, kw: _whole(llm.achat(_M, **kw)),
    "acomplete": lambda llm, kw: _whole(llm.acomplete("Hi", **kw)),
    "astream_chat": lambda llm, kw: _text(llm.astream_chat(_M, **kw)),
    "astream_complete": lambda llm, kw: _text(llm.astream_complete("Hi", **kw)),
}


@pytest.mark.parametrize("call", list(CALLS))
async def test_an_async_only_user_learns_the_reported_window(call: str) -> None:
    """The first async call asks; later metadata reads (from async code) see the answer."""
    with _server([json.dumps(_MODELS).encode(), b""]) as raw:
        llm = _llm(raw)
        assert llm.metadata.context_window == UNKNOWN_CONTEXT_WINDOW  # nothing known yet
        assert raw.requests == 0  # and nothing asked from async code
        assert await CALLS[call](llm, {}) == "hi"
        assert llm.metadata.context_window == WINDOW
        assert await CALLS[call](llm, {}) == "hi"
        assert raw.requests == 3  # one lookup, two answers
        await llm.aclose()


@pytest.mark.parametrize("call", list(CALLS))
async def test_a_slow_lookup_leaves_the_call_its_answer_within_its_deadline(call: str) -> None:
    """A model list that never comes costs at most half of the call's deadline."""
    with _server([HOLD]) as raw:
        llm = _llm(raw)
        started = time.monotonic()
        assert await CALLS[call](llm, {"deadline": 2.0}) == "hi"
        assert time.monotonic() - started <= 2.0 + SLACK
        assert llm.metadata.context_window == UNKNOWN_CONTEXT_WINDOW  # given up: the default
        await llm.aclose()


@pytest.mark.parametrize("call", ["achat", "astream_chat"])
async def test_the_lookup_and_the_call_together_end_at_the_deadline(call: str) -> None:
    """When the answer never comes either, the call fails at its deadline, lookup included."""
    with _server(_trickle(), chat=[HOLD]) as raw:
        llm = _llm(raw)
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="deadline"):
            await CALLS[call](llm, {"deadline": 3.0})
        assert time.monotonic() - started <= 3.0 + SLACK
        await llm.aclose()


def test_a_sync_metadata_read_asks_within_the_models_deadline() -> None:
    """``predict`` reads metadata (the lookup) before it sends: both within the deadline."""
    with _server(_trickle()) as raw:
        llm = _llm(raw, deadline=1.0)
        started = time.monotonic()
        assert llm.predict(PromptTemplate("{q}"), q="Hi") == "hi"
        assert time.monotonic() - started <= 1.0 + SLACK
        llm.close()


@pytest.mark.parametrize("models", [HOLD, "trickle"])
async def test_an_abandoned_lookup_closes_its_connection_async(models: str) -> None:
    with _server([HOLD] if models == HOLD else _trickle()) as raw:
        llm = _llm(raw)
        started = time.monotonic()
        assert await llm.achat(_M, deadline=1.0) is not None
        assert time.monotonic() - started <= 1.0 + SLACK
        assert raw.wait_closed(1.0), f"{raw.live} connection(s) left open by the lookup"
        await llm.aclose()


@pytest.mark.parametrize("models", [HOLD, "trickle"])
def test_an_abandoned_lookup_closes_its_connection_sync(models: str) -> None:
    with _server([HOLD] if models == HOLD else _trickle()) as raw:
        llm = _llm(raw, deadline=1.0)
        started = time.monotonic()
        assert llm.metadata.context_window == UNKNOWN_CONTEXT_WINDOW
        assert time.monotonic() - started <= 1.0 + SLACK
        assert raw.wait_closed(1.0), f"{raw.live} connection(s) left open by the lookup"
        llm.close()


def test_the_lookup_bound_is_half_the_deadline_at_most_discovery() -> None:
    from modelslab_transport._constants import DISCOVERY_DEADLINE
    from modelslab_transport._deadline import lookup_deadline

    assert lookup_deadline(None) == DISCOVERY_DEADLINE
    assert lookup_deadline(2.0) == 1.0
    assert lookup_deadline(60.0) == DISCOVERY_DEADLINE
