"""The model, picture and response format the parity tests send through every peer."""

from __future__ import annotations

from typing import Any

MODEL = "baidu-ernie-4.5-vl-28b-a3b"  # a vision model with tool calling, in the catalog
URL = "https://example.com/cat.png"
SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "schema": {"type": "object", "properties": {"a": {"type": "integer"}}},
    },
}
