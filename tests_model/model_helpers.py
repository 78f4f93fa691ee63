"""What the real-model tests share: the question, the weather tool, the ``Cat`` schema.

Each test module asks the same question, offers the same tool and extracts the same cat, so
a change to one of them (a clearer prompt for SmolLM2) reaches every tier at once.
"""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.tools import tool
from pydantic import BaseModel

QUESTION = "What is the capital of France? Answer in one sentence."


def get_weather(city: str) -> str:
    """Return the current weather for a city."""
    return f"It is 18 °C and sunny in {city}."


# The same function as a LangChain tool (named ``get_weather`` too).
weather_tool = tool(get_weather)


class Cat(BaseModel):
    """A cat."""

    name: str
    age: int


def strict_cat(data: Any) -> Cat:
    """Validate without coercion: each JSON value must already have its field's type.

    Args:
        data: The parsed value, or JSON text.
    """
    if isinstance(data, str):
        data = json.loads(data)
    return Cat.model_validate(data, strict=True)


def joined(chunks: list[AIMessageChunk], minimum: int = 1) -> AIMessageChunk:
    """Add streamed chunks up, as LangChain does.

    Args:
        chunks: The stream's chunks, in order.
        minimum: How many chunks the stream must have produced at least.
    """
    assert len(chunks) >= minimum, f"the stream produced {len(chunks)} chunks, not {minimum}+"
    result = chunks[0]
    for chunk in chunks[1:]:
        result = result + chunk
    return result
