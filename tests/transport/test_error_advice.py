"""Errors say what to do: the nearest model ids, where the API lives, attempts, the local server."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from modelslab_transport import (
    APIConnectionError,
    ConfigurationError,
    InternalServerError,
    ModelsLabClient,
    NotFoundError,
    StreamInterruptedError,
    StreamTruncatedError,
)

from .conftest import KEY, SSE, Api, ChunkedStream, chunk, drain, sse

MakeApi = Callable[..., Api]
NOT_FOUND = {"error": {"message": "The model `gpt-oss-2b` does not exist", "code": 404}}


def _typo_request(model: str) -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}]}


async def test_a_model_id_with_a_typo_names_the_nearest_catalog_ids(api: MakeApi) -> None:
    facade = api(httpx.Response(404, json=NOT_FOUND))
    with pytest.raises(NotFoundError) as info:
        await facade.chat(_typo_request("openai-gpt-oss-12ob"))
    assert "did you mean 'openai-gpt-oss-120b'" in str(info.value)


async def test_a_known_model_gets_no_guess(api: MakeApi) -> None:
    facade = api(httpx.Response(404, json=NOT_FOUND))
    with pytest.raises(NotFoundError) as info:
        await facade.chat(_typo_request("openai-gpt-oss-120b"))
    assert "did you mean" not in str(info.value)


async def test_a_404_from_a_base_url_without_the_api_prefix_says_where_the_api_lives(
    api: MakeApi,
) -> None:
    facade = api(httpx.Response(404, text="Not Found"), base_url="https://modelslab.com/v1")
    with pytest.raises(NotFoundError) as info:
        await facade.chat()
    text = str(info.value)
    assert "/api/v7/llm" in text
    assert "base_url should end with /api/v7/llm" in text


async def test_a_404_under_the_api_prefix_does_not_blame_the_base_url(api: MakeApi) -> None:
    facade = api(httpx.Response(404, text="Not Found"))
    with pytest.raises(NotFoundError) as info:
        await facade.chat()
    assert "base_url should end" not in str(info.value)


async def test_a_503_after_retries_says_how_many_attempts_were_made(api: MakeApi) -> None:
    facade = api(httpx.Response(503, json={"error": {"message": "busy"}}), max_retries=2)
    with pytest.raises(InternalServerError) as info:
        await facade.chat()
    assert len(facade.script.requests) == 3
    assert "after 3 attempts" in str(info.value)


async def test_a_503_without_retries_says_nothing_of_attempts(api: MakeApi) -> None:
    facade = api(httpx.Response(503, json={"error": {"message": "busy"}}), max_retries=0)
    with pytest.raises(InternalServerError) as info:
        await facade.chat()
    assert "attempts" not in str(info.value)


def test_no_key_points_to_the_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELSLAB_API_KEY", raising=False)
    client = ModelsLabClient(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    with client, pytest.raises(ConfigurationError) as info:
        client.chat(_typo_request("m"))  # type: ignore[arg-type]
    text = str(info.value)
    assert "api_key" in text
    assert "modelslab-local serve" in text
    assert "make demo" in text


async def test_a_stream_cut_midway_is_a_truncated_stream(api: MakeApi) -> None:
    body = sse(chunk("Hel"))
    pieces = ChunkedStream([body], fail=httpx.RemoteProtocolError("peer closed connection"))
    facade = api(httpx.Response(200, stream=pieces, headers=SSE))
    stream = await facade.open_stream()
    with pytest.raises(StreamTruncatedError) as info:
        await drain(stream)
    assert isinstance(info.value, StreamInterruptedError)
    # Older ``except APIConnectionError`` handlers still catch it; it is never retried.
    assert isinstance(info.value, APIConnectionError)
    assert info.value.before_response is False
    assert len(facade.script.requests) == 1
    assert "cut before the answer was complete" in str(info.value)
    assert KEY not in str(info.value)
