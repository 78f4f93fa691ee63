"""Keep API keys out of log records: ours, httpx's and httpcore's, at every level.

httpcore logs response headers at DEBUG, so a server that echoes the key in a header would
put it into the caller's logs; httpx's own lines name URLs. A filter on each of those loggers
replaces every key a live client holds with ``***`` before any handler sees the record.
Filters on a logger do not apply to its children, hence the explicit list of names. A filter
runs only for records that pass the level check: with DEBUG off it costs nothing.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import Counter, deque

__all__ = ["LOGGERS", "guard_secret"]

LOGGERS = (
    "modelslab_transport",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

_lock = threading.Lock()
_secrets: Counter[str] = Counter()
# Replaced whole under the lock, read without it: a filter never iterates a changing dict.
_snapshot: tuple[str, ...] = ()
# Keys whose owner died, not yet taken out. A finalizer may run on any thread at any
# allocation, also on a thread that holds ``_lock`` (the cyclic collector calls weakref
# callbacks inside whatever code allocated): it must never wait for the lock, so it only
# queues its key here and settles the queue when the lock is free. A key left queued is
# still redacted until the next settle, which is harmless.
_released: deque[str] = deque()


class _RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _snapshot
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record to logging's own handling
            return True
        if any(secret in message for secret in secrets):
            for secret in secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, ()
        return True


_FILTER = _RedactSecrets()
for _name in LOGGERS:
    logging.getLogger(_name).addFilter(_FILTER)


def _settle() -> None:
    """Take the released keys out and publish the new snapshot (``_lock`` held)."""
    global _snapshot
    while _released:
        secret = _released.popleft()
        _secrets[secret] -= 1
        if _secrets[secret] <= 0:
            del _secrets[secret]
    _snapshot = tuple(_secrets)


def _release(secret: str) -> None:
    """The finalizer of a guarded owner: queue its key; settle unless the lock is taken."""
    _released.append(secret)
    if _lock.acquire(blocking=False):
        try:
            _settle()
        finally:
            _lock.release()


def guard_secret(owner: object, secret: str | None) -> None:
    """Redact ``secret`` from those loggers for as long as ``owner`` is alive."""
    if not secret:
        return
    with _lock:
        _secrets[secret] += 1
        _settle()
    weakref.finalize(owner, _release, secret)
