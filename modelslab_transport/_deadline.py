"""The error of a call that ran out of its overall deadline (the ``deadline`` setting).

Also how long a call may wait for one of the client's concurrency slots: a slot held by a
stream nobody reads must not make every later call wait forever.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import httpx

from ._call import Call
from ._constants import DISCOVERY_DEADLINE
from ._errors import APIError, APITimeoutError

__all__ = [
    "FirstEventWatch",
    "at_deadline",
    "deadline_error",
    "lookup_deadline",
    "no_slot_error",
    "open_stream_read",
    "slot_wait",
]


def deadline_error(deadline: float | None, where: str) -> APITimeoutError:
    """The error for a call that did not finish within ``deadline`` seconds (never retried).

    Args:
        deadline: The call's deadline in seconds.
        where: What the call was doing when time ran out ("while reading the answer").
    """
    return APITimeoutError(
        f"The call did not finish within its deadline of {deadline or 0:g} s ({where}).",
        before_response=False,
    )


# An httpx timeout firing this close to the deadline was the deadline (it capped the timeout).
_CAPPED = 0.02


def at_deadline(error: APIError, call: Call, until: float | None) -> APIError:
    """``error``, or the deadline's error if it is a timeout the deadline cut short.

    ``_attempt_timeout`` caps each httpx timeout at what is left of the deadline, so a server
    that never answers trips a read timeout of, say, 0.99 s: the caller should read that the
    deadline passed, not that a timeout they never set did.
    """
    late = until is not None and time.monotonic() >= until - _CAPPED
    if late and isinstance(error, APITimeoutError):
        return deadline_error(call.deadline, "waiting for the server")
    return error


def lookup_deadline(call_deadline: float | None) -> float:
    """Seconds a context-length lookup may take when a call with ``call_deadline`` asks it.

    :data:`DISCOVERY_DEADLINE` at most, and at most half of the call's deadline: the lookup is
    an extra for ``metadata``, and the call keeps the other half for the answer it was made for.
    """
    if call_deadline is None:
        return DISCOVERY_DEADLINE
    return min(DISCOVERY_DEADLINE, call_deadline / 2)


def slot_wait(call: Call, until: float | None) -> float | None:
    """Seconds ``call`` may wait for a concurrency slot (``None``: no bound).

    What is left of its deadline, else its read timeout.
    """
    if until is not None:
        return max(0.0, until - time.monotonic())
    return call.timeout.read


def no_slot_error(call: Call, until: float | None, limit: int | None) -> APITimeoutError:
    """The error for a call that found no free concurrency slot in :func:`slot_wait`."""
    where = f"waiting for one of the client's max_concurrency={limit} slots, all in use"
    if until is not None:
        return deadline_error(call.deadline, where)
    return APITimeoutError(
        f"No request was sent: waited the read timeout of {call.timeout.read or 0:g} s "
        f"{where} (a stream left unread and unclosed holds its slot).",
        before_response=False,
    )


def open_stream_read(call: Call, response: httpx.Response) -> None:
    """Give an event stream's body its full read timeout once its head has arrived.

    The head of a stream is waited for no longer than the deadline (``_attempt_timeout``
    caps the read timeout for it); the body's waits are each bounded by the read timeout
    again, because a long answer may rightly outlast the deadline. httpcore takes the read
    timeout from the request's ``timeout`` extension when it starts reading the body, so
    setting it here, before the first read, is what the body gets.
    """
    timeouts = response.request.extensions.get("timeout")
    if isinstance(timeouts, dict):
        timeouts["read"] = call.timeout.read


class FirstEventWatch:
    """Ends a sync stream's wait for its first event at the deadline.

    A blocking socket read cannot be given a new timeout once httpcore has started reading
    the body, so a timer thread shuts the connection's socket down when the deadline passes
    with no event yet: the blocked read then returns, and the stream raises the deadline's
    ``APITimeoutError`` (see :attr:`fired`) instead of waiting out the read timeout.
    """

    def __init__(self, response: httpx.Response, until: float) -> None:
        self.fired = False
        self._response = response
        self._timer = threading.Timer(max(0.0, until - time.monotonic()), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        stream = self._response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:  # not a socket (a mock transport): nothing to cut
            return
        self.fired = True
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        """The first event came (or the stream ended): the watch is over."""
        self._timer.cancel()
