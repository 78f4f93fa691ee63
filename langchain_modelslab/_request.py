"""Which model fields are request settings, and LangSmith's view of a call. Pure.

The request itself is built by the transport's ``build_chat_request`` (one rule for both
frameworks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models import LangSmithParams

from modelslab_transport import default_max_tokens

__all__ = ["MODEL_SETTINGS", "TRACING", "ls_params"]

# The model fields that are request settings (sent when not None).
MODEL_SETTINGS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
    "stop",
    "seed",
    "n",
    "reasoning_effort",
    "thinking",
)

# Tracing-only arguments LangChain normally strips itself; never send them.
TRACING = frozenset({"ls_structured_output_format", "structured_output_format"})


def ls_params(
    settings: Mapping[str, Any], stop: list[str] | None, call: Mapping[str, Any]
) -> LangSmithParams:
    """LangSmith's standard parameters for one call (per-call ``model`` etc. win)."""
    merged = {**settings, **{k: v for k, v in call.items() if v is not None}}
    params = LangSmithParams(
        ls_provider="modelslab", ls_model_name=merged["model"], ls_model_type="chat"
    )
    if merged.get("temperature") is not None:
        params["ls_temperature"] = merged["temperature"]
    # max_tokens is always sent (the catalog's default when unset), so it is always traced.
    max_tokens = merged.get("max_tokens")
    params["ls_max_tokens"] = (
        max_tokens if max_tokens is not None else default_max_tokens(merged["model"])
    )
    stops = stop or merged.get("stop")
    if stops:
        params["ls_stop"] = stops
    return params
