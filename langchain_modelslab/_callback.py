"""Token and dollar totals over everything run inside a ``with get_modelslab_callback():``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata, add_usage
from langchain_core.outputs import ChatGeneration, LLMResult

from modelslab_transport import estimate_cost

from ._outputs import PROVIDER

__all__ = ["ModelsLabCallbackHandler", "get_modelslab_callback"]


class ModelsLabCallbackHandler(BaseCallbackHandler):
    """Totals the usage and cost of ModelsLab calls (other providers' calls are ignored).

    Pass one in ``callbacks``, or let :func:`get_modelslab_callback` make one for a block.

    Example:
        ```python
        from langchain_modelslab import ChatModelsLab, ModelsLabCallbackHandler

        handler = ModelsLabCallbackHandler()
        model = ChatModelsLab(model="baidu-ernie-4.5-vl-28b-a3b", callbacks=[handler])
        model.invoke("Hello")
        print(handler.total_tokens, f"${handler.total_cost:.6f}")
        ```

        More in ``notebooks/03_usage_and_cost.ipynb``.

    Attributes:
        prompt_tokens: Input tokens, summed.
        completion_tokens: Output tokens, summed.
        total_tokens: All tokens, summed.
        reasoning_tokens: Output tokens spent on reasoning, where reported.
        cached_tokens: Input tokens read from the provider's cache, where reported.
        successful_requests: Calls that finished with usage.
        total_cost: Dollars, from the catalog's per-million-token prices.
        unpriced_requests: Calls whose model has no price in the catalog (not in the cost).
        usage_by_model: ``UsageMetadata`` totals per served model id.
    """

    # Counted inline in async runs too, so totals are final when the awaited call returns.
    run_inline = True
    raise_error = False

    def __init__(self, parent: ModelsLabCallbackHandler | None = None) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._parent = parent
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.total_tokens = 0
        self.reasoning_tokens = 0
        self.cached_tokens = 0
        self.successful_requests = 0
        self.total_cost = 0.0
        self.unpriced_requests = 0
        self.usage_by_model: dict[str, UsageMetadata] = {}

    def __repr__(self) -> str:
        return (
            f"Tokens Used: {self.total_tokens}\n"
            f"\tPrompt Tokens: {self.prompt_tokens}\n"
            f"\tCompletion Tokens: {self.completion_tokens}\n"
            f"Successful Requests: {self.successful_requests}\n"
            f"Total Cost (USD): ${self.total_cost:.6f}"
        )

    @property
    def always_verbose(self) -> bool:
        """Count even when the run is not verbose."""
        return True

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Add the usage of every ModelsLab generation in ``response``."""
        for generations in response.generations:
            for generation in generations:
                message = generation.message if isinstance(generation, ChatGeneration) else None
                if not isinstance(message, AIMessage) or message.usage_metadata is None:
                    continue
                if message.response_metadata.get("model_provider") != PROVIDER:
                    continue
                model = str(message.response_metadata.get("model_name") or "")
                self.record(model, message.usage_metadata)

    def record(self, model: str, usage: UsageMetadata) -> None:
        """Add one call's usage (and that of every enclosing context)."""
        cost = estimate_cost(model, dict(usage))  # type: ignore[arg-type]
        with self._lock:
            self.prompt_tokens += usage["input_tokens"]
            self.completion_tokens += usage["output_tokens"]
            self.total_tokens += usage["total_tokens"]
            self.reasoning_tokens += usage.get("output_token_details", {}).get("reasoning", 0)
            self.cached_tokens += usage.get("input_token_details", {}).get("cache_read", 0)
            self.successful_requests += 1
            if cost is None:
                self.unpriced_requests += 1
            else:
                self.total_cost += cost
            prior = self.usage_by_model.get(model)
            self.usage_by_model[model] = add_usage(prior, usage) if prior else usage
        if self._parent is not None:
            self._parent.record(model, usage)


_current: ContextVar[ModelsLabCallbackHandler | None] = ContextVar(
    "modelslab_callback", default=None
)
_hook_lock = threading.Lock()
_hooked = False


def _register_once() -> None:
    # Every callback manager configured while the variable is set gets the handler (the
    # mechanism get_openai_callback uses), so chains, agents and threads started by LangChain
    # executors are covered without passing callbacks around. Registered on first use, and
    # only once (twice would count every call twice); the tracing module is slow to import.
    global _hooked
    with _hook_lock:
        if not _hooked:
            from langchain_core.tracers.context import register_configure_hook

            register_configure_hook(_current, inheritable=True)
            _hooked = True


@contextmanager
def get_modelslab_callback() -> Iterator[ModelsLabCallbackHandler]:
    """Total the tokens and dollars of every ModelsLab call made inside the block.

    Works for sync and async code (the handler travels in a context variable) and is
    thread-safe. Contexts nest: an inner block's calls also count in the outer one.

    Yields:
        The handler; read its attributes during or after the block.

    Example:
        ```python
        from langchain_modelslab import ChatModelsLab, get_modelslab_callback

        model = ChatModelsLab(model="baidu-ernie-4.5-vl-28b-a3b")
        with get_modelslab_callback() as cb:
            model.invoke("Hello")
        print(cb.total_tokens, f"${cb.total_cost:.6f}")
        ```

        A session across streams, agents and models: ``notebooks/03_usage_and_cost.ipynb``.
    """
    _register_once()
    handler = ModelsLabCallbackHandler(parent=_current.get())
    token = _current.set(handler)
    try:
        yield handler
    finally:
        _current.reset(token)
