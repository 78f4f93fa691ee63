"""The pure stream core shared by ``Stream`` and ``AsyncStream``: bytes in, deltas out.

The drivers only read chunks and call :meth:`StreamParser.feed`, stop when
:attr:`StreamParser.done` says the protocol's end marker arrived, and call
:meth:`StreamParser.finish` at end of input (which raises
:class:`~modelslab_transport.StreamTruncatedError` if the answer is incomplete).
"""

from __future__ import annotations

import time
from typing import Protocol

import httpx

from ._anthropic import AnthropicStreamState
from ._common import is_error_payload
from ._deadline import deadline_error
from ._error_map import error_from_response, request_id_from
from ._errors import APIError, scrub
from ._json import parse_json
from ._openai import OpenAIStreamState
from ._sse import SSEDecoder, SSEEvent
from ._types import ApiFormat, Completion, StreamDelta, ToolCallDelta

__all__ = ["StreamParser", "annotate_stream_error", "deltas_from_completion", "first_event_seen"]

# Error reports are small; a longer body without an event is not one.
_MAX_HEAD = 64 * 1024


class _State(Protocol):
    done: bool

    def event(self, event: SSEEvent, out: list[StreamDelta]) -> None: ...

    def end(self, out: list[StreamDelta]) -> None: ...


class StreamParser:
    """SSE decoding plus one wire format's event state machine."""

    __slots__ = ("_decoder", "_head", "_state")

    def __init__(self, api_format: ApiFormat) -> None:
        self._decoder = SSEDecoder()
        self._state: _State = (
            AnthropicStreamState() if api_format == "anthropic" else OpenAIStreamState()
        )
        # The body until its first event: if none ever comes, it may be a plain JSON error
        # report sent under an event-stream content type (see :meth:`finish`).
        self._head: bytearray | None = bytearray()

    @property
    def done(self) -> bool:
        """True once the end marker (``[DONE]`` / ``message_stop``) has been seen."""
        return self._state.done

    def feed(self, chunk: bytes) -> list[StreamDelta]:
        """Decode one chunk of the body; events after the end marker are ignored."""
        out: list[StreamDelta] = []
        state = self._state
        events = self._decoder.feed(chunk)
        if self._head is not None:
            self._head += chunk
            if events or len(self._head) > _MAX_HEAD:
                self._head = None
        for event in events:
            state.event(event, out)
            if state.done:
                break
        return out

    def finish(self) -> list[StreamDelta]:
        """End of input: the last deltas, or :class:`StreamTruncatedError`.

        Raises the matching :class:`~modelslab_transport.APIStatusError` instead when the whole
        body was one JSON error report (ModelsLab sometimes answers a stream request with
        ``{"status": "error", ...}`` and an event-stream content type).
        """
        out: list[StreamDelta] = []
        if not self._state.done:
            for event in self._decoder.flush():
                self._state.event(event, out)
                self._head = None
        if self._head:
            _raise_if_error_report(bytes(self._head))
        self._state.end(out)
        return out


def first_event_seen(deltas: list[StreamDelta], first_event_by: tuple[float, float]) -> bool:
    """Whether the stream's first event came; raises if the call's deadline passed before.

    ``first_event_by`` is ``(monotonic end, deadline seconds)``: a call's deadline covers a stream
    up to its first event (later chunks are bounded by the read timeout alone).
    """
    if deltas:
        return True
    if time.monotonic() > first_event_by[0]:
        raise deadline_error(first_event_by[1], "before the first event")
    return False


def annotate_stream_error(exc: APIError, response: httpx.Response, secret: str | None) -> None:
    """Give an error raised while reading a stream its request id, and scrub the key."""
    if exc.request_id is None:
        exc.request_id = request_id_from(response.headers)
    scrub(exc, secret)


def _raise_if_error_report(body: bytes) -> None:
    try:
        payload = parse_json(body)
    except ValueError:
        return
    if isinstance(payload, dict) and is_error_payload(payload):
        raise error_from_response(200, {}, payload)


def deltas_from_completion(completion: Completion) -> list[StreamDelta]:
    """One delta carrying a whole answer.

    Used when a server ignores ``stream: true`` and answers with a complete JSON body: the
    caller still gets a well-formed (one-event) stream instead of an error.
    """
    delta: StreamDelta = {}
    if completion["id"]:
        delta["id"] = completion["id"]
    if completion["model"]:
        delta["model"] = completion["model"]
    if completion["reasoning"]:
        delta["reasoning"] = completion["reasoning"]
    if completion.get("thinking_signature"):
        delta["thinking_signature"] = completion["thinking_signature"]
    if completion.get("redacted_thinking"):
        delta["redacted_thinking"] = completion["redacted_thinking"]
    if completion["text"]:
        delta["text"] = completion["text"]
    if completion["tool_calls"]:
        delta["tool_calls"] = [
            ToolCallDelta(index=i, id=c["id"], name=c["name"], arguments=c["arguments"])
            for i, c in enumerate(completion["tool_calls"])
        ]
    if completion["finish_reason"]:  # never invented: the body says why it ended, or not
        delta["finish_reason"] = completion["finish_reason"]
    if completion["usage"] is not None:
        delta["usage"] = completion["usage"]
    if completion.get("logprobs"):
        delta["logprobs"] = completion["logprobs"]
    return [delta]
