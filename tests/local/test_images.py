"""Image inputs: vision models describe them (decoded from bytes), text-only models refuse."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from local_helpers import PLAIN_MODEL, VISION_MODEL, chat_body, messages_body

from modelslab_local import LocalServer
from modelslab_local._assets import get_asset


def image_part(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def data_url(name: str) -> str:
    asset = get_asset(name)
    assert asset is not None
    return f"data:{asset[1]};base64,{base64.b64encode(asset[0]).decode()}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("image.png", "a 64x48 PNG image"),
        ("image.jpg", "a 32x24 JPEG image"),
        ("image.gif", "a 16x16 GIF image"),
        ("image.webp", "a 20x10 WEBP image"),
    ],
)
def test_base64_images_are_decoded(client: httpx.Client, name: str, expected: str) -> None:
    content = [{"type": "text", "text": "Describe this image."}, image_part(data_url(name))]
    response = client.post("/chat/completions", json=chat_body(content, model=VISION_MODEL))
    assert response.status_code == 200
    text = response.json()["choices"][0]["message"]["content"]
    assert text.startswith(f"I see 1 image: {expected}")


def test_own_asset_urls_are_read_and_remote_urls_are_not_fetched(
    client: httpx.Client, server: LocalServer
) -> None:
    content = [
        {"type": "text", "text": "Compare these."},
        image_part(f"{server.url}/assets/image.jpg"),
        image_part("https://example.invalid/photo.png"),
    ]
    response = client.post("/chat/completions", json=chat_body(content, model=VISION_MODEL))
    text = response.json()["choices"][0]["message"]["content"]
    assert text.startswith("I see 2 images: a 32x24 JPEG image from http://127.0.0.1")
    assert "a PNG image from https://example.invalid/photo.png" in text


def test_anthropic_image_blocks(client: httpx.Client) -> None:
    asset = get_asset("image.png")
    assert asset is not None
    source = {
        "type": "base64",
        "media_type": "image/png",
        "data": base64.b64encode(asset[0]).decode(),
    }
    content = [{"type": "image", "source": source}, {"type": "text", "text": "What is this?"}]
    response = client.post("/v1/messages", json=messages_body(content, model=VISION_MODEL))
    assert response.status_code == 200
    blocks = response.json()["content"]
    assert "64x48 PNG" in blocks[-1]["text"]


def test_images_in_tool_results_are_described(client: httpx.Client) -> None:
    messages = [
        {"role": "user", "content": "get a random diagram using the tool and describe it"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "1",
                    "type": "function",
                    "function": {"name": "random_image", "arguments": "{}"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "1", "content": [image_part(data_url("small.png"))]},
    ]
    body = {"model": VISION_MODEL, "messages": messages}
    text = client.post("/chat/completions", json=body).json()["choices"][0]["message"]["content"]
    assert "a 8x8 PNG image" in text


@pytest.mark.parametrize("path", ["/chat/completions", "/v1/messages"])
def test_text_only_models_reject_images(client: httpx.Client, path: str) -> None:
    content = [{"type": "text", "text": "Describe."}, image_part(data_url("image.png"))]
    body = chat_body(content, model=PLAIN_MODEL)
    if path == "/v1/messages":
        asset = get_asset("image.png")
        assert asset is not None
        data = base64.b64encode(asset[0]).decode()
        block = {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": data},
        }
        body = messages_body([block], model=PLAIN_MODEL)
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert f"Model {PLAIN_MODEL} does not support image input." in response.text
