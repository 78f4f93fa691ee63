"""Every fault a test can select, by header and by path prefix, on both wire formats."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from local_helpers import chat_body, data_payloads, messages_body

from modelslab_local import FAULTS, LocalServer

STREAM = chat_body("Write a long story about boats", stream=True)


def fault_post(
    client: httpx.Client, spec: str, body: dict[str, Any] | None = None, **kw: Any
) -> httpx.Response:
    headers = {"x-modelslab-fault": spec, **kw.pop("headers", {})}
    return client.post("/chat/completions", json=body or chat_body(), headers=headers, **kw)


def read_stream(
    client: httpx.Client, spec: str, path: str = "/chat/completions", body: Any = None
) -> list[str]:
    with client.stream(
        "POST", path, json=body or STREAM, headers={"x-modelslab-fault": spec}
    ) as response:
        assert response.status_code == 200
        return [line for line in response.iter_lines() if line]


@pytest.mark.parametrize(
    ("spec", "status", "expected"),
    [
        (
            "400",
            400,
            {
                "error": {
                    "message": "Bad request: the request could not be processed.",
                    "type": "invalid_request_error",
                    "code": "invalid_request_error",
                }
            },
        ),
        (
            "400:Prompt is too long",
            400,
            {
                "error": {
                    "message": "Prompt is too long",
                    "type": "invalid_request_error",
                    "code": "invalid_request_error",
                }
            },
        ),
        (
            "401",
            401,
            {
                "error": {
                    "message": "Invalid API key.",
                    "type": "authentication_error",
                    "code": "authentication_error",
                }
            },
        ),
        (
            "402",
            402,
            {"status": "error", "message": "Insufficient credits: please top up your wallet."},
        ),
        (
            "403",
            403,
            {"status": "error", "message": "Your plan does not allow access to this feature."},
        ),
        (
            "404",
            404,
            {
                "error": {
                    "message": "Model not found: mistralai-mixtral-8x7b-instruct",
                    "type": "not_found_error",
                    "code": "not_found_error",
                }
            },
        ),
        (
            "429",
            429,
            {
                "status": "error",
                "message": "Rate limit exceeded: too many queued requests.",
                "retry_after": 1,
            },
        ),
        (
            "429:0.25",
            429,
            {
                "status": "error",
                "message": "Rate limit exceeded: too many queued requests.",
                "retry_after": 0.25,
            },
        ),
        ("ml-500", 500, {"status": "error", "message": "Simulated error 500."}),
        ("string-503", 503, {"error": "Simulated error 503."}),
        ("200-error", 200, {"status": "error", "message": "Something went wrong."}),
        ("200-messege", 200, {"status": "error", "messege": "Something went wrong."}),
    ],
)
def test_error_bodies(
    client: httpx.Client, spec: str, status: int, expected: dict[str, Any]
) -> None:
    response = fault_post(client, spec)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected


@pytest.mark.parametrize(
    "status", ["409", "413", "422", "500", "502", "503", "504", "context-length"]
)
def test_other_statuses_use_the_native_shape(client: httpx.Client, status: str) -> None:
    response = fault_post(client, status)
    expected = 400 if status == "context-length" else int(status)
    assert response.status_code == expected
    assert set(response.json()["error"]) == {"message", "type", "code"}


def test_retry_after_header_variant(client: httpx.Client) -> None:
    response = fault_post(client, "429-header:3")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert "retry_after" not in response.json()


def test_anthropic_endpoint_uses_the_anthropic_error_shape(client: httpx.Client) -> None:
    response = client.post(
        "/v1/messages", json=messages_body(), headers={"x-modelslab-fault": "503"}
    )
    assert response.status_code == 503
    assert response.json() == {
        "type": "error",
        "error": {
            "type": "overloaded_error",
            "message": "Service unavailable: the model is overloaded.",
        },
    }


def test_processing_body(client: httpx.Client) -> None:
    data = fault_post(client, "processing").json()
    assert data["status"] == "processing"
    assert data["eta"] == 10
    assert "fetch_result" in data


@pytest.mark.parametrize(
    ("spec", "content_type", "check"),
    [
        ("wrong-content-type", "text/html", lambda body: body.startswith(b"<html>")),
        (
            "malformed-json",
            "application/json",
            lambda body: body.startswith(b"{") and b"}" not in body,
        ),
        ("empty-body", "application/json", lambda body: body == b""),
    ],
)
def test_bodies_that_are_not_answers(
    client: httpx.Client, spec: str, content_type: str, check: Any
) -> None:
    response = fault_post(client, spec)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert check(response.content)


def test_oversized_answer(client: httpx.Client) -> None:
    data = fault_post(client, "oversized:200000").json()
    assert len(data["choices"][0]["message"]["content"]) == 200_000


def test_path_prefix_selects_a_fault(server: LocalServer) -> None:
    with httpx.Client(
        base_url=server.fault_base_url("402"), headers={"x-api-key": server.api_key}
    ) as http:
        assert http.post("/chat/completions", json=chat_body()).status_code == 402
        assert http.get("/v1/models").status_code == 402
        count = http.post("/v1/messages/count_tokens", json=messages_body())
        assert count.status_code == 402


def test_counted_fault_by_headers_then_success(client: httpx.Client) -> None:
    headers = {"x-modelslab-fault-times": "2", "x-modelslab-fault-id": uuid.uuid4().hex}
    statuses = [fault_post(client, "500", headers=headers).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_counted_fault_in_the_path(server: LocalServer) -> None:
    spec = f"503*1@{uuid.uuid4().hex}"
    with httpx.Client(
        base_url=server.fault_base_url(spec), headers={"x-api-key": server.api_key}
    ) as http:
        statuses = [http.post("/chat/completions", json=chat_body()).status_code for _ in range(2)]
    assert statuses == [503, 200]


def test_unknown_fault_is_a_400(client: httpx.Client) -> None:
    response = fault_post(client, "gremlins")
    assert response.status_code == 400
    assert "Unknown fault 'gremlins'" in response.json()["error"]["message"]


def test_stream_truncated(client: httpx.Client) -> None:
    payloads = data_payloads(read_stream(client, "stream-truncated"))
    assert "[DONE]" not in payloads
    assert all(p["choices"][0]["finish_reason"] is None for p in payloads)
    assert len(payloads) > 2


def test_stream_malformed(client: httpx.Client) -> None:
    lines = read_stream(client, "stream-malformed")
    bad = [line for line in lines if line.startswith("data: {") and not _is_json(line[6:])]
    assert len(bad) == 1
    assert lines[-1] == "data: [DONE]"


def test_stream_error_event_openai(client: httpx.Client) -> None:
    lines = read_stream(client, "stream-error")
    last = json.loads(lines[-1][len("data: ") :])
    assert last == {
        "error": {"message": "Upstream provider error.", "type": "server_error", "code": 500}
    }


def test_stream_error_event_anthropic(client: httpx.Client) -> None:
    body = messages_body("Write a long story", stream=True)
    lines = read_stream(client, "stream-error", "/v1/messages", body)
    assert lines[-2] == "event: error"
    assert json.loads(lines[-1][6:])["error"]["type"] == "api_error"


@pytest.mark.parametrize(
    ("spec", "status"), [("stream-json-error", 200), ("stream-json-error:503", 503)]
)
def test_stream_json_error(client: httpx.Client, spec: str, status: int) -> None:
    response = fault_post(client, spec, STREAM)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "error", "message": "Stream could not be started."}


def test_stream_faults_leave_non_streamed_requests_alone(client: httpx.Client) -> None:
    for spec in ("stream-truncated", "stream-json-error", "stream-drop"):
        assert fault_post(client, spec).json()["object"] == "chat.completion"


def test_reset_drops_the_connection(client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        fault_post(client, "reset")


def test_stream_drop_cuts_the_connection_mid_stream(client: httpx.Client) -> None:
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream(
            "POST", "/chat/completions", json=STREAM, headers={"x-modelslab-fault": "stream-drop"}
        ) as r,
    ):
        received.extend(r.iter_lines())
    assert any(line.startswith("data: ") for line in received)


def test_slow_first_byte_trips_a_read_timeout(client: httpx.Client) -> None:
    with pytest.raises(httpx.ReadTimeout):
        fault_post(client, "slow-first-byte:0.5", timeout=httpx.Timeout(5, read=0.1))
    assert fault_post(client, "slow-first-byte:0.05").status_code == 200


def test_stall_between_chunks_trips_a_read_timeout(client: httpx.Client) -> None:
    received: list[str] = []
    headers = {"x-modelslab-fault": "stall:0.5"}
    with (
        pytest.raises(httpx.ReadTimeout),
        client.stream(
            "POST",
            "/chat/completions",
            json=STREAM,
            headers=headers,
            timeout=httpx.Timeout(5, read=0.2),
        ) as r,
    ):
        received.extend(r.iter_lines())
    assert any(line.startswith("data: ") for line in received)


def test_stall_on_a_plain_request_delays_the_body(client: httpx.Client) -> None:
    with pytest.raises(httpx.ReadTimeout):
        fault_post(client, "stall:0.5", timeout=httpx.Timeout(5, read=0.1))


def test_keepalive_comments_before_the_answer(client: httpx.Client) -> None:
    lines = read_stream(client, "keepalive:0.2")
    assert lines[0] == ": keep-alive"
    assert lines[-1] == "data: [DONE]"


def test_every_fault_is_documented() -> None:
    assert all(definition.description for definition in FAULTS.values())


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("path", "body"),
    [("/chat/completions", STREAM), ("/v1/messages", messages_body("Write a story", stream=True))],
)
def test_stream_error_in_modelslab_shape_then_the_normal_end(
    client: httpx.Client, path: str, body: dict[str, object]
) -> None:
    lines = read_stream(client, "stream-error-ml:Upstream gave up", path, body)
    reports = [json.loads(line[6:]) for line in lines if line.startswith('data: {"status"')]
    assert reports == [{"status": "error", "message": "Upstream gave up"}]
    # The stream then ends as if nothing happened: only the client can tell it is broken.
    last = lines[-1][6:]
    assert last == "[DONE]" or json.loads(last) == {"type": "message_stop"}


def test_stream_json_error_labelled_as_a_stream(client: httpx.Client) -> None:
    response = fault_post(client, "stream-json-error-sse", STREAM)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.json()["status"] == "error"
    assert "Rate limit" in response.json()["message"]
