"""The model catalog: what is known about each ModelsLab LLM, and what a call costs.

ModelsLab's ``/v1/models`` returns ids only, so context windows, prices and capability flags
come from this table. Facts are from ModelsLab's product pages where they exist and from the
upstream route (OpenRouter / Together) otherwise; ``None`` means *unknown*, never *no*.
Every entry can be overridden with :func:`register_model`, and an unknown id still works with
conservative defaults (:func:`get_model_info`).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._constants import (
    MAX_REPORTED_CONTEXT,
    MIN_REPORTED_CONTEXT,
    UNKNOWN_CONTEXT_WINDOW,
    UNKNOWN_MAX_OUTPUT,
)
from ._types import Usage


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What is known about one model. ``None`` means unknown.

    Example:
        ```python
        from modelslab_transport import get_model_info

        info = get_model_info("baidu-ernie-4.5-vl-28b-a3b")
        print(info.context_window, info.vision, info.tools, info.input_price)
        ```

        Choosing a model and registering your own: ``notebooks/03_usage_and_cost.ipynb``.

    Attributes:
        id: The ModelsLab model id, sent verbatim as ``model``.
        provider: Who makes the model (``baidu``, ``qwen``, ...).
        context_window: Tokens of input plus output the route accepts.
        max_output_tokens: Most tokens one answer may have.
        input_price: Dollars per million input tokens.
        output_price: Dollars per million output tokens.
        vision: Accepts image input.
        tools: Supports tool (function) calling.
        json_mode: Supports ``response_format={"type": "json_object"}``.
        json_schema: Supports ``response_format={"type": "json_schema"}``.
        reasoning: Returns reasoning text (``reasoning_content`` / ``reasoning``).
        reasoning_efforts: The ``reasoning_effort`` values the model accepts; ``()`` when it
            cannot reason (asking it to is refused before any I/O), ``None`` when unknown.
        known: False for the synthesized entry of an id the catalog does not list.
        notes: Where a fact is disputed, what was chosen and why.
    """

    id: str
    provider: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    vision: bool | None = None
    tools: bool | None = None
    json_mode: bool | None = None
    json_schema: bool | None = None
    reasoning: bool | None = None
    reasoning_efforts: tuple[str, ...] | None = None
    known: bool = True
    notes: str = ""

    def replace(self, **changes: Any) -> ModelInfo:
        """Return a copy with ``changes`` applied (for user overrides)."""
        return dataclasses.replace(self, **changes)


def _m(model_id: str, provider: str, **facts: Any) -> ModelInfo:
    return ModelInfo(id=model_id, provider=provider, **facts)


_LOW_TO_HIGH = ("low", "medium", "high")

_BUILTIN: tuple[ModelInfo, ...] = (
    _m(
        "baidu-ernie-4.5-vl-28b-a3b",
        "baidu",
        # ModelsLab claims 131K but the OpenRouter route it uses lists 30,000 / 8,000:
        # the smaller figure is the one that cannot overflow.
        context_window=30_000,
        max_output_tokens=8_000,
        input_price=0.14,
        output_price=0.56,
        vision=True,
        tools=True,
        json_mode=True,
        json_schema=None,
        reasoning=True,
        notes="131,072 context claimed by ModelsLab; 30,000 on the upstream route (default). "
        "Tool calling claimed by ModelsLab but not by Baidu for the non-thinking VL model.",
    ),
    _m(
        "baidu-ernie-4.5-vl-424b-a47b",
        "baidu",
        context_window=123_000,
        max_output_tokens=16_000,
        input_price=0.42,
        output_price=1.25,
        vision=True,
        tools=None,
        json_mode=None,
        reasoning=True,
    ),
    _m("mistralai-ministral-14b-2512", "mistralai", vision=None, tools=True, json_mode=True),
    _m(
        "mistralai-mixtral-8x7b-instruct",
        "mistralai",
        context_window=32_768,
        vision=False,
        tools=True,
        json_mode=True,
        reasoning_efforts=(),
    ),
    _m(
        "openai-gpt-oss-120b-free",
        "openai",
        context_window=131_072,
        input_price=0.0,
        output_price=0.0,
        vision=False,
        tools=True,
        json_mode=True,
        json_schema=False,
        reasoning=True,
        reasoning_efforts=_LOW_TO_HIGH,
    ),
    _m(
        "openai-gpt-oss-120b",
        "openai",
        context_window=131_072,
        input_price=0.039,
        output_price=0.18,
        vision=False,
        tools=True,
        json_mode=True,
        reasoning=True,
        reasoning_efforts=_LOW_TO_HIGH,
    ),
    _m("qwen-qwen3.5-122b-a10b", "qwen", tools=True, json_mode=True, reasoning=True),
    _m("xiaomi-mimo-v2-flash", "xiaomi", tools=True, reasoning=True),
    _m(
        "openai-o3-mini-high",
        "openai",
        context_window=200_000,
        max_output_tokens=100_000,
        vision=False,
        tools=True,
        json_mode=True,
        json_schema=True,
        reasoning=False,
        reasoning_efforts=_LOW_TO_HIGH,
        notes="Reasoning model: reasoning text is not returned. The route's default effort is "
        "high; o3-mini takes low, medium and high.",
    ),
    _m(
        "google-gemini-2.5-flash",
        "google",
        vision=True,
        tools=True,
        json_mode=True,
        # Gemini's OpenAI-compatible endpoint: "none" turns 2.5 Flash's thinking off.
        reasoning_efforts=("none", *_LOW_TO_HIGH),
    ),
    _m(
        "google-gemini-2.0-flash-lite-001",
        "google",
        vision=True,
        tools=True,
        json_mode=True,
        reasoning_efforts=(),
    ),
    _m(
        "google-gemini-2.5-pro",
        "google",
        vision=True,
        tools=True,
        json_mode=True,
        reasoning=True,
        # 2.5 Pro always thinks: "none" is not among its efforts.
        reasoning_efforts=_LOW_TO_HIGH,
    ),
    _m("google-gemma-3-27b-it", "google", vision=True, reasoning_efforts=()),
    _m("qwen-qwen-max", "qwen", tools=True, json_mode=True),
    _m(
        "openai-gpt-5.1-codex",
        "openai",
        tools=True,
        json_mode=True,
        reasoning=True,
        reasoning_efforts=_LOW_TO_HIGH,
    ),
    _m("Qwen-Qwen2.5-VL-72B-Instruct", "qwen", vision=True, reasoning_efforts=()),
    _m(
        "meta-llama-Meta-Llama-3.1-8B-Instruct-Turbo",
        "meta",
        vision=False,
        tools=True,
        reasoning_efforts=(),
    ),
    # The 2507 Instruct and Coder-Next models are Qwen3's non-thinking variants.
    _m(
        "Qwen-Qwen3-235B-A22B-Instruct-2507-tput",
        "qwen",
        vision=False,
        tools=True,
        reasoning_efforts=(),
    ),
    _m("Qwen-Qwen3-Coder-Next-FP8", "qwen", vision=False, tools=True, reasoning_efforts=()),
    _m("meta-llama-Meta-Llama-3.1-70B", "meta", vision=False, reasoning_efforts=()),
    _m("Qwen-Qwen2.5-7B", "qwen", vision=False, reasoning_efforts=()),
)

_lock = threading.Lock()
_registry: dict[str, ModelInfo] = {m.id: m for m in _BUILTIN}


def list_catalog() -> list[ModelInfo]:
    """Return every catalog entry (built-in and registered), sorted by id."""
    with _lock:
        return sorted(_registry.values(), key=lambda m: m.id)


def register_model(info: ModelInfo) -> None:
    """Add a model to the catalog, or replace what is known about one.

    Args:
        info: The entry; its ``id`` is the key.
    """
    with _lock:
        _registry[info.id] = info


def get_model_info(model_id: str) -> ModelInfo:
    """Return what is known about ``model_id``.

    An id the catalog does not list gets a synthesized entry with conservative defaults
    (``known=False``): a small context window and ``None`` for every capability.
    """
    # No lock to read: one dict lookup is atomic, and this runs several times per call.
    info = _registry.get(model_id)
    if info is not None:
        return info
    return ModelInfo(
        id=model_id,
        context_window=UNKNOWN_CONTEXT_WINDOW,
        max_output_tokens=UNKNOWN_MAX_OUTPUT,
        known=False,
    )


def reported_context(entry: Mapping[str, Any]) -> int | None:
    """The context length a ``/v1/models`` entry reports, if it reports one.

    Servers name it differently: ``context_length`` (OpenRouter and others),
    ``context_window``, ``max_model_len`` (vLLM), ``meta.n_ctx_train`` (llama.cpp). A value
    outside ``MIN_REPORTED_CONTEXT``..``MAX_REPORTED_CONTEXT`` is not a real window (a typo, a
    placeholder) and counts as not reported.
    """
    meta = entry.get("meta")
    candidates = [entry.get(k) for k in ("context_length", "context_window", "max_model_len")]
    if isinstance(meta, Mapping):
        candidates.append(meta.get("n_ctx_train"))
    for value in candidates:
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and MIN_REPORTED_CONTEXT <= value <= MAX_REPORTED_CONTEXT
        ):
            return value
    return None


def context_window(model_id: str) -> int:
    """Return the model's context window, or the conservative default when unknown."""
    return get_model_info(model_id).context_window or UNKNOWN_CONTEXT_WINDOW


def default_max_tokens(model_id: str) -> int:
    """Return the ``max_tokens`` to send when the caller set none.

    The API's own default (1000) capped by the model's maximum output, so behaviour matches an
    explicit request rather than a silent server-side default.
    """
    limit = get_model_info(model_id).max_output_tokens
    return min(UNKNOWN_MAX_OUTPUT, limit) if limit else UNKNOWN_MAX_OUTPUT


def estimate_cost(model_id: str, usage: Usage | dict[str, int] | None) -> float | None:
    """Turn token usage into dollars from the catalog's prices.

    Args:
        model_id: The model that served the tokens.
        usage: A :class:`Usage` (``input_tokens``/``output_tokens``) or an OpenAI-style dict
            (``prompt_tokens``/``completion_tokens``).

    Returns:
        The cost in dollars, or ``None`` when a price or the usage is unknown.
    """
    if usage is None:
        return None
    info = get_model_info(model_id)
    if info.input_price is None or info.output_price is None:
        return None
    counts: dict[str, Any] = dict(usage)
    inp = int(counts.get("input_tokens", counts.get("prompt_tokens", 0)) or 0)
    out = int(counts.get("output_tokens", counts.get("completion_tokens", 0)) or 0)
    return (inp * info.input_price + out * info.output_price) / 1_000_000
