"""The transport's normalized answers -> LangChain results. Pure.

:func:`completion_to_result` turns one :class:`Completion` into a ``ChatResult``;
:func:`delta_to_chunk` turns one :class:`StreamDelta` into a ``ChatGenerationChunk`` and is the
single per-event converter behind both ``_stream`` and ``_astream``. It builds the chunk
directly (no re-validation of wire data) because it runs once per streamed token.
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import invalid_tool_call
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from modelslab_transport import (
    ChatRequest,
    Choice,
    Completion,
    StreamDelta,
    ToolCallDelta,
    Usage,
    parse_json,
)
from modelslab_transport import ToolCall as WireCall

__all__ = [
    "PROVIDER",
    "StreamState",
    "completion_to_result",
    "delta_to_chunk",
    "last_chunk",
    "parse_tool_calls",
    "usage_metadata",
]

PROVIDER = "modelslab"


def usage_metadata(usage: Usage) -> UsageMetadata:
    """Map the transport's :class:`Usage` onto LangChain's ``UsageMetadata``.

    Detail counts are included only when the server reported them (non-zero).
    """
    # A plain dict cast once: checked against Python 3.10, langchain-core's optional keys
    # read as required (its NotRequired comes from ``typing``, which 3.10 lacks).
    meta: dict[str, Any] = {
        "input_tokens": usage["input_tokens"],
        "output_tokens": usage["output_tokens"],
        "total_tokens": usage["total_tokens"],
    }
    details = {}
    if usage.get("cache_read_tokens"):
        details["cache_read"] = usage["cache_read_tokens"]
    if usage.get("cache_creation_tokens"):
        details["cache_creation"] = usage["cache_creation_tokens"]
    if details:
        meta["input_token_details"] = details
    if usage.get("reasoning_tokens"):
        meta["output_token_details"] = {"reasoning": usage["reasoning_tokens"]}
    return cast("UsageMetadata", meta)


def parse_tool_calls(calls: list[WireCall]) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Split wire tool calls into parsed calls and ``invalid_tool_calls`` (bad JSON, non-object).

    Never raises: a model that writes broken arguments must not break the caller's loop.
    """
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in calls:
        raw = call["arguments"]
        try:
            args = parse_json(raw, strict=False) if raw.strip() else {}
            error = None if isinstance(args, dict) else "arguments are not a JSON object"
        except ValueError as exc:
            error = f"arguments are not valid JSON: {exc}"
        if error is None:
            valid.append(ToolCall(name=call["name"], args=args, id=call["id"], type="tool_call"))
        else:
            invalid.append(
                invalid_tool_call(name=call["name"], args=raw, id=call["id"], error=error)
            )
    return valid, invalid


def completion_to_result(completion: Completion, *, model: str) -> ChatResult:
    """Build the ``ChatResult`` for one non-streamed answer.

    Args:
        completion: The transport's normalized answer.
        model: The requested model id, used when the server does not echo one.

    Returns:
        One generation per choice (``n`` > 1); usage is attached to the first.
    """
    name = completion["model"] or model
    usage = completion["usage"]
    generations = [
        _generation(choice, completion["id"], name, usage if i == 0 else None)
        for i, choice in enumerate(completion["choices"])
    ]
    llm_output = {"model_name": name, "token_usage": token_usage(usage) if usage else None}
    return ChatResult(generations=generations, llm_output=llm_output)


def token_usage(usage: Usage) -> dict[str, Any]:
    """Usage in Chat Completions' own names, where code written for ``ChatOpenAI`` reads it.

    ``response_metadata["token_usage"]`` (and ``llm_output``) carry ``prompt_tokens``,
    ``completion_tokens`` and ``total_tokens``, with cached and reasoning counts in OpenAI's
    ``*_details``, whichever endpoint answered; ``usage_metadata`` keeps LangChain's names.
    """
    out: dict[str, Any] = {
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["total_tokens"],
    }
    if usage.get("cache_read_tokens"):
        out["prompt_tokens_details"] = {"cached_tokens": usage["cache_read_tokens"]}
    if usage.get("reasoning_tokens"):
        out["completion_tokens_details"] = {"reasoning_tokens": usage["reasoning_tokens"]}
    return out


def _generation(
    choice: Choice, response_id: str | None, name: str, usage: Usage | None
) -> ChatGeneration:
    tool_calls, invalid = parse_tool_calls(choice["tool_calls"])
    message = AIMessage(
        content=choice["text"] or "",
        additional_kwargs=_reasoning_kwargs(choice),
        tool_calls=tool_calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage_metadata(usage) if usage else None,
        response_metadata=_response_metadata(choice, name, response_id),
        id=response_id,
    )
    return ChatGeneration(message=message)


def _reasoning_kwargs(choice: Choice) -> dict[str, Any]:
    """Reasoning text, and on the Messages format what must go back with it unchanged."""
    kwargs: dict[str, Any] = {}
    if choice["reasoning"]:
        kwargs["reasoning_content"] = choice["reasoning"]
    if choice.get("thinking_signature"):
        kwargs["thinking_signature"] = choice["thinking_signature"]
    if choice.get("redacted_thinking"):
        kwargs["redacted_thinking"] = list(choice["redacted_thinking"])
    return kwargs


def _response_metadata(choice: Choice, name: str, response_id: str | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "model_name": name,
        "finish_reason": choice["finish_reason"],
        "model_provider": PROVIDER,
    }
    if response_id:  # the provider's id, as ChatOpenAI and ChatAnthropic set it
        metadata["id"] = response_id
    if "logprobs" in choice:  # as ChatOpenAI: {"content": [{"token", "logprob", ...}]}
        metadata["logprobs"] = {"content": choice["logprobs"]}
    return metadata


# ---------------------------------------------------------------------------- streaming


class StreamState:
    """What one stream must remember between events.

    Attributes:
        model: The requested model id until the server names the one serving.
        id: The response id once the server sent it (it may come on an empty event).
        stream_usage: False drops usage events (the caller turned usage off).
        v1: Build LangChain v1 content blocks (``output_version="v1"``).
    """

    __slots__ = ("id", "model", "stream_usage", "v1")

    def __init__(self, model: str, *, stream_usage: bool = True, v1: bool = False) -> None:
        self.model = model
        self.id: str | None = None
        self.stream_usage = stream_usage
        self.v1 = v1

    @classmethod
    def for_request(cls, request: ChatRequest, *, v1: bool) -> StreamState:
        """The state for streaming ``request`` (``n > 1`` is refused by the transport)."""
        return cls(request["model"], stream_usage=request.get("stream_usage", True), v1=v1)


def delta_to_chunk(delta: StreamDelta, state: StreamState) -> ChatGenerationChunk | None:
    """Convert one streamed event; ``None`` when it carries nothing for LangChain.

    ``usage`` lands on exactly one chunk (the transport sends it once), ``model_name`` and
    ``finish_reason`` only on the finishing chunk: LangChain concatenates string metadata
    when it merges chunks, so repeating them would garble the aggregate.
    """
    if "model" in delta:
        state.model = delta["model"]
    if "id" in delta:
        state.id = delta["id"]
    text = delta.get("text", "")
    reasoning = delta.get("reasoning")
    calls = delta.get("tool_calls")
    finish = delta.get("finish_reason")
    usage = delta.get("usage") if state.stream_usage else None
    marks = _thinking_marks(delta)
    if not (text or reasoning or calls or finish or usage or marks):
        return None
    # Only the fields this event has: most events are text alone, and each keyword given to
    # the message costs validation on every chunk of a long answer. Metadata goes into the
    # message's own (validated, empty) dict after construction for the same reason.
    if reasoning or calls or usage or marks or state.v1:
        message = _message(text, reasoning, calls, usage, state)
        message.additional_kwargs.update(marks)
    else:
        message = AIMessageChunk(content=text, id=state.id)
    metadata = message.response_metadata
    metadata["model_provider"] = PROVIDER
    if "logprobs" in delta:  # lists in metadata concatenate when chunks are merged
        metadata["logprobs"] = {"content": delta["logprobs"]}
    if finish:
        metadata["finish_reason"] = finish
        metadata["model_name"] = state.model
        if state.id:  # once: strings in metadata concatenate when chunks merge
            metadata["id"] = state.id
    if state.v1:
        # Tells core the content already holds v1 blocks, so it keeps them as built.
        metadata["output_version"] = "v1"
    return ChatGenerationChunk(message=message)


def _thinking_marks(delta: StreamDelta) -> dict[str, Any]:
    """A streamed signature piece (strings concatenate when chunks merge) or redacted blocks."""
    if "thinking_signature" not in delta and "redacted_thinking" not in delta:
        return {}
    marks: dict[str, Any] = {}
    if delta.get("thinking_signature"):
        marks["thinking_signature"] = delta["thinking_signature"]
    if delta.get("redacted_thinking"):
        marks["redacted_thinking"] = list(delta["redacted_thinking"])
    return marks


def last_chunk(state: StreamState) -> ChatGenerationChunk | None:
    """The empty chunk that closes a stream, under the provider's id (``None``: no id seen).

    LangChain closes every stream with an empty ``chunk_position="last"`` chunk; left to
    langchain-core, that chunk carries the run's id, and a stream would end under another id
    than its chunks. Sent by the adapter, every chunk has the one id the answer has.
    """
    if state.id is None:
        return None
    content: Any = [] if state.v1 else ""
    message = AIMessageChunk(content=content, id=state.id, chunk_position="last")
    return ChatGenerationChunk(message=message)


def _message(
    text: str,
    reasoning: str | None,
    calls: list[ToolCallDelta] | None,
    usage: Usage | None,
    state: StreamState,
) -> AIMessageChunk:
    """The message of an event with more than text (reasoning, tool calls, usage, v1)."""
    chunks = _tool_call_chunks(calls) if calls else []
    fields: dict[str, Any] = {
        "content": _v1_blocks(text, reasoning, chunks) if state.v1 else text,
        "id": state.id,
    }
    if reasoning:
        fields["additional_kwargs"] = {"reasoning_content": reasoning}
    if chunks:
        fields["tool_call_chunks"] = chunks
    if usage:
        fields["usage_metadata"] = usage_metadata(usage)
    return AIMessageChunk(**fields)


def _tool_call_chunks(calls: list[ToolCallDelta]) -> list[ToolCallChunk]:
    return [
        ToolCallChunk(
            name=c["name"],
            args=c["arguments"],
            id=c["id"],
            index=c["index"],
            type="tool_call_chunk",
        )
        for c in calls
    ]


def _v1_blocks(text: str, reasoning: str | None, chunks: list[ToolCallChunk]) -> list[Any]:
    """v1 content for one event.

    Tool-call blocks get ``lc_``-prefixed string indices: LangChain numbers the text and
    reasoning blocks 0, 1, ... itself, and a tool call's wire index 0 would otherwise collide
    with them and be merged into the reasoning block when chunks are added.
    """
    blocks: list[Any] = []
    if reasoning:
        blocks.append({"type": "reasoning", "reasoning": reasoning})
    if text:
        blocks.append({"type": "text", "text": text})
    for c in chunks:
        blocks.append({**c, "index": f"lc_tc_{c['index']}"})
    return blocks
