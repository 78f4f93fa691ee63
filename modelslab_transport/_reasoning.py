"""Reasoning as settings: ``reasoning_effort`` and ``thinking``, for either format. Pure.

One rule for both adapters and both endpoints:

* **Names.** ``reasoning_effort`` is ChatOpenAI's setting (``"none"``, ``"minimal"``,
  ``"low"``, ``"medium"``, ``"high"``, ``"xhigh"``, ``"max"``: what the OpenAI SDK takes);
  ``thinking`` is ChatAnthropic's (``{"type": "enabled", "budget_tokens": N}`` or
  ``{"type": "disabled"}``). Either may be a model setting or one call's argument.
* **Each in its own format.** Chat Completions sends ``reasoning_effort``; Messages sends
  ``thinking``. When only the other one is set it is mapped (:func:`wire_effort`,
  :func:`wire_thinking`): an effort becomes a budget from :data:`EFFORT_BUDGETS`, capped at
  ``max_tokens - 1`` (Messages wants the budget below ``max_tokens``) and refused when that
  leaves less than :data:`MIN_BUDGET`; a budget becomes the largest of ``low``/``medium``/
  ``high`` whose budget it reaches; ``"none"`` and ``{"type": "disabled"}`` map onto each other.
* **The catalog.** ``ModelInfo.reasoning_efforts`` lists the efforts a model accepts; ``()``
  means it cannot reason, ``None`` unknown (sent). An effort outside the list, or thinking
  enabled for a model that cannot reason, is refused with :class:`UnsupportedContentError`
  before any I/O; :func:`register_model` overrides an entry.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from ._catalog import get_model_info
from ._errors import ConfigurationError
from ._validate import shown

__all__ = [
    "EFFORTS",
    "EFFORT_BUDGETS",
    "MIN_BUDGET",
    "check_reasoning",
    "check_reasoning_values",
    "check_thinking_sampling",
    "unforce_tool_choice",
    "wire_effort",
    "wire_thinking",
]

EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
"""The ``reasoning_effort`` values the OpenAI SDK (2.x) and ChatOpenAI take."""

EFFORT_BUDGETS = {
    "minimal": 1024,
    "low": 1024,
    "medium": 4096,
    "high": 16384,
    "xhigh": 32768,
    "max": 65536,
}
"""The thinking budget (tokens) an effort asks for on the Messages format."""

MIN_BUDGET = 1024
"""The smallest ``budget_tokens`` the Messages format documents."""

# Budget -> effort on Chat Completions: the efforts nearly every reasoning model takes.
_BUDGET_EFFORTS = (("high", 16384), ("medium", 4096), ("low", 0))


def _error(message: str) -> Exception:
    # Imported here: _chat_request imports this module, and owns the error class.
    from ._chat_request import UnsupportedContentError

    return UnsupportedContentError(message)


def _check_thinking_shape(thinking: Any) -> None:
    kind = thinking.get("type") if isinstance(thinking, Mapping) else None
    budget = thinking.get("budget_tokens") if isinstance(thinking, Mapping) else None
    if kind == "disabled":
        return
    if kind == "enabled" and isinstance(budget, int) and not isinstance(budget, bool):
        if budget < MIN_BUDGET:
            raise ConfigurationError(
                f"thinking budget_tokens must be at least {MIN_BUDGET}, got {budget}."
            )
        return
    raise ConfigurationError(
        "thinking must be {'type': 'enabled', 'budget_tokens': N} (an int, at least "
        f"{MIN_BUDGET}) or {{'type': 'disabled'}}, got {shown(thinking)}."
    )


def check_reasoning_values(effort: Any, thinking: Any) -> None:
    """Refuse a malformed ``reasoning_effort`` or ``thinking`` (``None``: not set).

    Raises:
        ConfigurationError: An effort not in :data:`EFFORTS`, or a ``thinking`` that is not
            enabled with an int budget of at least :data:`MIN_BUDGET`, nor disabled.
    """
    if effort is not None and effort not in EFFORTS:
        raise ConfigurationError(
            f"reasoning_effort must be one of {list(EFFORTS)}, got {shown(effort)}."
        )
    if thinking is not None:
        _check_thinking_shape(thinking)


def check_reasoning(model: str, effort: Any, thinking: Any) -> None:
    """Refuse a malformed setting, or one the catalog says ``model`` cannot take.

    Args:
        model: The model id.
        effort: ``reasoning_effort`` (``None``: not set).
        thinking: ``thinking`` (``None``: not set).

    Raises:
        ConfigurationError: An effort not in :data:`EFFORTS`, or a malformed ``thinking``.
        UnsupportedContentError: An effort the model does not accept, or thinking enabled for
            a model that cannot reason.
    """
    check_reasoning_values(effort, thinking)
    if effort is not None:
        _check_effort(model, effort, "reasoning_effort")
    enabled = thinking is not None and thinking["type"] == "enabled"
    if enabled and get_model_info(model).reasoning_efforts == ():
        raise _error(
            f"Model {model!r} cannot reason (model catalog): thinking cannot be enabled. "
            f"If it can, say so with register_model(get_model_info({model!r})"
            ".replace(reasoning_efforts=(...)))."
        )


def _check_effort(model: str, effort: str, what: str) -> None:
    accepted = get_model_info(model).reasoning_efforts
    if accepted is not None and effort not in accepted:
        said = f"accepts the efforts {list(accepted)}" if accepted else "cannot reason"
        raise _error(
            f"Model {model!r} {said} (model catalog), not {what} {effort!r}. If it does, say "
            f"so with register_model(get_model_info({model!r}).replace(reasoning_efforts=...))."
        )


def wire_effort(request: Mapping[str, Any]) -> str | None:
    """The ``reasoning_effort`` a Chat Completions body carries (``None``: send none).

    Raises:
        UnsupportedContentError: The effort mapped from ``thinking`` is not one the catalog
            says the model accepts.
    """
    effort = request.get("reasoning_effort")
    thinking = request.get("thinking")
    if effort is not None or thinking is None:
        return effort
    if thinking["type"] == "disabled":
        effort = "none"
    else:
        budget = thinking["budget_tokens"]
        effort = next(name for name, least in _BUDGET_EFFORTS if budget >= least)
    _check_effort(request["model"], effort, f"reasoning_effort (from thinking {thinking!r})")
    return effort


def wire_thinking(request: Mapping[str, Any], max_tokens: int) -> dict[str, Any] | None:
    """The ``thinking`` a Messages body carries (``None``: send none).

    Args:
        request: The request (``thinking``, else ``reasoning_effort``, is read).
        max_tokens: The ``max_tokens`` the body sends; the budget must be below it.

    Raises:
        ConfigurationError: The budget is not below ``max_tokens``, or an effort's budget
            capped below ``max_tokens`` is under :data:`MIN_BUDGET`.
    """
    thinking = request.get("thinking")
    effort = request.get("reasoning_effort")
    if thinking is None:
        if effort is None:
            return None
        if effort == "none":
            return {"type": "disabled"}
        budget = min(EFFORT_BUDGETS[effort], max_tokens - 1)
        if budget < MIN_BUDGET:
            raise ConfigurationError(
                f"reasoning_effort {effort!r} needs a thinking budget of at least {MIN_BUDGET} "
                f"tokens below max_tokens on the Messages format: raise max_tokens above "
                f"{MIN_BUDGET} (it is {max_tokens})."
            )
        return {"type": "enabled", "budget_tokens": budget}
    if thinking["type"] == "enabled" and thinking["budget_tokens"] >= max_tokens:
        raise ConfigurationError(
            f"thinking budget_tokens ({thinking['budget_tokens']}) must be below max_tokens "
            f"({max_tokens}): the answer's tokens include the thinking."
        )
    return dict(thinking)


def _thinking_enabled(body: Mapping[str, Any]) -> bool:
    """Whether a Messages body (as built so far) has thinking enabled."""
    thinking = body.get("thinking")
    return isinstance(thinking, Mapping) and thinking.get("type") == "enabled"


MIN_THINKING_TOP_P = 0.95
"""The lowest ``top_p`` the Messages format takes while thinking is enabled."""


def check_thinking_sampling(request: Mapping[str, Any], body: Mapping[str, Any]) -> None:
    """Refuse the sampling changes the Messages format does not take while thinking.

    Anthropic documents thinking as incompatible with ``temperature`` (other than 1) and
    ``top_k`` changes, and ``top_p`` below 0.95: such a request is refused by the server, so
    it is refused here first, naming both settings, rather than changed in silence.

    Args:
        request: The request (says whether ``thinking`` or ``reasoning_effort`` asked for it).
        body: The Messages body built so far (``thinking``, ``temperature``, ``top_k``,
            ``top_p`` as they would be sent; ``extra_body`` not merged yet).

    Raises:
        ConfigurationError: Thinking is enabled and one of those is set outside that range.
    """
    if not _thinking_enabled(body):
        return
    temperature, top_k, top_p = body.get("temperature"), body.get("top_k"), body.get("top_p")
    if temperature is not None and temperature != 1:
        problem = f"temperature={temperature!r} (only 1 is allowed)"
    elif top_k is not None:
        problem = f"top_k={top_k!r} (top_k cannot be set)"
    elif top_p is not None and top_p < MIN_THINKING_TOP_P:
        problem = f"top_p={top_p!r} (at least {MIN_THINKING_TOP_P} is allowed)"
    else:
        return
    source = "thinking" if request.get("thinking") is not None else "reasoning_effort"
    raise ConfigurationError(
        f"{problem} cannot be sent with thinking enabled (by {source}="
        f"{request.get(source)!r:.60}) on the Messages (anthropic) format, which refuses it: "
        f"leave that setting unset, or disable thinking."
    )


FORCED_TOOL_WARNING = (
    "tool_choice forces a tool call but thinking is enabled, which the Messages (anthropic) "
    "format refuses: the choice was left to the model (the tool may not be called). Disable "
    "thinking to force a tool."
)


def unforce_tool_choice(body: dict[str, Any]) -> None:
    """Leave the tool to the model when thinking is enabled (Messages format), with a warning.

    Anthropic refuses a forced tool choice (``any``, ``tool``) with thinking enabled. As
    ChatAnthropic does (and llama-index's Anthropic LLM, without a warning), the forced choice
    is dropped rather than refused, so structured output by tool calling still runs: the
    model is asked, not forced. A ``disable_parallel_tool_use`` stays, on ``auto``.
    """
    choice = body.get("tool_choice")
    if not _thinking_enabled(body):
        return
    if not isinstance(choice, Mapping) or choice.get("type") not in ("any", "tool"):
        return
    warnings.warn(FORCED_TOOL_WARNING, UserWarning, stacklevel=2)
    if choice.get("disable_parallel_tool_use"):
        body["tool_choice"] = {"type": "auto", "disable_parallel_tool_use": True}
    else:
        del body["tool_choice"]
