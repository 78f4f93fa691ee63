"""For a model id the catalog does not list, LlamaIndex is told the context length the server
reports in ``/v1/models`` (asked once), else a conservative default."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from llama_index_modelslab import ModelsLabLLM
from modelslab_transport._constants import UNKNOWN_CONTEXT_WINDOW


def _server(models: Any, seen: list[str]) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if models is None:
            return httpx.Response(404, json={"error": {"message": "no such route"}})
        return httpx.Response(200, json={"object": "list", "data": models})

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_the_reported_context_length_is_used_and_asked_for_once() -> None:
    seen: list[str] = []
    models = [
        {"id": "my-org/tiny-model", "object": "model", "meta": {"n_ctx_train": 2048}},
        {"id": "vllm-model", "object": "model", "max_model_len": 16384},
    ]
    http = _server(models, seen)
    llm = ModelsLabLLM(
        model="my-org/tiny-model", api_key="k", base_url="https://a.test/v1", http_client=http
    )
    assert llm.metadata.context_window == 2048
    assert llm.metadata.context_window == 2048
    assert seen == ["/v1/v1/models"]  # once per client, however often metadata is read
    llm.model = "vllm-model"
    assert llm.metadata.context_window == 16384
    http.close()


def test_without_a_report_the_conservative_default_is_used_without_raising() -> None:
    seen: list[str] = []
    http = _server(None, seen)
    llm = ModelsLabLLM(
        model="my-org/tiny-model",
        api_key="k",
        base_url="https://a.test/v1",
        http_client=http,
        max_retries=0,
    )
    assert llm.metadata.context_window == UNKNOWN_CONTEXT_WINDOW == 4096
    assert llm.metadata.context_window == UNKNOWN_CONTEXT_WINDOW
    assert len(seen) == 1  # the failure is remembered: no second request


def test_catalog_models_and_explicit_settings_never_ask() -> None:
    seen: list[str] = []
    http = _server([], seen)
    known = ModelsLabLLM(
        model="baidu-ernie-4.5-vl-28b-a3b",
        api_key="k",
        base_url="https://a.test/v1",
        http_client=http,
    )
    explicit = ModelsLabLLM(
        model="x/unknown",
        context_window=1234,
        api_key="k",
        base_url="https://a.test/v1",
        http_client=http,
    )
    assert known.metadata.context_window > 4096
    assert explicit.metadata.context_window == 1234
    assert seen == []
    http.close()


@pytest.mark.parametrize(
    ("reported", "window"),
    [(1, UNKNOWN_CONTEXT_WINDOW), (255, UNKNOWN_CONTEXT_WINDOW), (256, 256), (10**12, 4096)],
)
def test_an_absurd_reported_context_length_is_ignored(reported: int, window: int) -> None:
    """``context_length: 1`` would make every RAG query fail in LlamaIndex's prompt helper."""
    http = _server([{"id": "my-org/tiny-model", "context_length": reported}], [])
    llm = ModelsLabLLM(
        model="my-org/tiny-model", api_key="k", base_url="https://a.test/v1", http_client=http
    )
    assert llm.metadata.context_window == window
    http.close()


async def test_a_metadata_read_from_async_code_sends_nothing() -> None:
    """Async code never blocks its event loop on the lookup: it gets what is known already."""
    seen: list[str] = []
    http = _server([{"id": "my-org/tiny-model", "context_length": 2048}], seen)
    llm = ModelsLabLLM(
        model="my-org/tiny-model", api_key="k", base_url="https://a.test/v1", http_client=http
    )
    assert llm.metadata.context_window == UNKNOWN_CONTEXT_WINDOW
    assert seen == []
    # A read outside the loop (here a worker thread, as sync code) asks; async reads then know.
    assert (await asyncio.to_thread(lambda: llm.metadata.context_window)) == 2048
    assert llm.metadata.context_window == 2048
    assert seen == ["/v1/v1/models"]
    http.close()
