"""The caller's settings, checked before any I/O: each bad one is a ``ConfigurationError``.

Without these checks a careless value fails late and in the wrong shape: a key with a pasted
zero-width space raises ``UnicodeEncodeError`` from deep inside httpx (its ``args`` holding
the whole key); a line break in it becomes a connection error, retried three times and logged
with the key each time; ``timeout=float("inf")`` raises ``OverflowError`` at call time. Every
message names the setting and never its value when the value may be a credential.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ._constants import MAX_SECONDS
from ._errors import ConfigurationError

__all__ = [
    "check_base_url",
    "check_deadline",
    "check_headers",
    "check_key",
    "check_sampling",
    "check_seconds",
    "shown",
]


def shown(value: Any) -> str:
    """``value`` as an error message may show it.

    A number, bool or ``None`` as is, anything else by its type alone (``"a str"``,
    ``"a dict"``): a string or a container passed where a number or a choice belongs may be
    the key pasted into the wrong setting (``max_tokens=KEY``, ``timeout={"key": KEY}``), so
    its text never reaches a message.
    """
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    return f"a {type(value).__name__}"


def _header_safe(text: str) -> bool:
    """Visible ASCII and inner spaces only: what an HTTP header value can carry as is."""
    return text.isascii() and text.isprintable() and "\r" not in text and "\n" not in text


def check_key(key: str) -> str:
    """The key, if it can travel in a header (the message never shows it)."""
    if not _header_safe(key) or " " in key:
        raise ConfigurationError(
            "api_key contains a character that cannot be sent in an HTTP header (a space, "
            "a line break, or a non-ASCII character such as a pasted zero-width space); "
            "copy the key again."
        )
    return key


def check_headers(headers: Mapping[str, Any] | None) -> dict[str, str]:
    """``default_headers`` as a plain dict of header-safe strings (values never shown)."""
    checked: dict[str, str] = {}
    if headers is not None and not isinstance(headers, Mapping):
        # Its type only: the value may be a credential.
        raise ConfigurationError(
            f"default_headers must be a mapping of header names to strings, "
            f"got a {type(headers).__name__}."
        )
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not name or not _header_safe(name) or " " in name:
            raise ConfigurationError(f"default_headers has an invalid header name: {name!r}.")
        if not isinstance(value, str) or not _header_safe(value):
            raise ConfigurationError(
                f"default_headers[{name!r}] must be a string of visible ASCII characters "
                "without line breaks (its value is not shown: it may be a credential)."
            )
        checked[name] = value
    return checked


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_seconds(name: str, value: Any, default: float | None) -> float | None:
    """A duration setting: ``None`` (the default), else a finite number above zero.

    Values above :data:`MAX_SECONDS` (a year) are taken as a year: a socket cannot wait
    longer than its platform's clock type holds, and would raise ``OverflowError``.
    """
    if value is None:
        return default
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(
            f"{name} must be a finite number of seconds above 0, got {shown(value)}."
        )
    return min(float(value), MAX_SECONDS)


def check_deadline(value: Any) -> float | None:
    """``value`` as a deadline in seconds: ``None``, or a finite number above zero."""
    return check_seconds("deadline", value, None)


def check_base_url(url: str) -> str:
    """``url``, unless it carries credentials (``user:password@host``).

    They would show in reprs and logs, and httpx would send them as Basic auth in place of
    the key.
    """
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            "base_url must not contain a user name or password (user:password@host); "
            f"pass the key as api_key. Host: {parts.hostname!r}."
        )
    return url


# Request fields the transport itself reads (the rest is passed to the server as given).
_POSITIVE_INTS = ("max_tokens", "n")
_NUMBERS = ("temperature", "top_p")


def check_request_shape(request: Mapping[str, Any]) -> None:
    """A raw client's request: ``messages`` a list of dicts, ``extra_body`` a dict if given."""
    messages = request.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise ConfigurationError(
            f"The request's 'messages' must be a list of dicts, got {shown(messages)}."
        )
    extra = request.get("extra_body")
    if extra is not None and not isinstance(extra, Mapping):
        raise ConfigurationError(f"extra_body must be a dict, got a {type(extra).__name__}.")


def check_sampling(request: Mapping[str, Any]) -> None:
    """The request fields the transport reads, refused here rather than by a ``TypeError``.

    ``max_tokens`` and ``n`` must be ints above 0, ``temperature`` and ``top_p`` finite
    numbers, ``stop`` a string or a list of strings.
    """
    for name in _POSITIVE_INTS:
        value = request.get(name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value <= 0
        ):
            raise ConfigurationError(f"{name} must be an int above 0, got {shown(value)}.")
    for name in _NUMBERS:
        value = request.get(name)
        if value is not None and (not _is_number(value) or not math.isfinite(value)):
            raise ConfigurationError(f"{name} must be a finite number, got {shown(value)}.")
    stop = request.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise ConfigurationError(f"stop must be a string or a list of strings, got {shown(stop)}.")
