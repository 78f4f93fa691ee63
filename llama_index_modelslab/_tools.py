"""Pure functions behind the tool-calling hooks of ``FunctionCallingLLM``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from modelslab_transport import MalformedResponseError, parse_json

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    from modelslab_transport import ModelInfo, ToolSpec


def calls_tools(info: ModelInfo) -> bool:
    """Whether to report a model as function-calling from its catalog entry.

    Unknown (``None``) counts as capable: the API is OpenAI-compatible, and a wrong "no"
    silently downgrades LlamaIndex agents to ReAct; ``is_function_calling_model`` overrides.
    """
    return info.tools is not False


def tool_spec(tool: BaseTool, strict: bool | None = None) -> ToolSpec:
    """Return the OpenAI-shaped definition of a LlamaIndex tool."""
    spec: Any = tool.metadata.to_openai_tool(skip_length_check=True)
    # to_openai_tool rewrites a name the API cannot take ('get weather!' -> 'get_weather_') and
    # nothing maps the calls back: the user's name is sent, and the transport's one rule refuses it.
    spec["function"]["name"] = tool.metadata.name
    if strict is not None:
        spec["function"]["strict"] = strict
    return spec  # type: ignore[no-any-return]


def prepare_chat_with_tools(
    tools: Sequence[BaseTool],
    user_msg: str | ChatMessage | None,
    chat_history: Sequence[ChatMessage] | None,
    *,
    allow_parallel_tool_calls: bool,
    tool_required: bool,
    tool_choice: str | dict[str, Any] | None,
    strict: bool | None,
) -> dict[str, Any]:
    """Build the ``chat`` keyword arguments for a tool-calling turn.

    The caller's history list is copied, never appended to. Without tools no ``tool_choice``
    is sent, so structured-output and plain paths never carry a forced choice. The choice is
    ``tool_choice`` when given (a keyword, a tool's name or a dict), else ``"required"`` when
    ``tool_required``, else none (the API's default, ``"auto"``); the transport's one rule
    reads it (a lone required tool is named there).
    """
    messages = list(chat_history or [])
    if isinstance(user_msg, str):
        messages.append(ChatMessage(role=MessageRole.USER, content=user_msg))
    elif user_msg is not None:
        messages.append(user_msg)
    out: dict[str, Any] = {"messages": messages}
    if tools:
        out["tools"] = [tool_spec(t, strict) for t in tools]
        if tool_choice is None and tool_required:
            tool_choice = "required"
        if tool_choice is not None:  # else the API's default with tools: "auto"
            out["tool_choice"] = tool_choice
        out["parallel_tool_calls"] = allow_parallel_tool_calls
    return out


class NoToolCallError(MalformedResponseError, ValueError):
    """A tool call was expected (``error_on_no_tool_call``), but the answer holds none.

    Also a ``ValueError``, which is what LlamaIndex's ``get_tool_calls_from_response``
    documents, so code written for other LlamaIndex LLMs still catches it.
    """


def tool_selections(response: ChatResponse, error_on_no_tool_call: bool) -> list[ToolSelection]:
    """Read the tool calls of a (possibly partial, streamed) response.

    Arguments that are still incomplete JSON are parsed as far as they go; arguments that
    cannot be parsed at all become ``{}``.

    Raises:
        NoToolCallError: No tool call was found and ``error_on_no_tool_call`` is set (also a
            ``ValueError``).
    """
    blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    if blocks:
        calls = [(b.tool_call_id or "", b.tool_name, b.tool_kwargs) for b in blocks]
    else:
        calls = [
            _from_kwargs(c) for c in response.message.additional_kwargs.get("tool_calls") or ()
        ]
    if not calls and error_on_no_tool_call:
        raise NoToolCallError(
            "Expected at least one tool call, but the response contains none (the server "
            "answered without calling a tool)."
        )
    return [ToolSelection(tool_id=i, tool_name=n, tool_kwargs=_as_dict(a)) for i, n, a in calls]


def _from_kwargs(call: Any) -> tuple[str, str, Any]:
    data = call.model_dump() if hasattr(call, "model_dump") else call
    function = data.get("function") or {}
    return str(data.get("id") or ""), str(function.get("name") or ""), function.get("arguments")


def _as_dict(arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str) or not arguments.strip():
        return {}
    try:  # the transport's one JSON boundary first: it refuses deep nesting and infinities
        value = parse_json(arguments, strict=False)
    except json.JSONDecodeError:  # not complete JSON: perhaps arguments cut short
        value = _partial(arguments)
    except ValueError:  # complete but refused (too deep, a number out of range)
        return {}
    return value if isinstance(value, dict) else {}


def _partial(arguments: str) -> Any:
    """Arguments cut short (a stream read midway), completed as LlamaIndex's own LLMs do.

    ``parse_partial_json`` recurses once per nesting level, so arguments nested thousands
    deep raise ``RecursionError`` there: unreadable arguments, like any other (``{}``).
    """
    try:
        value = parse_partial_json(arguments)
        # How deep the partial parser reads depends on the Python (3.13 reads 5,000 levels
        # where 3.11 overflows): what it completes passes the one JSON boundary as well.
        return parse_json(json.dumps(value), strict=False)
    except (ValueError, TypeError, RecursionError):
        return None


def force_single_tool_call(response: ChatResponse) -> ChatResponse:
    """Keep only the first tool call of a response (parallel calls were not allowed)."""
    message = response.message
    seen = False
    kept = []
    for block in message.blocks:
        if isinstance(block, ToolCallBlock):
            if seen:
                continue
            seen = True
        kept.append(block)
    message.blocks = kept
    calls = message.additional_kwargs.get("tool_calls")
    if isinstance(calls, list) and len(calls) > 1:
        message.additional_kwargs["tool_calls"] = calls[:1]
    return response
