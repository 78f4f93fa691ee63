"""What one harness run hands a surface: HTTP clients, settings, the prompt, call arguments."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from llama_index.core.base.llms.types import ChatMessage

import modelslab_transport as mt
from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM

from .behaviours import KEY, MODEL

BASE_URL = "https://modelslab.test/api/v7/llm"


@dataclass
class Env:
    """What one run hands a surface: HTTP clients, settings, the prompt and call arguments."""

    http: httpx.Client
    ahttp: httpx.AsyncClient
    settings: dict[str, Any] = field(default_factory=dict)
    prompt: str = "hi"
    call_kwargs: dict[str, Any] = field(default_factory=dict)
    built: dict[str, Any] = field(default_factory=dict)  # the models, by kind
    sent: list[httpx.Request] = field(default_factory=list)  # every request, in order
    # Where a request route sends (``calls.routed``); ``None``: a made-up host the mock
    # transport answers. The socket tier routes to its real server instead.
    route_url: str | None = None

    def _common(self) -> dict[str, Any]:
        # One concurrency slot and a deadline: a slot a failed call kept shows as the next
        # call on the same model failing at its deadline instead of hanging.
        limits = {"max_retries": 0, "max_concurrency": 1, "deadline": 5.0}
        return {"api_key": KEY, "base_url": BASE_URL, **limits, **self.settings}

    def raw(self) -> mt.ModelsLabClient:
        """The sync raw client (one per run, so a later call shares its slots)."""
        return self._once("raw", lambda c: mt.ModelsLabClient(http_client=self.http, **_own(c)))

    def araw(self) -> mt.AsyncModelsLabClient:
        build = mt.AsyncModelsLabClient
        return self._once("araw", lambda c: build(http_client=self.ahttp, **_own(c)))

    def lc(self) -> ChatModelsLab:
        clients = {"http_client": self.http, "http_async_client": self.ahttp}
        return self._once("lc", lambda c: ChatModelsLab(model=MODEL, **clients, **c))

    def li(self) -> ModelsLabLLM:
        clients = {"http_client": self.http, "async_http_client": self.ahttp}
        return self._once("li", lambda c: ModelsLabLLM(model=MODEL, **clients, **c))

    def _once(self, kind: str, build: Callable[[dict[str, Any]], Any]) -> Any:
        if kind not in self.built:
            self.built[kind] = build(self._common())
        return self.built[kind]

    def request(self) -> mt.ChatRequest:
        """The raw clients' request; ``call_kwargs`` may replace its ``messages`` too."""
        messages = [{"role": "user", "content": self.prompt}]
        return {"model": MODEL, "messages": messages, **self.call_kwargs}  # type: ignore[typeddict-item]

    def adapter_kwargs(self) -> dict[str, Any]:
        """The per-call arguments for the adapters (``messages`` is their positional input)."""
        return {k: v for k, v in self.call_kwargs.items() if k != "messages"}

    def li_messages(self) -> list[ChatMessage]:
        return [ChatMessage(role="user", content=self.prompt)]


_RAW_NAMES = frozenset(inspect.signature(mt.ModelsLabClient).parameters)


def _own(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings a raw client takes: its signature refuses others with Python's TypeError
    (the language's argument check, not a value the project validates)."""
    return {name: value for name, value in settings.items() if name in _RAW_NAMES}
