r"""An incremental Server-Sent Events decoder (pure: bytes in, events out).

Follows the WHATWG "event stream interpretation" rules: lines end in CR, LF or CRLF (a CR at
the end of one chunk and the LF at the start of the next are one line break); lines starting
with ``:`` are comments (OpenRouter sends ``: OPENROUTER PROCESSING`` keep-alives); ``data``
lines accumulate, joined by ``\n``; a blank line dispatches the event. Chunks may split
anywhere, including inside a UTF-8 character, so bytes go through an incremental decoder.

One deliberate leniency: at end of input an event whose lines were all complete but which
lacks only the final blank line is still dispatched (the spec discards it); a trailing partial
line is discarded, so a cut-off JSON payload reads as a truncated stream, not a bad one.
"""

from __future__ import annotations

import codecs
from typing import NamedTuple

from ._constants import MAX_LINE_CHARS
from ._errors import MalformedResponseError

__all__ = ["MAX_LINE_CHARS", "SSEDecoder", "SSEEvent"]


class SSEEvent(NamedTuple):
    """One dispatched event. ``event`` defaults to ``"message"``."""

    event: str
    data: str
    id: str | None = None
    retry: int | None = None


_new_event = tuple.__new__


class SSEDecoder:
    """Feed bytes with :meth:`feed`, call :meth:`flush` at end of input."""

    __slots__ = (
        "_buf",
        "_buf_len",
        "_data",
        "_decoder",
        "_event",
        "_last_id",
        "_retry",
        "_skip_lf",
        "_start",
    )

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        # The pieces of the line not yet ended by a line break, and their total length.
        self._buf: list[str] = []
        self._buf_len = 0
        self._skip_lf = False
        self._start = True
        self._data: list[str] = []
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode ``chunk`` and return the events it completes (often none or one)."""
        text = self._decoder.decode(chunk)
        if not text:
            return []
        if self._start or self._skip_lf or "\r" in text:
            text = self._normalized(text)
        if (
            # The usual chunk is exactly one ``data:`` line and its blank line, with nothing
            # pending: the event is built without splitting or a call per line.
            text[-2:] == "\n\n"
            and text.startswith("data:")
            and text.find("\n") == len(text) - 2
            and not (self._buf or self._data or self._event or self._retry is not None)
        ):
            value = text[6:-2] if text[5:6] == " " else text[5:-2]
            return [_new_event(SSEEvent, ("message", value, self._last_id, None))]
        # Only the new text is searched and split: a long line arriving in many small chunks
        # is kept as a list of pieces and joined once, so the work stays linear in its size.
        lines = text.split("\n")
        if len(lines) == 1:
            self._pending(text)
            return []
        if self._buf:
            self._buf.append(lines[0])
            lines[0] = "".join(self._buf)
            self._buf, self._buf_len = [], 0
        self._pending(lines.pop())
        events: list[SSEEvent] = []
        for line in lines:
            if line.startswith("data:"):  # nearly every line: handled without a call
                self._data.append(line[6:] if line[5:6] == " " else line[5:])
            else:
                self._line(line, events)
        return events

    def _normalized(self, text: str) -> str:
        """``text`` with a leading BOM dropped and every line break made a line feed."""
        if self._start:
            self._start = False
            if text[0] == "\ufeff":  # a leading byte-order mark is not part of the stream
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text[:1] == "\n":
                text = text[1:]
        if "\r" in text:
            # A CR ending the chunk ends a line now; an LF opening the next chunk is its pair.
            self._skip_lf = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text

    def flush(self) -> list[SSEEvent]:
        """End of input: return an event that lacked only its blank line (see module doc)."""
        self._decoder.reset()  # a partial last line (and partial character) is discarded
        self._buf, self._buf_len = [], 0
        events: list[SSEEvent] = []
        self._line("", events)
        return events

    def _pending(self, piece: str) -> None:
        """Keep ``piece`` as part of the line still open, within :data:`MAX_LINE_CHARS`."""
        if not piece:
            return
        self._buf.append(piece)
        self._buf_len += len(piece)
        if self._buf_len > MAX_LINE_CHARS:
            raise MalformedResponseError(
                f"The event stream sent a line longer than {MAX_LINE_CHARS:,} characters "
                "without a line break."
            )

    def _line(self, line: str, events: list[SSEEvent]) -> None:
        if not line:
            data = self._data
            if data:
                joined = data[0] if len(data) == 1 else "\n".join(data)
                # tuple.__new__ directly: the named tuple's own __new__ is one more Python call
                # per event.
                events.append(
                    _new_event(
                        SSEEvent, (self._event or "message", joined, self._last_id, self._retry)
                    )
                )
                self._data = []
            self._event = ""
            self._retry = None
            return
        if line[0] == ":":
            return
        name, sep, value = line.partition(":")
        if sep and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
