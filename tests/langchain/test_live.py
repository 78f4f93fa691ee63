"""The real ModelsLab API: the standard integration suite plus ERNIE smoke tests.

Marked ``live``: skipped unless ``MODELSLAB_API_KEY`` is set and the base URL is ModelsLab's
(``MODELSLAB_LIVE=1`` runs them against another host on purpose; see ``tests/conftest.py``).
Small hosted models do not always follow instructions, so a failure here says
"look", not necessarily "broken".
"""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from lc_helpers import FullFeatureSuite

from langchain_modelslab import ChatModelsLab, get_modelslab_callback

pytestmark = pytest.mark.live
ERNIE = "baidu-ernie-4.5-vl-28b-a3b"


class TestChatModelsLabLive(FullFeatureSuite):
    """The standard suite against ModelsLab (image downloads use the real network)."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {**super().chat_model_params, "max_tokens": 800, "timeout": 120}


def _solid_png(rgb: tuple[int, int, int], size: int = 64) -> str:
    """A solid-colour PNG as base64, built without an image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode()


def test_ernie_vision_smoke() -> None:
    model = ChatModelsLab(model=ERNIE, temperature=0, max_tokens=300)
    message = HumanMessage(
        [
            {"type": "text", "text": "What single colour fills this image? Answer in one word."},
            {"type": "image", "base64": _solid_png((220, 20, 20)), "mime_type": "image/png"},
        ]
    )
    with get_modelslab_callback() as cb:
        answer = model.invoke([message])
    assert "red" in answer.text.lower()
    assert answer.usage_metadata is not None
    assert cb.total_tokens > 0
    assert cb.total_cost > 0


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is 18 C and sunny in {city}."


@pytest.mark.parametrize("stream", [False, True], ids=["invoke", "stream"])
def test_ernie_tool_calling_smoke(stream: bool) -> None:
    model = ChatModelsLab(model=ERNIE, temperature=0, max_tokens=300)
    bound = model.bind_tools([get_weather], tool_choice="any")
    question = [HumanMessage("What is the weather in Paris right now?")]
    if stream:
        chunks = list(bound.stream(question))
        result = chunks[0]
        for c in chunks[1:]:
            result += c
    else:
        result = bound.invoke(question)
    assert [c["name"] for c in result.tool_calls] == ["get_weather"]
    assert "paris" in str(result.tool_calls[0]["args"].get("city", "")).lower()
