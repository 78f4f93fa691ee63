"""Pure converters, response side: transport answers -> LlamaIndex responses.

One function, :func:`assistant_response`, builds every assistant ``ChatResponse`` (whole
answers and each cumulative streamed one), so both paths have exactly the same shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from modelslab_transport import estimate_cost, parse_json

if TYPE_CHECKING:
    from modelslab_transport import Choice, Completion, Usage, WireToolCall


def fast_model(cls: type[Any]) -> Callable[..., Any]:
    """Return a constructor for ``cls`` that takes every field and skips validation.

    Streaming builds several response objects per event from values that are already
    well-typed; pydantic's ``model_construct`` costs ~5 µs per object, this ~1 µs. It sets
    exactly what ``model_construct`` sets, and falls back to it for a model with private
    attributes or a post-init hook.
    """
    if cls.__private_attributes__ or cls.__pydantic_post_init__ is not None:
        return cast("Callable[..., Any]", cls.model_construct)
    names = frozenset(cls.model_fields)
    fields_set = set(names)
    new = object.__new__
    set_attr = object.__setattr__

    def make(**values: Any) -> Any:
        if values.keys() != names:  # a field was added or renamed upstream
            return cls.model_construct(**values)
        obj = new(cls)
        set_attr(obj, "__dict__", values)
        set_attr(obj, "__pydantic_fields_set__", fields_set)
        set_attr(obj, "__pydantic_extra__", None)
        set_attr(obj, "__pydantic_private__", None)
        return obj

    return make


_completion_response = fast_model(CompletionResponse)


def parse_arguments(arguments: str) -> dict[str, Any] | str:
    """Return tool arguments as a dict when they are a JSON object, else the raw string."""
    try:
        value = parse_json(arguments) if arguments else {}
    except ValueError:
        return arguments
    return value if isinstance(value, dict) else arguments


def usage_kwargs(model: str, usage: Usage | None) -> dict[str, Any]:
    """Token counts in the keys LlamaIndex reads, plus the full usage and the dollar cost."""
    if usage is None:
        return {}
    out: dict[str, Any] = {
        "prompt_tokens": usage["input_tokens"],
        "completion_tokens": usage["output_tokens"],
        "total_tokens": usage["total_tokens"],
        "usage": dict(usage),
    }
    cost = estimate_cost(model, usage)
    if cost is not None:
        out["cost"] = cost
    return out


_text_block = fast_model(TextBlock)
_thinking_block = fast_model(ThinkingBlock)
_tool_call_block = fast_model(ToolCallBlock)
_message = fast_model(ChatMessage)
_chat_response = fast_model(ChatResponse)


def assistant_response(
    text: str,
    reasoning: str,
    calls: Sequence[tuple[str, str, str]],
    *,
    parse: bool,
    raw: Any,
    delta: str | None,
    extra: dict[str, Any],
    logprobs: list[list[LogProb]] | None = None,
    signature: str = "",
    redacted: Sequence[str] = (),
    reasoning_tokens: int | None = None,
) -> ChatResponse:
    """Build the ``ChatResponse`` of an assistant turn (whole or streamed so far).

    Blocks: a ``ThinkingBlock`` for reasoning, one ``TextBlock`` (omitted when the turn only
    calls tools, so ``content`` is ``None`` then), one ``ToolCallBlock`` per call; the calls
    are also listed OpenAI-style in ``message.additional_kwargs["tool_calls"]``, which core's
    streaming structured output reads.

    Args:
        text: The visible text.
        reasoning: The reasoning text ("" for none).
        calls: ``(id, name, arguments JSON text)`` per tool call.
        parse: Parse arguments into a dict (a finished turn) or keep the (partial) text.
        raw: The provider payload for ``ChatResponse.raw``.
        delta: The new text of a streamed response (``None`` when not streaming).
        extra: Response-level ``additional_kwargs`` (usage, cost, thinking delta...).
        logprobs: Per-token log probabilities, when the request asked for them.
        signature: The thinking block's signature (Messages format), kept in its
            ``additional_information["signature"]`` as llama-index's Anthropic LLM keeps it.
        redacted: The data of each ``redacted_thinking`` block; each becomes an empty
            ``ThinkingBlock`` with ``additional_information["redacted_thinking"]``.
        reasoning_tokens: The usage's reasoning token count, the ``ThinkingBlock``'s
            ``num_tokens`` (``None`` when not reported).
    """
    blocks: list[Any] = []
    if reasoning or signature:
        info = {"signature": signature} if signature else {}
        blocks.append(
            _thinking_block(
                block_type="thinking",
                content=reasoning,
                num_tokens=reasoning_tokens,
                additional_information=info,
            )
        )
    for data in redacted:
        info = {"redacted_thinking": data}
        blocks.append(
            _thinking_block(
                block_type="thinking", content=None, num_tokens=None, additional_information=info
            )
        )
    if text or not calls:
        blocks.append(_text_block(block_type="text", text=text))
    message_kwargs: dict[str, Any] = {}
    if calls:
        message_kwargs["tool_calls"] = _add_calls(blocks, calls, parse)
    message = _message(role=MessageRole.ASSISTANT, additional_kwargs=message_kwargs, blocks=blocks)
    result: ChatResponse = _chat_response(
        message=message, raw=raw, delta=delta, logprobs=logprobs, additional_kwargs=extra
    )
    return result


def _add_calls(
    blocks: list[Any], calls: Sequence[tuple[str, str, str]], parse: bool
) -> list[WireToolCall]:
    """Append a ``ToolCallBlock`` per call to ``blocks``; return the calls OpenAI-style."""
    wire: list[WireToolCall] = []
    for call_id, name, arguments in calls:
        kwargs = parse_arguments(arguments) if parse else arguments
        blocks.append(
            _tool_call_block(
                block_type="tool_call",
                tool_call_id=call_id or None,
                tool_name=name,
                tool_kwargs=kwargs,
            )
        )
        function = {"name": name, "arguments": arguments}
        wire.append(cast("WireToolCall", {"id": call_id, "type": "function", "function": function}))
    return wire


def completion_to_chat_response(model: str, completion: Completion) -> ChatResponse:
    """Convert the transport's non-streamed :class:`Completion` into a ``ChatResponse``.

    The message is the first choice's; with several choices (``n`` > 1) every choice's
    message is listed in ``additional_kwargs["choices"]``, the first included.
    """
    extra = usage_kwargs(completion["model"] or model, completion["usage"])
    if completion["finish_reason"]:
        extra["finish_reason"] = completion["finish_reason"]
    usage = completion["usage"]
    # The usage counts the whole answer: with several choices no block can claim it.
    one = len(completion["choices"]) == 1
    spent = (usage["reasoning_tokens"] or None) if usage and one else None
    responses = [
        _choice_response(c, completion["raw"], extra, spent) for c in completion["choices"]
    ]
    if len(responses) > 1:
        extra["choices"] = [r.message for r in responses]
    return responses[0]


def _choice_response(
    choice: Choice, raw: Any, extra: dict[str, Any], reasoning_tokens: int | None
) -> ChatResponse:
    calls = [(c["id"], c["name"], c["arguments"]) for c in choice["tool_calls"]]
    return assistant_response(
        choice["text"] or "",
        choice["reasoning"] or "",
        calls,
        parse=True,
        raw=raw,
        delta=None,
        extra=extra,
        logprobs=to_logprobs(choice["logprobs"]) if "logprobs" in choice else None,
        signature=choice.get("thinking_signature", ""),
        redacted=choice.get("redacted_thinking", ()),
        reasoning_tokens=reasoning_tokens,
    )


def to_logprobs(entries: list[Any]) -> list[list[LogProb]]:
    """Chat Completions' ``logprobs.content`` as LlamaIndex's: per token, its alternatives.

    As LlamaIndex's own OpenAI LLM does: each token's ``top_logprobs``, or the token itself
    when no alternatives were asked for.
    """
    out: list[list[LogProb]] = []
    for entry in entries:
        alternatives = entry.get("top_logprobs") or [entry]
        out.append([_logprob(alt) for alt in alternatives if isinstance(alt, dict)])
    return out


def _logprob(entry: dict[str, Any]) -> LogProb:
    value = entry.get("logprob")
    token_bytes = entry.get("bytes")
    return LogProb(
        token=str(entry.get("token") or ""),
        logprob=float(value) if isinstance(value, int | float) else 0.0,
        bytes=[b for b in token_bytes if isinstance(b, int)]
        if isinstance(token_bytes, list)
        else [],
    )


def chat_to_completion_response(response: ChatResponse) -> CompletionResponse:
    """Convert a ``ChatResponse`` into a ``CompletionResponse`` without mutating it."""
    result: CompletionResponse = _completion_response(
        text=response.message.content or "",
        additional_kwargs={**response.message.additional_kwargs, **response.additional_kwargs},
        raw=response.raw,
        logprobs=response.logprobs,
        delta=response.delta,
    )
    return result


def response_cost(model: str, response: ChatResponse | CompletionResponse) -> float | None:
    """Dollar cost of a response: the one stored with it, else priced from its token usage.

    Args:
        model: The model to price for when the response names none the catalog prices.
        response: A response of this adapter, or one built elsewhere with OpenAI-style
            (``prompt_tokens``) or normalized (``input_tokens``) counts.

    Returns:
        The cost, or ``None`` when the usage or the prices are unknown.
    """
    extra = response.additional_kwargs
    if extra.get("cost") is not None:
        return float(extra["cost"])
    usage = _usage(extra, response.raw)
    if usage is None:
        return None
    raw_model = _get(response.raw, "model")
    # The served model's prices when the catalog has them (it may differ from the requested).
    cost = estimate_cost(raw_model, usage) if isinstance(raw_model, str) and raw_model else None
    return cost if cost is not None else estimate_cost(model, usage)


def _usage(extra: Mapping[str, Any], raw: Any) -> dict[str, int] | None:
    """Token counts from ``additional_kwargs`` (full usage or flat counts), else ``raw``."""
    for source in (extra.get("usage"), extra, _get(raw, "usage")):
        counts = _counts(source)
        if counts is not None:
            return counts
    return None


def _counts(source: Any) -> dict[str, int] | None:
    if hasattr(source, "model_dump"):  # an SDK usage object
        source = source.model_dump()
    if not isinstance(source, Mapping):
        return None
    keys = ("input_tokens", "output_tokens", "prompt_tokens", "completion_tokens")
    counts = {k: int(source[k]) for k in keys if isinstance(source.get(k), int)}
    return counts or None


def _get(raw: Any, key: str) -> Any:
    return raw.get(key) if isinstance(raw, Mapping) else getattr(raw, key, None)
