"""Streaming through both clients: checks before returning, iteration, errors, closing."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from modelslab_transport import (
    APIConnectionError,
    APITimeoutError,
    AsyncStream,
    AuthenticationError,
    InternalServerError,
    MalformedResponseError,
    ModelsLabClient,
    RateLimitError,
    ServerStreamError,
    Stream,
    StreamTruncatedError,
)

from .conftest import (
    BASE,
    KEY,
    REQUEST,
    SSE,
    Api,
    ChunkedStream,
    anthropic_sse,
    chunk,
    completion_body,
    drain,
    sse,
    stream_response,
)

MakeApi = Callable[..., Api]

USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
OPENAI_BODY = sse(
    chunk("Hel"), chunk("lo", finish="stop"), {"choices": [], "usage": USAGE}, "[DONE]"
)
ANTHROPIC_BODY = anthropic_sse(
    {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "model": "m-1",
            "usage": {"input_tokens": 3, "output_tokens": 1},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}},
    {"type": "message_stop"},
)


def chunked(body: bytes, size: int, **kwargs: Any) -> tuple[httpx.Response, ChunkedStream]:
    pieces = ChunkedStream([body[i : i + size] for i in range(0, len(body), size)], **kwargs)
    return httpx.Response(200, stream=pieces, headers=SSE), pieces


def summary(deltas: list[Any]) -> tuple[str, str | None, int | None]:
    text = "".join(d.get("text", "") for d in deltas)
    finish = next((d["finish_reason"] for d in deltas if "finish_reason" in d), None)
    usage = next((d["usage"]["total_tokens"] for d in deltas if "usage" in d), None)
    return text, finish, usage


@pytest.mark.parametrize(
    ("api_format", "body"), [("openai", OPENAI_BODY), ("anthropic", ANTHROPIC_BODY)]
)
@pytest.mark.parametrize("size", [1, 3, 7, 64, 100_000])
async def test_stream_in_any_chunking(
    api: MakeApi, api_format: str, body: bytes, size: int
) -> None:
    response, pieces = chunked(body, size)
    facade = api(response)
    deltas = await facade.stream(api_format=api_format)
    assert summary(deltas) == ("Hello", "stop", 5)
    assert deltas[0]["model"] == "m-1"
    assert pieces.closed
    sent = facade.script.requests[0]
    assert sent.headers["accept"] == "text/event-stream"
    assert facade.script.bodies[0]["stream"] is True


async def test_openai_stream_request_asks_for_usage(api: MakeApi) -> None:
    facade = api(stream_response(OPENAI_BODY))
    await facade.stream()
    assert facade.script.bodies[0]["stream_options"] == {"include_usage": True}


async def test_stream_object_api(api: MakeApi) -> None:
    facade = api(stream_response(OPENAI_BODY, {"x-request-id": "r-1"}))
    stream = await facade.open_stream()
    assert isinstance(stream, Stream | AsyncStream)
    assert isinstance(stream.response, httpx.Response)
    assert stream.response.headers["x-request-id"] == "r-1"
    assert summary(await drain(stream)) == ("Hello", "stop", 5)


@pytest.mark.parametrize(
    ("replies", "cls", "attempts"),
    [
        ([httpx.Response(401, json={"error": {"message": "bad key"}})], AuthenticationError, 1),
        (
            [httpx.Response(503, json={"status": "error", "message": "down"})],
            InternalServerError,
            3,
        ),
        (
            [httpx.Response(200, json={"status": "error", "message": "Rate limit reached"})],
            RateLimitError,
            3,
        ),
        (
            [httpx.Response(200, content=b"<html/>", headers={"content-type": "text/html"})],
            MalformedResponseError,
            1,
        ),
        ([httpx.Response(200, json={"nothing": "useful"})], MalformedResponseError, 1),
    ],
)
async def test_status_and_content_type_are_checked_before_returning(
    api: MakeApi, replies: list[httpx.Response], cls: type[Exception], attempts: int
) -> None:
    facade = api(*replies)
    with pytest.raises(cls):
        await facade.open_stream()
    assert len(facade.script.requests) == attempts


async def test_failures_before_the_stream_is_returned_are_retried(api: MakeApi) -> None:
    facade = api(
        httpx.ConnectError("refused"),
        httpx.Response(502, text="bad gateway"),
        stream_response(OPENAI_BODY),
    )
    assert summary(await facade.stream()) == ("Hello", "stop", 5)
    assert facade.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
async def test_complete_json_answer_to_a_stream_request_becomes_one_event(
    api: MakeApi, api_format: str
) -> None:
    message = {
        "type": "message",
        "id": "msg_1",
        "model": "m-1",
        "stop_reason": "end_turn",
        "content": [{"type": "text", "text": "Hello"}],
        "usage": {"input_tokens": 3, "output_tokens": 2},
    }
    body = completion_body("Hello") if api_format == "openai" else message
    facade = api(httpx.Response(200, json=body))
    deltas = await facade.stream(api_format=api_format)
    assert len(deltas) == 1
    assert summary(deltas)[:2] == ("Hello", "stop")


async def test_missing_content_type_is_read_as_an_event_stream(api: MakeApi) -> None:
    facade = api(httpx.Response(200, content=OPENAI_BODY))
    assert summary(await facade.stream())[0] == "Hello"


@pytest.mark.parametrize(
    "body",
    [sse(chunk("Hel")), sse(chunk("Hel")) + b'data: {"choices": [{"delta": {"content": "l'],
    ids=["no-end", "cut-mid-event"],
)
async def test_truncated_stream_is_reported_and_never_retried(api: MakeApi, body: bytes) -> None:
    response, pieces = chunked(body, 5)
    facade = api(response, stream_response(OPENAI_BODY))
    stream = await facade.open_stream()
    with pytest.raises(StreamTruncatedError):
        await drain(stream)
    assert len(facade.script.requests) == 1
    assert facade.sleeps == []
    assert pieces.closed


@pytest.mark.parametrize(
    ("fail", "cls"),
    [(httpx.ReadError("reset"), APIConnectionError), (httpx.ReadTimeout("idle"), APITimeoutError)],
)
async def test_connection_lost_mid_stream(
    api: MakeApi, fail: Exception, cls: type[APIConnectionError]
) -> None:
    response, pieces = chunked(sse(chunk("Hel")), 4, fail=fail)
    facade = api(response, stream_response(OPENAI_BODY))
    stream = await facade.open_stream()
    with pytest.raises(cls) as info:
        await drain(stream)
    assert info.value.before_response is False
    assert len(facade.script.requests) == 1
    assert pieces.closed


async def test_error_event_mid_stream(api: MakeApi) -> None:
    body = sse(chunk("Hel"), {"error": {"message": f"Upstream died; key {KEY}", "code": 502}})
    facade = api(stream_response(body, {"cf-ray": "ray-9"}))
    with pytest.raises(ServerStreamError) as info:
        await facade.stream()
    assert info.value.status_code == 502
    assert info.value.request_id == "ray-9"
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value.body)
    assert "Upstream died" in str(info.value)


async def test_malformed_event_data(api: MakeApi) -> None:
    facade = api(stream_response(sse(chunk("a"), "{nope")))
    with pytest.raises(MalformedResponseError):
        await facade.stream()


async def test_closing_early_closes_the_response(api: MakeApi) -> None:
    response, pieces = chunked(OPENAI_BODY, 10)
    facade = api(response)
    stream = await facade.open_stream()
    if isinstance(stream, Stream):
        first = next(stream)
        stream.close()
        stream.close()  # idempotent
        assert list(stream) == []
    else:
        first = await stream.__anext__()
        await stream.aclose()
        await stream.aclose()
        assert [d async for d in stream] == []
    assert first["model"] == "m-1"
    assert pieces.closed
    assert stream.response.is_closed


async def test_closing_an_unread_stream_closes_the_response(api: MakeApi) -> None:
    response, pieces = chunked(OPENAI_BODY, 10)
    facade = api(response)
    stream = await facade.open_stream()
    if isinstance(stream, Stream):
        with stream:
            pass
    else:
        async with stream:
            pass
    assert pieces.closed


def test_abandoned_sync_stream_is_closed_when_collected() -> None:
    bodies: list[ChunkedStream] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response, pieces = chunked(OPENAI_BODY, 10)
        bodies.append(pieces)
        return response

    with ModelsLabClient(KEY, base_url=BASE, transport=httpx.MockTransport(handler)) as client:
        started = client.stream_chat(REQUEST)
        next(started)
        del started
        gc.collect()
        unread = client.stream_chat(REQUEST)
        del unread
        gc.collect()
    assert [pieces.closed for pieces in bodies] == [True, True]
