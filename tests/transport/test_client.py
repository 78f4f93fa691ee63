"""Both clients over ``httpx.MockTransport``: requests, answers, errors, retries, lifecycle."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from modelslab_transport import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AsyncModelsLabClient,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InsufficientCreditsError,
    InternalServerError,
    MalformedResponseError,
    ModelsLabClient,
    NotFoundError,
    RateLimitError,
)

from .conftest import BASE, KEY, REQUEST, Api, completion_body

MakeApi = Callable[..., Api]

MESSAGE_BODY = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "m-1",
    "content": [{"type": "text", "text": "Hi there"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 4, "output_tokens": 3},
}


def ok(body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json=completion_body() if body is None else body, headers=headers)


def err(status: int, body: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json=body or {"error": {"message": f"e{status}"}}, headers=headers
    )


async def test_chat_openai_request_and_answer(api: MakeApi) -> None:
    facade = api(ok())
    result = await facade.chat({**REQUEST, "temperature": 0.2})
    assert result["text"] == "Hello!"
    assert result["usage"] is not None
    assert result["usage"]["total_tokens"] == 7
    (sent,) = facade.script.requests
    assert sent.method == "POST"
    assert str(sent.url) == f"{BASE}/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert "x-api-key" not in sent.headers
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"].startswith("modelslab-integrations/")
    assert facade.script.bodies == [
        {"model": "m-1", "messages": REQUEST["messages"], "max_tokens": 1000, "temperature": 0.2}
    ]


async def test_chat_anthropic_request_and_answer(api: MakeApi) -> None:
    facade = api(ok(MESSAGE_BODY))
    result = await facade.chat(REQUEST, api_format="anthropic")
    assert result["text"] == "Hi there"
    assert result["finish_reason"] == "stop"
    (sent,) = facade.script.requests
    assert str(sent.url) == f"{BASE}/v1/messages"
    assert sent.headers["x-api-key"] == KEY
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert facade.script.bodies[0]["max_tokens"] == 1000


async def test_bad_api_format_is_a_configuration_error(api: MakeApi) -> None:
    facade = api(ok())
    with pytest.raises(ConfigurationError, match="api_format"):
        await facade.chat(REQUEST, api_format="gemini")
    assert facade.script.requests == []


async def test_key_in_body_opt_in(api: MakeApi) -> None:
    facade = api(ok(), key_in_body=True)
    await facade.chat()
    assert facade.script.bodies[0]["key"] == KEY
    assert facade.script.bodies[0]["model_id"] == "m-1"


async def test_missing_key_fails_at_call_time_without_sending(api: MakeApi) -> None:
    facade = api(ok(), api_key=None)
    with pytest.raises(ConfigurationError, match="MODELSLAB_API_KEY"):
        await facade.chat()
    assert facade.script.requests == []


async def test_env_key_and_base_url(api: MakeApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", "env-key")
    monkeypatch.setenv("MODELSLAB_BASE_URL", "https://env.example/llm/")
    facade = api(ok(), api_key=None, base_url=None)
    await facade.chat()
    (sent,) = facade.script.requests
    assert str(sent.url) == "https://env.example/llm/chat/completions"
    assert sent.headers["authorization"] == "Bearer env-key"


async def test_insecure_http_is_refused_before_sending(api: MakeApi) -> None:
    facade = api(ok(), base_url="http://api.example.test/llm")
    with pytest.raises(ConfigurationError, match="http://"):
        await facade.chat()
    assert facade.script.requests == []
    allowed = api(ok(), base_url="http://api.example.test/llm", allow_insecure_http=True)
    assert (await allowed.chat())["text"] == "Hello!"


async def test_unserializable_request_is_a_configuration_error(api: MakeApi) -> None:
    facade = api(ok())
    with pytest.raises(ConfigurationError, match="temperature"):
        await facade.chat({**REQUEST, "temperature": float("nan")})
    with pytest.raises(ConfigurationError, match="JSON"):
        await facade.chat({**REQUEST, "extra_body": {"x": float("nan")}})
    with pytest.raises(ConfigurationError, match="JSON"):
        await facade.chat({**REQUEST, "extra_body": {"x": object()}})


async def test_per_call_timeout_reaches_httpx(api: MakeApi) -> None:
    facade = api(ok(), timeout=30, connect_timeout=3)
    await facade.chat()
    await facade.chat(timeout=7)
    first, second = (r.extensions["timeout"] for r in facade.script.requests)
    assert first == {"connect": 3.0, "read": 30.0, "write": 30.0, "pool": 3.0}
    # A per-call timeout is also that call's deadline: no wait may outlast what is left of it.
    assert second["connect"] == 3.0
    assert second["pool"] == 3.0
    assert 6.5 < second["read"] <= 7.0
    assert 6.5 < second["write"] <= 7.0


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (err(400), BadRequestError),
        (err(401), AuthenticationError),
        (err(402, {"status": "error", "messege": "No credits"}), InsufficientCreditsError),
        (err(404), NotFoundError),
        (ok({"status": "error", "message": "Invalid API key"}), AuthenticationError),
        (ok({"status": "error", "messege": "Insufficient balance"}), InsufficientCreditsError),
        (ok({"status": "processing", "id": 1}), APIError),
        (ok({"what": "ever"}), MalformedResponseError),
        (httpx.Response(200, content=b"<html>hi</html>"), MalformedResponseError),
        (httpx.Response(500, content=b"Internal oops"), InternalServerError),
    ],
)
async def test_errors_are_typed_and_not_retried_when_permanent(
    api: MakeApi, reply: httpx.Response, cls: type[APIError]
) -> None:
    facade = api(reply, max_retries=0)
    with pytest.raises(cls) as info:
        await facade.chat()
    assert type(info.value) is cls
    assert KEY not in str(info.value)


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 413, 422])
async def test_permanent_statuses_are_never_retried(api: MakeApi, status: int) -> None:
    facade = api(err(status), max_retries=5)
    with pytest.raises(APIStatusError):
        await facade.chat()
    assert len(facade.script.requests) == 1
    assert facade.sleeps == []


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
async def test_transient_statuses_are_retried_with_backoff(api: MakeApi, status: int) -> None:
    facade = api(err(status), err(status), ok())
    result = await facade.chat()
    assert result["text"] == "Hello!"
    assert len(facade.script.requests) == 3
    assert facade.sleeps == [0.5, 1.0]


async def test_retries_give_up_after_max_retries(api: MakeApi) -> None:
    facade = api(err(503), max_retries=3, _random=lambda: 1.0)
    with pytest.raises(InternalServerError):
        await facade.chat()
    assert len(facade.script.requests) == 4
    assert facade.sleeps == [0.375, 0.75, 1.5]


@pytest.mark.parametrize(
    ("reply", "wait"),
    [
        (err(429, {"status": "error", "message": "Queue full", "retry_after": 3}), 3.0),
        (err(429, None, **{"retry-after-ms": "1500"}), 1.5),
        (err(503, None, **{"Retry-After": "2"}), 2.0),
        (err(429, None, **{"Retry-After": "3600"}), 60.0),
        (ok({"status": "error", "message": "Rate limit exceeded", "retry_after": 4}), 4.0),
    ],
)
async def test_server_requested_waits(api: MakeApi, reply: httpx.Response, wait: float) -> None:
    facade = api(reply, ok())
    await facade.chat()
    assert facade.sleeps == [wait]
    assert len(facade.script.requests) == 2


async def test_rate_limit_error_exposes_retry_after(api: MakeApi) -> None:
    facade = api(
        err(429, {"status": "error", "message": "Queue full", "retry_after": 9}), max_retries=0
    )
    with pytest.raises(RateLimitError) as info:
        await facade.chat()
    assert info.value.retry_after == 9.0
    assert info.value.retryable


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError("refused"), APIConnectionError),
        (httpx.ConnectTimeout("slow"), APITimeoutError),
        (httpx.ReadTimeout("slow"), APITimeoutError),
        (httpx.RemoteProtocolError("bye"), APIConnectionError),
    ],
)
async def test_connection_failures_are_retried_then_mapped(
    api: MakeApi, exc: Exception, cls: type[APIError]
) -> None:
    facade = api(exc, exc, ok())
    assert (await facade.chat())["text"] == "Hello!"
    assert facade.sleeps == [0.5, 1.0]
    failing = api(exc, max_retries=1)
    with pytest.raises(cls) as info:
        await failing.chat()
    assert type(info.value) is cls
    assert isinstance(info.value.__cause__, httpx.HTTPError)
    assert len(failing.script.requests) == 2


async def test_failure_while_reading_the_body_is_not_retried(api: MakeApi) -> None:
    from .conftest import ChunkedStream

    body = ChunkedStream([b'{"choices": ['], fail=httpx.ReadError("reset"))
    facade = api(httpx.Response(200, stream=body), max_retries=3)
    with pytest.raises(APIConnectionError) as info:
        await facade.chat()
    assert info.value.before_response is False
    assert len(facade.script.requests) == 1
    assert body.closed


async def test_count_tokens(api: MakeApi) -> None:
    facade = api(ok({"input_tokens": 42}))
    request = {**REQUEST, "messages": [{"role": "system", "content": "S"}, *REQUEST["messages"]]}
    assert await facade.call("count_tokens", request) == 42
    (sent,) = facade.script.requests
    assert str(sent.url) == f"{BASE}/v1/messages/count_tokens"
    assert sent.headers["x-api-key"] == KEY
    assert facade.script.bodies[0] == {
        "model": "m-1",
        "system": "S",
        "messages": [{"role": "user", "content": "Hi"}],
    }


async def test_count_tokens_error_body(api: MakeApi) -> None:
    facade = api(ok({"status": "error", "message": "Model not found: m-1"}))
    with pytest.raises(NotFoundError):
        await facade.call("count_tokens", REQUEST)


MODELS = {"object": "list", "data": [{"id": "a", "object": "model", "owned_by": "x"}, {"id": "b"}]}


async def test_list_models(api: MakeApi) -> None:
    facade = api(ok(MODELS))
    models = await facade.call("list_models")
    assert [m["id"] for m in models] == ["a", "b"]
    assert models[0]["owned_by"] == "x"
    (sent,) = facade.script.requests
    assert (sent.method, str(sent.url)) == ("GET", f"{BASE}/v1/models")
    assert sent.content == b""


async def test_list_models_falls_back_to_models_on_404(api: MakeApi) -> None:
    facade = api(err(404), ok([{"id": "a"}]))
    assert await facade.call("list_models") == [{"id": "a"}]
    assert [r.url.path for r in facade.script.requests] == [
        "/api/v7/llm/v1/models",
        "/api/v7/llm/models",
    ]


async def test_list_models_reports_the_first_404_when_both_fail(api: MakeApi) -> None:
    facade = api(err(404, {"error": {"message": "first"}}), err(404, {"error": {"message": "2nd"}}))
    with pytest.raises(NotFoundError, match="first"):
        await facade.call("list_models")


async def test_list_models_malformed(api: MakeApi) -> None:
    facade = api(ok({"data": [{"name": "no id"}]}))
    with pytest.raises(MalformedResponseError, match="id"):
        await facade.call("list_models")


async def test_key_never_in_repr_errors_or_logs(
    api: MakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = {"status": "error", "message": f"bad key {KEY}"}
    facade = api(err(503, echo), err(401, echo))
    assert KEY not in repr(facade.client)
    assert KEY not in str(facade.client)
    with pytest.raises(AuthenticationError) as info:
        await facade.chat()
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value.body)
    assert any("Retrying" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert KEY not in record.getMessage()
    assert KEY not in caplog.text


def test_injected_http_client_is_not_closed() -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda r: ok()))
    with ModelsLabClient(KEY, base_url=BASE, http_client=http) as client:
        assert client.chat(REQUEST)["text"] == "Hello!"
    assert not http.is_closed
    http.close()
    owned = ModelsLabClient(KEY, transport=httpx.MockTransport(lambda r: ok()))
    owned.close()
    assert owned._http.is_closed


async def test_injected_async_http_client_is_not_closed() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: ok()))
    async with AsyncModelsLabClient(KEY, base_url=BASE, http_client=http) as client:
        assert (await client.chat(REQUEST))["text"] == "Hello!"
    assert not http.is_closed
    await http.aclose()
    owned = AsyncModelsLabClient(KEY, transport=httpx.MockTransport(lambda r: ok()))
    await owned.aclose()
    assert owned._http.is_closed


def test_http_client_and_transport_are_exclusive() -> None:
    transport = httpx.MockTransport(lambda r: ok())
    with httpx.Client() as http, pytest.raises(ConfigurationError, match="not both"):
        ModelsLabClient(KEY, http_client=http, transport=transport)


def test_client_properties() -> None:
    with ModelsLabClient(KEY, base_url=BASE + "/", max_retries=4) as client:
        assert client.base_url == BASE
        assert client.max_retries == 4
        assert repr(client) == f"ModelsLabClient(base_url='{BASE}', api_key='**********')"
    with ModelsLabClient(None) as client:
        assert "api_key=None" in repr(client)


def test_request_json_is_utf8_not_ascii_escaped() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return ok()

    with ModelsLabClient(KEY, transport=httpx.MockTransport(handler)) as client:
        client.chat({"model": "m", "messages": [{"role": "user", "content": "héllo ✓"}]})
    assert "héllo ✓".encode() in seen[0]
    assert json.loads(seen[0])["messages"][0]["content"] == "héllo ✓"
