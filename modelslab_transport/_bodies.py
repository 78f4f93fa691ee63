"""Reading plain (non-stream) bodies: content types, JSON or text, and the small answers."""

from __future__ import annotations

from typing import Any

import httpx

from ._errors import MalformedResponseError
from ._json import parse_json
from ._types import ModelEntry

__all__ = ["is_count", "is_model_list", "json_or_text", "media_type", "parse_models"]


def is_count(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("input_tokens"), int)


def is_model_list(body: Any) -> bool:
    return isinstance(body, list) or (isinstance(body, dict) and isinstance(body.get("data"), list))


def parse_models(body: Any) -> list[ModelEntry]:
    items = body if isinstance(body, list) else body["data"]
    entries = [item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]
    if len(entries) != len(items):
        raise MalformedResponseError("A model list entry has no string 'id'.", body=body)
    return entries  # type: ignore[return-value]


def json_or_text(content: bytes) -> Any:
    if not content:
        return None
    try:
        return parse_json(content)
    except ValueError:
        return content.decode("utf-8", errors="replace")


def media_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()
