"""The pure stream core shared by ``Stream`` and ``AsyncStream``: bytes in, deltas out.

The drivers only read chunks and call :meth:`StreamParser.feed`, stop when
:attr:`StreamParser.done` says the protocol's end marker arrived, and call
:meth:`StreamParser.finish` at end of input (which raises
:class:`~modelslab_transport.StreamTruncatedError` if the answer is incomplete).
"""

from __future__ import annotations

from typing import Protocol

from ._anthropic import AnthropicStreamState
from ._openai import OpenAIStreamState
from ._sse import SSEDecoder, SSEEvent
from ._types import ApiFormat, Completion, StreamDelta, ToolCallDelta

__all__ = ["StreamParser", "deltas_from_completion"]


class _State(Protocol):
    done: bool

    def event(self, event: SSEEvent, out: list[StreamDelta]) -> None: ...

    def end(self, out: list[StreamDelta]) -> None: ...


class StreamParser:
    """SSE decoding plus one wire format's event state machine."""

    __slots__ = ("_decoder", "_state")

    def __init__(self, api_format: ApiFormat) -> None:
        self._decoder = SSEDecoder()
        self._state: _State = (
            AnthropicStreamState() if api_format == "anthropic" else OpenAIStreamState()
        )

    @property
    def done(self) -> bool:
        """True once the end marker (``[DONE]`` / ``message_stop``) has been seen."""
        return self._state.done

    def feed(self, chunk: bytes) -> list[StreamDelta]:
        """Decode one chunk of the body; events after the end marker are ignored."""
        out: list[StreamDelta] = []
        state = self._state
        for event in self._decoder.feed(chunk):
            state.event(event, out)
            if state.done:
                break
        return out

    def finish(self) -> list[StreamDelta]:
        """End of input: the last deltas, or :class:`StreamTruncatedError`."""
        out: list[StreamDelta] = []
        if not self._state.done:
            for event in self._decoder.flush():
                self._state.event(event, out)
        self._state.end(out)
        return out


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
    if completion["text"]:
        delta["text"] = completion["text"]
    if completion["tool_calls"]:
        delta["tool_calls"] = [
            ToolCallDelta(index=i, id=c["id"], name=c["name"], arguments=c["arguments"])
            for i, c in enumerate(completion["tool_calls"])
        ]
    delta["finish_reason"] = completion["finish_reason"] or "stop"
    if completion["usage"] is not None:
        delta["usage"] = completion["usage"]
    return [delta]
