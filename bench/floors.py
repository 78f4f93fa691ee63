"""Framework floors: the thinnest possible LangChain and LlamaIndex models on raw httpx.

Each is what an adapter cannot avoid: the framework's own call path (callbacks,
instrumentation, message and chunk objects) over the same raw httpx requests as the
``raw httpx`` case. The distance from ``raw httpx`` to a floor is the framework's price; the
distance from a floor to an adapter is what the adapter itself adds.

This module holds what both share (the raw httpx requests); ``floor_langchain`` and
``floor_llama_index`` hold the models, imported only when their case runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx


def _payload(model: str, messages: list[dict[str, str]], stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": messages, "max_tokens": 256}
    if stream:
        body.update(stream=True, stream_options={"include_usage": True})
    return body


def _events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    response.raise_for_status()
    for line in response.iter_lines():
        if line.startswith("data: ") and line != "data: [DONE]":
            yield json.loads(line[6:])


class Wire:
    """The raw httpx requests both floors share (one sync and one async pool)."""

    def __init__(self, base_url: str, key: str, model: str) -> None:
        self.url = base_url + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {key}"}
        self.model = model
        self.client = httpx.Client()
        self.aclient = httpx.AsyncClient()

    def post(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        body = _payload(self.model, messages, stream=False)
        r = self.client.post(self.url, json=body, headers=self.headers)
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        return data

    async def apost(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        body = _payload(self.model, messages, stream=False)
        r = await self.aclient.post(self.url, json=body, headers=self.headers)
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        return data

    def stream(self, messages: list[dict[str, str]]) -> Iterator[dict[str, Any]]:
        body = _payload(self.model, messages, stream=True)
        with self.client.stream("POST", self.url, json=body, headers=self.headers) as r:
            yield from _events(r)
