"""The error of a call that ran out of its overall deadline (the ``deadline`` setting).

Also how long a call may wait for one of the client's concurrency slots: a slot held by a
stream nobody reads must not make every later call wait forever.
"""

from __future__ import annotations

import time

from ._call import Call
from ._errors import APITimeoutError

__all__ = ["deadline_error", "no_slot_error", "slot_wait"]


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
