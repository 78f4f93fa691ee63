"""Transport clients are not pickled or copied: they are live connections, not settings.

A client holds an ``httpx`` client (its own or the caller's), locks, a concurrency budget and
the key; none of these can travel to another process, and a copy sharing them would close
the original's connections with its own. ``openai.OpenAI`` fails here with a raw
``TypeError`` from a lock; the project's error names the fix instead. The models
(``ChatModelsLab``, ``ModelsLabLLM``) are what to ship: they pickle and copy as settings and
build their own clients where they land.
"""

from __future__ import annotations

from typing import Any, NoReturn

from ._errors import ConfigurationError

__all__ = ["NotShipped"]


class NotShipped:
    """Refuses ``pickle``, ``copy.copy`` and ``copy.deepcopy`` with a typed error."""

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        name = type(self).__name__
        raise ConfigurationError(
            f"{name} cannot be pickled or copied: it holds open connections, locks and the "
            f"key. Build a new {name} with the same settings where it is needed, or ship a "
            "ChatModelsLab or ModelsLabLLM, which pickle and copy without their clients or key."
        )
