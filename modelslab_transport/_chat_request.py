"""A framework call -> one :class:`ChatRequest`: the request rules both adapters share. Pure.

An adapter converts its framework's messages and tools into the transport's OpenAI-shaped
types and hands them here with its settings and the call's arguments; every rule about what
is sent lives in this module, so LangChain and LlamaIndex users get the same request for the
same conversation:

* **Merging** -- layers of settings, the later winning (model settings, then the call's
  arguments); ``None`` means "not set". Names a :class:`ChatRequest` has become its fields,
  ``extra_body`` and unknown names go into the body as they are, per-call transport options
  (``api_format``, ``timeout``, ``deadline``, ``stream``) are never sent. Client settings
  (``max_retries``, ``base_url``...) and the key as ``key`` are refused in any layer
  (:func:`check_call_settings`): they are neither sent nor silently ignored.
* **Tool choice** -- one vocabulary (:func:`resolve_tool_choice`), and a lone tool that must be
  called is named: the same request as ``"required"`` on servers that support it, and the only
  one servers without ``"required"`` (llama.cpp's) honour.
* **Tool names** -- a name outside ``^[a-zA-Z0-9_-]{1,64}$`` (what both formats document) is
  refused with :class:`UnsupportedContentError`; never renamed, so a call names the user's tool.
* **Capabilities** -- input the model catalog says the model cannot take (images for a
  text-only model, tools, a JSON mode) is refused before any I/O with
  :class:`UnsupportedContentError`. Override an entry with :func:`register_model`.
* **Reasoning** -- ``reasoning_effort`` and ``thinking`` are request fields, checked against
  the catalog's ``reasoning_efforts`` and mapped onto the other format (``_reasoning``).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ._catalog import get_model_info
from ._errors import ConfigurationError
from ._reasoning import check_reasoning
from ._settings_rules import check_call_settings
from ._types import ChatMessage, ChatRequest, ToolChoice, ToolSpec, WireToolCall
from ._validate import check_sampling, shown

__all__ = [
    "CALL_OPTIONS",
    "UnsupportedContentError",
    "build_chat_request",
    "call_options",
    "check_capabilities",
    "check_streamable",
    "has_images",
    "resolve_tool_choice",
    "wire_tool_call",
]

CALL_OPTIONS = frozenset({"api_format", "timeout", "deadline", "stream"})
"""Per-call arguments that steer the transport (endpoint, time limits); never sent."""


def call_options(call: Mapping[str, Any], api_format: str) -> dict[str, Any]:
    """The transport options a call's arguments set, for ``ModelsLabClient.chat`` and friends.

    Args:
        call: The call's arguments; ``api_format``, ``timeout`` and ``deadline`` are read
            (``None`` means not set, as in :func:`build_chat_request`).
        api_format: The endpoint format when the call names none.
    """
    options: dict[str, Any] = {"api_format": api_format}
    for name in ("api_format", "timeout", "deadline"):
        if call.get(name) is not None:
            options[name] = call[name]
    return options


_FIELDS = frozenset(ChatRequest.__required_keys__ | ChatRequest.__optional_keys__) - {
    "messages",
    "extra_body",
}
# Only meaningful with tools: the API rejects a tool_choice without tools.
_NEEDS_TOOLS = ("tool_choice", "parallel_tool_calls")
# Spellings of "some tool must be called" (LangChain's "any", Anthropic's {"type": "any"}).
_FORCED = frozenset({"any", "required"})


class UnsupportedContentError(ConfigurationError):
    """Input the model or the API cannot take; raised before anything is sent.

    For example an image for a model the catalog marks text-only, a PDF block, or tools for a
    model without tool calling. The message names the model or the message that is wrong.
    """


def build_chat_request(
    model: str,
    messages: list[ChatMessage],
    *layers: Mapping[str, Any],
    ignore: frozenset[str] = frozenset(),
) -> ChatRequest:
    """Merge settings and call arguments into one checked request.

    Args:
        model: The model id (a ``model`` in a later layer overrides it).
        messages: The converted conversation.
        *layers: Settings in increasing priority, e.g. the model's settings, its pass-through
            parameters, then the call's arguments. ``None`` values are skipped.
        ignore: Framework-only argument names that are never sent (besides
            :data:`CALL_OPTIONS`).

    Returns:
        The request, with empty ``stop``/``tools`` left out, no tool choice without tools,
        and a lone required tool named.

    Raises:
        UnsupportedContentError: The catalog says the model cannot take this input, or a
            tool's name is not one the API takes.
        ConfigurationError: An unknown tool choice, or one naming a tool not given; a
            client setting (``max_retries``, ``base_url``...) or the key (``key``) in a layer.
    """
    request: dict[str, Any] = {"model": model}
    extra: dict[str, Any] = {}
    for layer in layers:
        check_call_settings(layer)
        for key, value in layer.items():
            if value is None or key in CALL_OPTIONS or key in ignore:
                continue
            if key == "extra_body":
                if not isinstance(value, Mapping):
                    raise ConfigurationError(
                        f"extra_body must be a dict of body fields, got {type(value).__name__}."
                    )
                extra.update(value)
            elif key in _FIELDS:
                request[key] = value
            else:
                extra[key] = value
    if not isinstance(request["model"], str) or not request["model"]:
        raise ConfigurationError(f"model must be a model id string, got {shown(request['model'])}.")
    for key in ("stop", "tools"):
        if request.get(key) == []:
            del request[key]
    tools: list[ToolSpec] | None = request.get("tools")
    if tools is not None and not (
        isinstance(tools, list | tuple) and all(isinstance(t, Mapping) for t in tools)
    ):
        raise ConfigurationError(f"tools must be a list of tool definitions, got {shown(tools)}.")
    if tools is not None:
        _check_tool_names(tools)
    if tools is None:
        for key in _NEEDS_TOOLS:
            request.pop(key, None)
    elif "tool_choice" in request:
        choice = resolve_tool_choice(request["tool_choice"], tools)
        request["tool_choice"] = _name_lone_tool(choice, tools, request.get("parallel_tool_calls"))
    request["messages"] = _checked_messages(messages)
    if extra:
        request["extra_body"] = extra
    checked: ChatRequest = request  # type: ignore[assignment]
    check_sampling(checked)
    check_capabilities(checked)
    return checked


_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


def _checked_messages(messages: Any) -> list[ChatMessage]:
    """``messages`` if each has the shape of a :class:`ChatMessage` (its content is not read).

    Raises:
        ConfigurationError: Naming ``messages[i]`` and what is wrong with it.
    """
    if not isinstance(messages, list):
        raise ConfigurationError(f"messages must be a list, got {type(messages).__name__}.")
    for i, message in enumerate(messages):
        problem = _message_problem(message)
        if problem:
            raise ConfigurationError(f"messages[{i}]: {problem}, got {message!r:.120}.")
    return messages


def _message_problem(message: Any) -> str | None:
    if not isinstance(message, Mapping) or message.get("role") not in _ROLES:
        return f"expected a dict with a role of {sorted(_ROLES)}"
    content = message.get("content")
    if not (
        content is None
        or isinstance(content, str)
        or (
            isinstance(content, list)
            and all(isinstance(p, Mapping) and isinstance(p.get("type"), str) for p in content)
        )
    ):
        return "content must be a string or a list of parts with a 'type'"
    calls = message.get("tool_calls")
    if calls is not None and not (
        isinstance(calls, list)
        and all(isinstance(c, Mapping) and isinstance(c.get("function"), Mapping) for c in calls)
    ):
        return "tool_calls must be a list of {'id', 'type', 'function': {...}} dicts"
    return None


def resolve_tool_choice(choice: Any, tools: Sequence[ToolSpec]) -> ToolChoice | None:
    """Map every spelling of a tool choice onto the API's.

    Args:
        choice: ``None``/``False`` (send none), ``"auto"``, ``"none"``,
            ``"any"``/``"required"``/``True`` (some tool must be called), a tool's name, an
            OpenAI ``{"type": "function", "function": {"name": ...}}`` dict, or an Anthropic
            ``{"type": "auto"|"any"|"none"|"tool", ...}`` dict.
        tools: The tools offered (a named tool must be one of them).

    Returns:
        ``"auto"``, ``"none"``, ``"required"``, a named-function dict, or ``None``.

    Raises:
        ConfigurationError: A name that is not among ``tools``, or an unknown shape.
    """
    if choice is None or choice is False:
        return None
    if choice is True:
        return "required"
    if isinstance(choice, str):
        if choice in _FORCED:
            return "required"
        return choice if choice in ("auto", "none") else _named(choice, tools)
    if isinstance(choice, Mapping):
        kind = choice.get("type")
        function = choice.get("function")
        if kind == "function" and isinstance(function, Mapping):
            return _named(function.get("name"), tools)
        if kind == "tool":
            return _named(choice.get("name"), tools)
        if kind in ("auto", "any", "none"):
            return resolve_tool_choice(kind, tools)
    raise ConfigurationError(  # the value's type only: it may hold the key
        f"Unsupported tool_choice ({shown(choice)}): use 'auto', 'none', 'required' (or "
        "'any'), a tool's name, or {'type': 'function', 'function': {'name': ...}}."
    )


def _tool_name(tool: Any) -> Any:
    """A tool's name, whether OpenAI-shaped or already a Messages tool (``None``: none)."""
    if not isinstance(tool, Mapping):
        return None
    function = tool.get("function")
    return function.get("name") if isinstance(function, Mapping) else tool.get("name")


# The tool names both formats document (OpenAI's function name, Anthropic's tool name).
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def _check_tool_names(tools: Sequence[ToolSpec]) -> None:
    """Refuse a tool whose name the API cannot take; never renamed, so calls map back as named.

    Raises:
        UnsupportedContentError: Naming the tool and the pattern its name must match.
    """
    for i, tool in enumerate(tools):
        name = _tool_name(tool)
        if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
            raise UnsupportedContentError(
                f"tools[{i}]: tool name {name!r:.80} cannot be sent: a name must match "
                "^[a-zA-Z0-9_-]{1,64}$ (letters, digits, '_' and '-', at most 64). Rename the tool."
            )


def _named(name: Any, tools: Sequence[ToolSpec]) -> ToolChoice:
    names = [_tool_name(t) for t in tools]
    if name not in names:
        # The tools' names, never the value: a string where a choice belongs may be the key.
        near = difflib.get_close_matches(name, names, n=1) if isinstance(name, str) else []
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        got = f"a str of {len(name)} characters" if isinstance(name, str) else shown(name)
        raise ConfigurationError(
            f"tool_choice names none of the tools given{hint}: got {got}; the tools: {names}."
        )
    return {"type": "function", "function": {"name": name}}


def _name_lone_tool(
    choice: ToolChoice | None, tools: Sequence[ToolSpec], parallel: Any
) -> ToolChoice | None:
    """``"required"`` with one tool and no parallel calls asked for is that tool, by name."""
    if choice == "required" and len(tools) == 1 and parallel is not True:
        name = _tool_name(tools[0])
        return choice if name is None else _named(name, tools)
    return choice


def has_images(messages: Sequence[ChatMessage]) -> bool:
    """Whether any message (tool results included) carries an image part."""
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, list) and any(
            isinstance(p, Mapping) and p.get("type") == "image_url" for p in content
        ):
            return True
    return False


def check_streamable(request: ChatRequest) -> None:
    """Refuse several choices (``n > 1``) in a stream, before any I/O; the one rule for all.

    Chat Completions interleaves the choices' deltas in one stream, and none of the surfaces
    (raw stream, LangChain chunks, LlamaIndex's cumulative responses) has a place for a second
    answer, so merging them would garble both. Several choices stay available without streaming.

    Raises:
        UnsupportedContentError: ``n`` (a field or in ``extra_body``) is more than 1.
    """
    extra = request.get("extra_body") or {}
    n = extra.get("n", request.get("n"))
    if isinstance(n, int) and n > 1:
        raise UnsupportedContentError(
            f"n={n} cannot be streamed: several choices come back only from a call that does "
            "not stream (LangChain invoke/generate, LlamaIndex chat)."
        )


def check_capabilities(request: ChatRequest) -> None:
    """Refuse what the catalog says ``request["model"]`` cannot take (``None``: unknown, sent).

    Raises:
        UnsupportedContentError: Images for a text-only model, tools for a model without tool
            calling, a JSON ``response_format`` the model does not support, or reasoning
            (``reasoning_effort``, ``thinking`` enabled) it cannot do (``_reasoning``).
        ConfigurationError: A malformed ``reasoning_effort`` or ``thinking``.
    """
    model = request["model"]
    info = get_model_info(model)
    problem = None
    if info.vision is False and has_images(request["messages"]):
        problem = "does not accept image input"
    elif info.tools is False and request.get("tools"):
        problem = "does not support tool calling"
    else:
        response_format = request.get("response_format")
        kind = response_format.get("type") if isinstance(response_format, Mapping) else None
        if kind == "json_schema" and info.json_schema is False:
            problem = "does not support response_format json_schema"
        elif kind == "json_object" and info.json_mode is False:
            problem = "does not support JSON mode (response_format json_object)"
    if problem is not None:
        raise UnsupportedContentError(
            f"Model {model!r} {problem} (model catalog). If it does, say so with "
            f"register_model(get_model_info({model!r}).replace(...))."
        )
    if "reasoning_effort" in request or "thinking" in request:
        check_reasoning(model, request.get("reasoning_effort"), request.get("thinking"))


def wire_tool_call(call_id: Any, name: Any, arguments: Any) -> WireToolCall:
    """An assistant's tool call in the API's shape, from any framework's parts.

    Args:
        call_id: The call's id (``None`` becomes ``""``).
        name: The tool's name.
        arguments: JSON text (sent as is, even if invalid: history is replayed verbatim), or
            a JSON-serializable object; empty means ``"{}"``.

    Raises:
        ConfigurationError: ``arguments`` is an object that is not JSON-serializable.
    """
    if not isinstance(arguments, str):
        try:
            arguments = json.dumps(arguments, ensure_ascii=False) if arguments else ""
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(
                f"Tool call arguments are not JSON-serializable ({exc})."
            ) from None
    return {
        "id": str(call_id or ""),
        "type": "function",
        "function": {"name": str(name or ""), "arguments": arguments or "{}"},
    }
