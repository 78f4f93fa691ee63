"""Images reach the model in every supported input shape, over both endpoints."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langchain_modelslab import ChatModelsLab


def _shapes(server: Any) -> dict[str, list[BaseMessage]]:
    png = base64.b64encode(httpx.get(f"{server.url}/assets/image.png").content).decode()
    ask = {"type": "text", "text": "Describe this image."}
    call = {"type": "tool_call", "id": "1", "name": "random_image", "args": {}}
    return {
        "openai base64": [
            HumanMessage(
                [ask, {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}]
            )
        ],
        "standard base64": [
            HumanMessage([ask, {"type": "image", "base64": png, "mime_type": "image/png"}])
        ],
        "standard url": [
            HumanMessage([ask, {"type": "image", "url": f"{server.url}/assets/image.png"}])
        ],
        "anthropic source": [
            HumanMessage(
                [
                    ask,
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": png},
                    },
                ]
            )
        ],
        "tool message": [
            HumanMessage("Get a random image with the tool and describe it."),
            AIMessage([], tool_calls=[call]),
            ToolMessage(
                [{"type": "image", "base64": png, "mime_type": "image/png"}], tool_call_id="1"
            ),
        ],
    }


SHAPES = ["openai base64", "standard base64", "standard url", "anthropic source", "tool message"]


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
@pytest.mark.parametrize("shape", SHAPES)
def test_the_model_sees_the_image(
    make_model: Callable[..., ChatModelsLab], server: Any, shape: str, api_format: str
) -> None:
    answer = make_model(api_format=api_format).invoke(_shapes(server)[shape])
    assert "1 image" in answer.text
    assert "64x48 PNG" in answer.text
