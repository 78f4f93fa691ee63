"""Rendering an engine answer as a Chat Completions body or chunk stream.

The shapes: ``docs/modelslab-api.md`` §3.2 and §3.3.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from . import _tokens
from ._engine import EngineAnswer, EngineUsage
from ._sse import Event, comment_event, data_event

JSON = dict[str, Any]

# Characters of tool-call arguments per streamed fragment: small enough that every call
# arrives in several fragments, as from real upstreams.
ARGUMENT_FRAGMENT = 8


def new_ids(count: int) -> tuple[str, list[str]]:
    """A completion id and ``count`` tool-call ids."""
    return f"chatcmpl-{uuid.uuid4().hex[:24]}", [
        f"call_{uuid.uuid4().hex[:24]}" for _ in range(count)
    ]


def usage_json(usage: EngineUsage | None) -> JSON:
    """OpenAI usage object, with reasoning tokens in the details."""
    usage = usage or EngineUsage(0, 0)
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def _logprob(piece: str, rank: int) -> float:
    """A fixed, plausible log probability: the same piece always gets the same number."""
    return -round(0.05 + (sum(piece.encode()) % 97) / 100 + rank * 0.7, 4)


def token_logprobs(pieces: list[str], top: int) -> list[JSON]:
    """Chat Completions' ``logprobs.content`` for ``pieces``, with ``top`` alternatives each.

    The engine is not a language model: the numbers are deterministic stand-ins, shaped
    exactly like the real field so clients can be tested end to end.
    """
    return [
        {
            "token": piece,
            "logprob": _logprob(piece, 0),
            "bytes": list(piece.encode()),
            "top_logprobs": [
                {"token": alt, "logprob": _logprob(piece, rank), "bytes": list(alt.encode())}
                for rank, alt in enumerate([piece, *(f"{piece}{'~' * r}" for r in range(1, top))])
            ][:top],
        }
        for piece in pieces
    ]


def completion(
    answer: EngineAnswer,
    model: str,
    top_logprobs: int | None = None,
    more: Sequence[EngineAnswer] = (),
) -> JSON:
    """A ``chat.completion`` body: one choice per answer (``answer``, then ``more``).

    With log probabilities when ``top_logprobs`` is set; usage counts the prompt once and
    every choice's completion.
    """
    answers = [answer, *more]
    completion_id, call_ids = new_ids(sum(len(a.tool_calls) for a in answers))
    ids = iter(call_ids)
    choices = [_choice(i, a, ids, top_logprobs) for i, a in enumerate(answers)]
    usages = [a.usage or EngineUsage(0, 0) for a in answers]
    usage = EngineUsage(
        usages[0].prompt_tokens,
        sum(u.completion_tokens for u in usages),
        sum(u.reasoning_tokens for u in usages),
    )
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": choices,
        "usage": usage_json(usage),
    }


def _choice(index: int, answer: EngineAnswer, ids: Iterator[str], top_logprobs: int | None) -> JSON:
    pieces = _tokens.split_pieces(answer.text or "", 2)
    logprobs = None if top_logprobs is None else {"content": token_logprobs(pieces, top_logprobs)}
    message: JSON = {"role": "assistant", "content": answer.text}
    if answer.reasoning:
        message["reasoning_content"] = answer.reasoning
    if answer.tool_calls:
        message["tool_calls"] = [
            {
                "id": next(ids),
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for c in answer.tool_calls
        ]
    return {
        "index": index,
        "message": message,
        "finish_reason": answer.finish_reason,
        "logprobs": logprobs,
    }


class _Chunker:
    """Builds ``chat.completion.chunk`` events sharing one id, model and timestamp."""

    def __init__(self, model: str, completion_id: str) -> None:
        self.base = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }

    def delta(
        self, kind: str, delta: JSON, finish: str | None = None, logprobs: JSON | None = None
    ) -> Event:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": logprobs}
        return data_event(kind, {**self.base, "choices": [choice]})

    def usage(self, usage: EngineUsage | None) -> Event:
        return data_event("usage", {**self.base, "choices": [], "usage": usage_json(usage)})


def stream(
    answer: EngineAnswer, model: str, *, include_usage: bool, top_logprobs: int | None = None
) -> list[Event]:
    """Chunk events for ``answer``.

    In order: a keep-alive comment, the role chunk, reasoning and content deltas, tool-call
    fragments, the finish chunk, an optional usage chunk (empty ``choices``), ``[DONE]``.
    """
    completion_id, call_ids = new_ids(len(answer.tool_calls))
    chunk = _Chunker(model, completion_id)
    events = [comment_event(), chunk.delta("start", {"role": "assistant", "content": ""})]
    for piece in _tokens.split_pieces(answer.reasoning or "", 3):
        events.append(chunk.delta("content", {"reasoning_content": piece}))
    pieces = _tokens.split_pieces(answer.text or "", 2)
    for i, piece in enumerate(pieces):
        logprobs = (
            None if top_logprobs is None else {"content": token_logprobs([piece], top_logprobs)}
        )
        events.append(chunk.delta("content", {"content": piece}, logprobs=logprobs))
        if i == len(pieces) // 2 and len(pieces) > 4:
            events.append(comment_event())
    for index, (call_id, call) in enumerate(zip(call_ids, answer.tool_calls, strict=True)):
        first = {"index": index, "id": call_id, "type": "function"}
        events.append(
            chunk.delta(
                "content",
                {"tool_calls": [{**first, "function": {"name": call.name, "arguments": ""}}]},
            )
        )
        for at in range(0, len(call.arguments), ARGUMENT_FRAGMENT):
            fragment = call.arguments[at : at + ARGUMENT_FRAGMENT]
            args = {"index": index, "function": {"arguments": fragment}}
            events.append(chunk.delta("content", {"tool_calls": [args]}))
    events.append(chunk.delta("finish", {}, answer.finish_reason))
    if include_usage:
        events.append(chunk.usage(answer.usage))
    events.append(Event("done", b"data: [DONE]\n\n"))
    return events
