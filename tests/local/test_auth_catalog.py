"""Auth as ModelsLab documents it, the model list, and the test assets."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from local_helpers import chat_body

from modelslab_local import LocalServer, start_server
from modelslab_transport._catalog import list_catalog


@pytest.mark.parametrize(
    ("headers", "body_key"),
    [
        ({"Authorization": "Bearer {key}"}, None),
        ({"authorization": "bearer {key}"}, None),
        ({"x-api-key": "{key}"}, None),
        ({"key": "{key}"}, None),
        ({}, "{key}"),
    ],
)
def test_every_documented_way_to_send_the_key(
    anon: httpx.Client, server: LocalServer, headers: dict[str, str], body_key: str | None
) -> None:
    sent = {k: v.format(key=server.api_key) for k, v in headers.items()}
    body: dict[str, Any] = chat_body()
    if body_key:
        body["key"] = body_key.format(key=server.api_key)
    assert anon.post("/chat/completions", json=body, headers=sent).status_code == 200


@pytest.mark.parametrize(
    ("path", "headers", "body", "message"),
    [
        ("/chat/completions", {}, chat_body(), "Missing API key"),
        ("/chat/completions", {"Authorization": "Bearer wrong"}, chat_body(), "Invalid API key."),
        ("/chat/completions", {}, {**chat_body(), "key": "wrong"}, "Invalid API key."),
        ("/v1/messages", {"x-api-key": "wrong"}, chat_body(), "Invalid API key."),
    ],
)
def test_missing_or_wrong_key_is_a_401(
    anon: httpx.Client, path: str, headers: dict[str, str], body: dict[str, Any], message: str
) -> None:
    response = anon.post(path, json=body, headers=headers)
    assert response.status_code == 401
    data = response.json()
    error = data["error"]
    assert message in error["message"]
    assert error["type"] == "authentication_error"
    assert "wrong" not in response.text


def test_models_endpoint_needs_the_key(anon: httpx.Client, server: LocalServer) -> None:
    assert anon.get("/v1/models").status_code == 401
    response = anon.get("/v1/models", headers={"x-api-key": server.api_key})
    assert response.status_code == 200


def test_models_list_is_the_catalog(client: httpx.Client) -> None:
    data = client.get("/v1/models").json()
    assert data["object"] == "list"
    ids = [m["id"] for m in data["data"]]
    assert ids == [m.id for m in list_catalog()]
    ernie = next(m for m in data["data"] if m["id"] == "baidu-ernie-4.5-vl-28b-a3b")
    assert ernie == {
        "id": "baidu-ernie-4.5-vl-28b-a3b",
        "object": "model",
        "created": ernie["created"],
        "owned_by": "baidu",
    }


def test_custom_key_and_unknown_models() -> None:
    with (
        start_server(api_key="s3cret", allow_unknown_models=True) as custom,
        httpx.Client(base_url=custom.base_url) as http,
    ):
        assert custom.api_key == "s3cret"
        assert "s3cret" not in repr(custom)
        body = chat_body(model="my-own-finetune")
        assert http.post("/chat/completions", json=body).status_code == 401
        ok = http.post("/chat/completions", json=body, headers={"x-api-key": "s3cret"})
        assert ok.status_code == 200
        assert ok.json()["model"] == "my-own-finetune"


def test_health_and_assets(server: LocalServer) -> None:
    with httpx.Client(base_url=server.url) as http:
        assert http.get("/health").json()["base_url"] == server.base_url
        png = http.get("/assets/image.png")
        assert png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG")
        assert http.get("/assets/nope.png").status_code == 404


def test_stop_releases_the_port() -> None:
    handle = start_server()
    url = handle.base_url
    handle.stop()
    handle.stop()
    with httpx.Client() as http, pytest.raises(httpx.ConnectError):
        http.get(url + "/v1/models")


def test_a_keyless_malformed_request_is_refused_for_its_key_first(server: Any) -> None:
    url = f"{server.base_url}/chat/completions"
    keyless = httpx.post(url, content=b"{not json")
    assert keyless.status_code == 401
    with_key = httpx.post(
        url, content=b"{not json", headers={"Authorization": f"Bearer {server.api_key}"}
    )
    assert with_key.status_code == 400
