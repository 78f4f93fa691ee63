"""ModelsLab's error reports inside and instead of a stream, in every shape it uses.

A stream must never end as a silent success when the server reported an error: neither when
the report is a ``data:`` line in ModelsLab's site-wide shape (not the format's own error
event), nor when the whole body is a JSON report sent with an event-stream or HTML content
type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from modelslab_transport import (
    BadRequestError,
    MalformedResponseError,
    RateLimitError,
    ServerStreamError,
    StreamTruncatedError,
)
from modelslab_transport._sse import MAX_LINE_CHARS, SSEDecoder

from .conftest import KEY, Api, anthropic_sse, chunk, sse, stream_response

MakeApi = Callable[..., Api]

MESSAGE_START = {"type": "message_start", "message": {"id": "msg_1", "model": "m-1"}}
BLOCK_START = {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}
TEXT = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}


def _anthropic(error: dict[str, Any], *, then_stop: bool) -> bytes:
    """A Messages stream broken by ``error`` sent as a plain ``data:`` line (no event name)."""
    head = anthropic_sse(MESSAGE_START, BLOCK_START, TEXT)
    tail = anthropic_sse({"type": "message_stop"}) if then_stop else b""
    return head + sse(error) + tail


ERROR_REPORTS = [
    {"status": "error", "message": "Upstream provider failed."},
    {"status": "error", "messege": "Upstream provider failed."},
    {"error": {"message": "Upstream provider failed."}},
    {"error": "Upstream provider failed."},
]


@pytest.mark.parametrize("report", ERROR_REPORTS)
async def test_openai_stream_error_line_in_any_shape_raises(
    api: MakeApi, report: dict[str, Any]
) -> None:
    # The report is followed by [DONE]: before, this ended as a successful, shorter answer.
    body = sse(chunk("Hel"), report, "[DONE]")
    with pytest.raises(ServerStreamError, match="Upstream provider failed"):
        await api(stream_response(body)).stream()


@pytest.mark.parametrize("then_stop", [True, False])
@pytest.mark.parametrize("report", ERROR_REPORTS)
async def test_anthropic_stream_error_line_in_any_shape_raises(
    api: MakeApi, report: dict[str, Any], then_stop: bool
) -> None:
    body = _anthropic(report, then_stop=then_stop)
    with pytest.raises(ServerStreamError, match="Upstream provider failed"):
        await api(stream_response(body)).stream(api_format="anthropic")


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
@pytest.mark.parametrize("trailer", [b"", b"\n", b"\r\n\r\n"])
async def test_json_error_body_under_event_stream_content_type(
    api: MakeApi, api_format: str, trailer: bytes
) -> None:
    report = b'{"status": "error", "message": "Rate limit exceeded, retry later."}' + trailer
    with pytest.raises(RateLimitError, match="Rate limit exceeded") as caught:
        await api(stream_response(report, {"x-request-id": "req-7"})).stream(api_format=api_format)
    assert caught.value.request_id == "req-7"


async def test_json_error_report_under_event_stream_never_leaks_the_key(api: MakeApi) -> None:
    report = f'{{"status": "error", "message": "invalid key {KEY}"}}'.encode()
    with pytest.raises(Exception) as caught:
        await api(stream_response(report)).stream()
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value.body)  # type: ignore[attr-defined]


async def test_non_json_body_under_event_stream_is_still_a_truncated_stream(
    api: MakeApi,
) -> None:
    with pytest.raises(StreamTruncatedError):
        await api(stream_response(b"<html>502 Bad Gateway</html>")).stream()


async def test_json_error_body_under_html_content_type_is_the_servers_error(
    api: MakeApi,
) -> None:
    reply = httpx.Response(
        200,
        content=b'{"status": "error", "message": "Rate limit exceeded."}',
        headers={"content-type": "text/html"},
    )
    facade = api(reply)
    with pytest.raises(RateLimitError, match="Rate limit exceeded"):
        await facade.open_stream()
    assert len(facade.script.requests) == 3  # a rate limit is retried (max_retries=2)


def test_a_line_without_end_is_refused_before_it_exhausts_memory() -> None:
    decoder = SSEDecoder()
    piece = b"data: " + b"x" * (1024 * 1024)
    for _ in range(MAX_LINE_CHARS // len(piece)):
        decoder.feed(piece)  # just under the limit: still accepted
    with pytest.raises(MalformedResponseError, match="line longer than"):
        decoder.feed(piece)


def test_long_lines_below_the_limit_still_decode() -> None:
    decoder = SSEDecoder()
    text = "y" * (2 * 1024 * 1024)
    events = decoder.feed(f"data: {text}".encode()) + decoder.feed(b"\n\n")
    assert [len(e.data) for e in events] == [len(text)]


REFUSED = {"error": {"message": "Unrecognized request argument supplied: stream_options"}}


@pytest.mark.parametrize("status", [400, 422])
async def test_a_refused_stream_options_is_dropped_and_remembered(
    api: MakeApi, status: int
) -> None:
    ok = sse(chunk("Hi", finish="stop"), "[DONE]")
    facade = api(
        httpx.Response(status, json=REFUSED),
        stream_response(ok),
        stream_response(ok),
        max_retries=0,  # the second request is the same call without the option, not a retry
    )
    assert "".join(d.get("text", "") for d in await facade.stream()) == "Hi"
    await facade.stream()
    sent = facade.script.bodies
    assert [("stream_options" in body) for body in sent] == [True, False, False]
    assert facade.sleeps == [0.0]


async def test_other_bad_requests_are_not_resent(api: MakeApi) -> None:
    facade = api(httpx.Response(400, json={"error": {"message": "messages must not be empty"}}))
    with pytest.raises(BadRequestError, match="must not be empty"):
        await facade.stream()
    assert len(facade.script.requests) == 1
