"""Messages (``POST {base}/v1/messages``) answers and stream events, normalized. Pure.

The request side lives in ``_anthropic_request.py``.
"""

from __future__ import annotations

from typing import Any

from ._common import (
    arguments_text,
    as_object,
    as_text,
    completion,
    is_error_payload,
    load_event_json,
    make_usage,
    normalize_finish_reason,
    server_stream_error,
    to_int,
)
from ._errors import EmptyResponseError, StreamTruncatedError
from ._sse import SSEEvent
from ._types import JSON, Choice, Completion, StreamDelta, ToolCall, ToolCallDelta, Usage

__all__ = ["AnthropicStreamState", "is_message", "parse_message", "parse_usage"]


def is_message(body: Any) -> bool:
    """Whether a 2xx body is an answer rather than an error report."""
    return isinstance(body, dict) and (
        body.get("type") == "message" or isinstance(body.get("content"), list)
    )


def parse_usage(raw: Any) -> Usage | None:
    """Normalize Messages usage; cache reads/writes are added into ``input_tokens``."""
    if not isinstance(raw, dict):
        return None
    read = to_int(raw.get("cache_read_input_tokens"))
    created = to_int(raw.get("cache_creation_input_tokens"))
    return make_usage(
        to_int(raw.get("input_tokens")) + read + created,
        to_int(raw.get("output_tokens")),
        cache_read=read,
        cache_creation=created,
    )


def parse_message(body: JSON) -> Completion:
    """Normalize a Messages answer (check :func:`is_message` first).

    Raises:
        EmptyResponseError: No content block and no stop reason: nothing was answered.
    """
    if not body.get("content") and not body.get("stop_reason"):
        raise EmptyResponseError("The answer has no content blocks and no stop_reason.", body=body)
    texts: list[str] = []
    thinking: list[str] = []
    signature = ""
    redacted: list[str] = []
    calls: list[ToolCall] = []
    for block in body.get("content") or []:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text") or ""))
        elif kind == "thinking":
            thinking.append(str(block.get("thinking") or ""))
            signature = as_text(block.get("signature")) or signature
        elif kind == "redacted_thinking":
            redacted.append(str(block.get("data") or ""))
        elif kind == "tool_use":
            args = block.get("input")
            calls.append(
                ToolCall(
                    id=str(block.get("id") or f"toolu_{len(calls)}"),
                    name=str(block.get("name") or ""),
                    arguments=arguments_text(args if args is not None else {}),
                )
            )
    choice = Choice(
        index=0,
        text="".join(texts) if texts else None,
        reasoning="".join(thinking) if thinking else None,
        tool_calls=calls,
        finish_reason=normalize_finish_reason(body.get("stop_reason")),
    )
    if signature:  # sent back unchanged with the thinking text, or the server refuses it
        choice["thinking_signature"] = signature
    if redacted:
        choice["redacted_thinking"] = redacted
    return completion(
        [choice],
        id=body.get("id"),
        model=body.get("model"),
        usage=parse_usage(body.get("usage")),
        raw=body,
    )


class AnthropicStreamState:
    """Turns Messages SSE events into :class:`StreamDelta` (one stream's state).

    Usage is input tokens from ``message_start`` plus output tokens from ``message_delta``,
    emitted once. The stream ends at ``message_stop``; end of input after a ``message_delta``
    with a stop reason is accepted too.
    """

    __slots__ = ("_answered", "_input", "_output", "_tools", "_usage_sent", "done", "finished")

    def __init__(self) -> None:
        self.done = False
        self.finished = False
        self._answered = False  # a content block was seen
        self._input: Usage | None = None
        self._output = 0
        self._tools: dict[int, int] = {}  # content block index -> tool-call index
        self._usage_sent = False

    def event(self, event: SSEEvent, out: list[StreamDelta]) -> None:
        """Handle one SSE event, appending deltas to ``out``."""
        data = event.data
        if not data or data.isspace():  # an empty data line is a keep-alive, not an event
            return
        if data.strip() == "[DONE]":  # OpenAI's end marker, sent by some proxies: an EOF
            self.end(out)
            self.done = True
            return
        payload = load_event_json(data)
        kind = payload.get("type") or event.event
        if kind == "error" or is_error_payload(payload):
            raise server_stream_error(payload)
        delta: StreamDelta = {}
        if kind == "content_block_delta":
            self._answered = True
            self._block_delta(payload, delta)
        elif kind == "content_block_start":
            self._answered = True
            self._block_start(payload, delta)
        elif kind == "message_start":
            self._message_start(payload, delta)
        elif kind == "message_delta":
            self._message_delta(payload, delta)
        elif kind == "message_stop":
            self.done = True
            self._flush_usage(delta)
        if delta:  # ping, content_block_stop and unknown events carry nothing
            out.append(delta)

    def end(self, out: list[StreamDelta]) -> None:
        """End of input: accept it after ``message_stop`` or a stop reason, else raise."""
        if not (self.done or self.finished):
            raise StreamTruncatedError(
                "The event stream ended before the answer was complete (no message_stop)."
            )
        if not (self._answered or self.finished):
            raise EmptyResponseError(
                "The event stream ended without any content block or stop reason."
            )
        delta: StreamDelta = {}
        self._flush_usage(delta)
        if delta:
            out.append(delta)

    def _message_start(self, payload: JSON, delta: StreamDelta) -> None:
        message = as_object(payload.get("message"))
        if message.get("id"):
            delta["id"] = str(message["id"])
        if message.get("model"):
            delta["model"] = str(message["model"])
        self._input = parse_usage(message.get("usage"))
        if self._input is not None:
            self._output = self._input["output_tokens"]

    def _block_start(self, payload: JSON, delta: StreamDelta) -> None:
        block = as_object(payload.get("content_block"))
        kind = block.get("type")
        if kind == "text" and as_text(block.get("text")):
            delta["text"] = block["text"]
        elif kind == "thinking":
            if as_text(block.get("thinking")):
                delta["reasoning"] = block["thinking"]
            if as_text(block.get("signature")):
                delta["thinking_signature"] = block["signature"]
        elif kind == "redacted_thinking":
            delta["redacted_thinking"] = [str(block.get("data") or "")]
        elif kind == "tool_use":
            index = self._tools.setdefault(to_int(payload.get("index")), len(self._tools))
            args = block.get("input")
            delta["tool_calls"] = [
                ToolCallDelta(
                    index=index,
                    id=as_text(block.get("id")),
                    name=as_text(block.get("name")),
                    arguments=arguments_text(args) if args else "",
                )
            ]

    def _block_delta(self, payload: JSON, delta: StreamDelta) -> None:
        inner = as_object(payload.get("delta"))
        kind = inner.get("type")
        if kind == "text_delta":
            if as_text(inner.get("text")):
                delta["text"] = inner["text"]
        elif kind == "input_json_delta":
            index = self._tools.setdefault(to_int(payload.get("index")), len(self._tools))
            delta["tool_calls"] = [
                ToolCallDelta(
                    index=index,
                    id=None,
                    name=None,
                    arguments=as_text(inner.get("partial_json")) or "",
                )
            ]
        elif kind == "thinking_delta" and as_text(inner.get("thinking")):
            delta["reasoning"] = inner["thinking"]
        elif kind == "signature_delta" and as_text(inner.get("signature")):
            delta["thinking_signature"] = inner["signature"]

    def _message_delta(self, payload: JSON, delta: StreamDelta) -> None:
        reason = normalize_finish_reason(as_object(payload.get("delta")).get("stop_reason"))
        if reason:
            delta["finish_reason"] = reason
            self.finished = True
        usage = payload.get("usage")
        if isinstance(usage, dict):
            self._output = to_int(usage.get("output_tokens")) or self._output
            if usage.get("input_tokens"):  # newer servers repeat the input counts here
                self._input = parse_usage({**usage, "output_tokens": 0})
            self._flush_usage(delta)

    def _flush_usage(self, delta: StreamDelta) -> None:
        if self._usage_sent or (self._input is None and not self._output):
            return
        base = self._input or make_usage(0, 0)
        delta["usage"] = make_usage(
            base["input_tokens"],
            self._output,
            cache_read=base["cache_read_tokens"],
            cache_creation=base["cache_creation_tokens"],
        )
        self._usage_sent = True
