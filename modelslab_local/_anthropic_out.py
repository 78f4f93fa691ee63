"""Rendering an engine answer as a Messages body or the standard Anthropic event stream.

The stream (``docs/modelslab-api.md`` §4.3) is ``message_start``, ``ping``, per block
``content_block_start`` / ``_delta`` / ``_stop``, ``message_delta`` (stop reason and output
usage), ``message_stop``. There is no ``[DONE]``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from . import _tokens
from ._engine import EngineAnswer, EngineUsage
from ._sse import Event, data_event

JSON = dict[str, Any]

ARGUMENT_FRAGMENT = 8
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def stop_reason(answer: EngineAnswer) -> str:
    """The Anthropic stop reason for an answer."""
    if answer.stop_sequence is not None:
        return "stop_sequence"
    return _STOP_REASONS.get(answer.finish_reason, answer.finish_reason)


def _signature(text: str) -> str:
    # Stands in for the opaque signature real thinking blocks carry.
    return hashlib.sha256(text.encode()).hexdigest()


def _usage(usage: EngineUsage | None) -> JSON:
    usage = usage or EngineUsage(0, 0)
    return {
        "input_tokens": usage.prompt_tokens,
        "output_tokens": usage.completion_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


def _blocks(answer: EngineAnswer) -> list[JSON]:
    blocks: list[JSON] = []
    if answer.reasoning:
        blocks.append(
            {
                "type": "thinking",
                "thinking": answer.reasoning,
                "signature": _signature(answer.reasoning),
            }
        )
    if answer.text:
        blocks.append({"type": "text", "text": answer.text})
    for call in answer.tool_calls:
        try:
            arguments = json.loads(call.arguments or "{}")
        except ValueError:
            arguments = {}
        blocks.append(
            {
                "type": "tool_use",
                "id": f"toolu_{uuid.uuid4().hex[:24]}",
                "name": call.name,
                "input": arguments,
            }
        )
    return blocks


def message(answer: EngineAnswer, model: str) -> JSON:
    """A ``message`` body."""
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _blocks(answer),
        "stop_reason": stop_reason(answer),
        "stop_sequence": answer.stop_sequence,
        "usage": _usage(answer.usage),
    }


def _named(kind: str, payload: JSON) -> Event:
    return data_event(kind, payload, event=payload["type"])


def _block_events(index: int, block: JSON) -> list[Event]:
    kind = block["type"]
    if kind == "thinking":
        start: JSON = {"type": "thinking", "thinking": ""}
        deltas = [
            {"type": "thinking_delta", "thinking": p}
            for p in _tokens.split_pieces(block["thinking"], 3)
        ]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif kind == "text":
        start = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in _tokens.split_pieces(block["text"], 2)]
    else:
        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
        raw = json.dumps(block["input"], ensure_ascii=False)
        deltas = [
            {"type": "input_json_delta", "partial_json": raw[at : at + ARGUMENT_FRAGMENT]}
            for at in range(0, len(raw), ARGUMENT_FRAGMENT)
        ]
    events = [
        _named("content", {"type": "content_block_start", "index": index, "content_block": start})
    ]
    events += [
        _named("content", {"type": "content_block_delta", "index": index, "delta": d})
        for d in deltas
    ]
    events.append(_named("content", {"type": "content_block_stop", "index": index}))
    return events


def stream(answer: EngineAnswer, model: str) -> list[Event]:
    """The event sequence for ``answer``."""
    body = message(answer, model)
    usage = body["usage"]
    start = {**body, "content": [], "stop_reason": None, "stop_sequence": None}
    start["usage"] = {**usage, "output_tokens": 1}
    events = [_named("start", {"type": "message_start", "message": start})]
    events.append(_named("comment", {"type": "ping"}))
    for index, block in enumerate(body["content"]):
        events += _block_events(index, block)
    delta = {"stop_reason": body["stop_reason"], "stop_sequence": body["stop_sequence"]}
    events.append(
        _named(
            "finish",
            {
                "type": "message_delta",
                "delta": delta,
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        )
    )
    events.append(_named("done", {"type": "message_stop"}))
    return events
