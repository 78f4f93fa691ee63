"""Messages as callers pass them: ``ChatMessage`` objects, or the dicts many examples use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.bridge.pydantic import ValidationError

from modelslab_transport import ConfigurationError

__all__ = ["as_chat_messages"]


def as_chat_messages(messages: Sequence[Any]) -> list[ChatMessage]:
    """``messages`` as ``ChatMessage`` objects; dicts such as ``{"role", "content"}`` accepted.

    LlamaIndex users (and OpenAI's examples) often pass plain dicts; they are read with
    ``ChatMessage``'s own validation, so any field it knows is kept.

    Raises:
        ConfigurationError: ``messages`` is a string, or an item is neither a ``ChatMessage``
            nor a valid message dict; the text names the item (``messages[i]``).
    """
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        raise ConfigurationError(
            f"messages must be a list of ChatMessage or dicts, not {type(messages).__name__}."
        )
    result: list[ChatMessage] = []
    for index, item in enumerate(messages):
        if isinstance(item, ChatMessage):
            result.append(item)
        elif isinstance(item, Mapping):
            result.append(_from_mapping(index, item))
        else:
            raise ConfigurationError(
                f"messages[{index}] is a {type(item).__name__}; expected a ChatMessage or "
                'a dict such as {"role": "user", "content": "hi"}.'
            )
    return result


def _from_mapping(index: int, item: Mapping[str, Any]) -> ChatMessage:
    try:
        return ChatMessage.model_validate(dict(item))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"messages[{index}] is not a valid message: {problems}") from None
