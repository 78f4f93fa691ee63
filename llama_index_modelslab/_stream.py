"""The cumulative stream accumulator shared by ``stream_chat`` and ``astream_chat``.

LlamaIndex streams are cumulative: every ``ChatResponse`` carries the whole message so far,
``delta`` the new text, and the last one is complete (agents keep only the last one). The
transport yields incremental :class:`~modelslab_transport.StreamDelta` events; one
:class:`StreamAccumulator` turns each into a ``ChatResponse`` with :meth:`feed`;
:func:`stream_responses` and :func:`astream_responses` feed it from a transport stream.

Every streamed event passes through here, so responses are built without validation (the
values are already well-typed; see ``_responses.fast_model``) to keep the per-event cost small.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatResponse, LogProb

from ._responses import assistant_response, to_logprobs, usage_kwargs

if TYPE_CHECKING:
    from modelslab_transport import AsyncStream, Stream, StreamDelta, ToolCallDelta, Usage


class _Call:
    """One tool call being assembled from fragments."""

    __slots__ = ("arguments", "id", "name")

    def __init__(self) -> None:
        self.id = ""
        self.name = ""
        self.arguments = ""


class StreamAccumulator:
    """Accumulate streamed events into cumulative ``ChatResponse`` objects.

    Args:
        model: The requested model id, used for cost estimates until the stream names the
            served model.
    """

    def __init__(self, model: str) -> None:
        self._model = model
        self._text = ""
        self._reasoning = ""
        self._signature = ""  # Messages format: sent back with the thinking, unchanged
        self._redacted: list[str] = []
        self._calls: dict[int, _Call] = {}
        self._finished = False
        self._usage_kwargs: dict[str, Any] = {}
        self._usage_raw: dict[str, Any] | None = None
        self._logprobs: list[list[LogProb]] | None = None  # cumulative, like the text

    def feed(self, delta: StreamDelta) -> ChatResponse:
        """Fold one event into the state and return the cumulative response so far."""
        text = delta.get("text", "")
        if text:
            self._text += text
        reasoning = delta.get("reasoning", "")
        if reasoning:
            self._reasoning += reasoning
        fragments = delta.get("tool_calls")
        if fragments:
            self._merge_calls(fragments)
        if "thinking_signature" in delta:
            self._signature += delta["thinking_signature"]
        if "redacted_thinking" in delta:
            self._redacted.extend(delta["redacted_thinking"])
        if "model" in delta:
            self._model = delta["model"]
        if "finish_reason" in delta:
            self._finished = True
            self._usage_kwargs["finish_reason"] = delta["finish_reason"]
        usage = delta.get("usage")
        if usage is not None:
            self._set_usage(usage)
        if "logprobs" in delta:
            self._logprobs = [*(self._logprobs or []), *to_logprobs(delta["logprobs"])]
        return self._response(delta, text, reasoning)

    def _merge_calls(self, fragments: list[ToolCallDelta]) -> None:
        # Keyed by index, every fragment of the event (not only the first), None-safe: the
        # id and name may arrive late or be repeated.
        for fragment in fragments:
            call = self._calls.get(fragment["index"])
            if call is None:
                call = self._calls[fragment["index"]] = _Call()
            if fragment["id"]:
                call.id = fragment["id"]
            if fragment["name"]:
                call.name = fragment["name"]
            call.arguments += fragment["arguments"] or ""

    def _set_usage(self, usage: Usage) -> None:
        self._usage_kwargs.update(usage_kwargs(self._model, usage))
        # ``raw["usage"]`` also under the Messages names llama-index's Anthropic LLM reports.
        self._usage_raw = {
            **usage,
            "cache_read_input_tokens": usage["cache_read_tokens"],
            "cache_creation_input_tokens": usage["cache_creation_tokens"],
        }

    def _response(self, delta: StreamDelta, text: str, reasoning: str) -> ChatResponse:
        extra = dict(self._usage_kwargs) if self._usage_kwargs else {}
        if reasoning:
            extra["thinking_delta"] = reasoning
        raw: Any = delta
        if self._usage_raw is not None:
            # Token counters read ``raw["usage"]`` from the last response of a stream; keep
            # it there even when events follow the one that carried the usage.
            raw = {**delta, "usage": self._usage_raw}
        # While streaming, tool arguments are partial JSON text; once the answer is finished
        # they are parsed into a dict when they are a JSON object.
        calls = [(c.id, c.name, c.arguments) for c in self._calls.values()]
        return assistant_response(
            self._text,
            self._reasoning,
            calls,
            parse=self._finished,
            raw=raw,
            delta=text,
            extra=extra,
            logprobs=self._logprobs,
            signature=self._signature,
            redacted=self._redacted,
            reasoning_tokens=(self._usage_raw or {}).get("reasoning_tokens") or None,
        )


def stream_responses(
    stream: Stream, accumulator: StreamAccumulator
) -> Generator[ChatResponse, None, None]:
    """Yield the cumulative response of each event of a sync transport stream."""
    # ``with`` closes the HTTP response also when the consumer stops early.
    with stream:
        for delta in stream:
            yield accumulator.feed(delta)


async def astream_responses(
    stream: AsyncStream, accumulator: StreamAccumulator
) -> AsyncGenerator[ChatResponse, None]:
    """Yield the cumulative response of each event of an async transport stream."""
    async with stream:
        async for delta in stream:
            yield accumulator.feed(delta)
