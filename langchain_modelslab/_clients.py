"""Client lifecycle helpers: the transport's :class:`ClientCache`, and pickling without fields."""

from __future__ import annotations

from typing import Any

from modelslab_transport import ClientCache

__all__ = ["ClientCache", "without_fields"]


def without_fields(state: dict[Any, Any], *names: str) -> dict[Any, Any]:
    """A pydantic ``__getstate__`` result with the named fields set to ``None``."""
    return {**state, "__dict__": {**state["__dict__"], **dict.fromkeys(names)}}
