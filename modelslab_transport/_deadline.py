"""The error of a call that ran out of its overall deadline (the ``deadline`` setting)."""

from __future__ import annotations

from ._errors import APITimeoutError

__all__ = ["deadline_error"]


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
