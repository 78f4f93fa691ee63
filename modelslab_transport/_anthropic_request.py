"""Messages (``POST {base}/v1/messages``) request bodies from an OpenAI-shaped request.

Pure. This module converts the OpenAI-shaped :class:`ChatRequest` once, here, so the
adapters never deal with two message formats: system/developer messages are lifted into
``system``; assistant ``tool_calls`` become ``tool_use`` blocks and ``tool`` messages
``tool_result`` blocks in a user turn; images become ``image`` blocks; consecutive turns of one
role are merged (the Messages API wants user/assistant alternation).
"""

from __future__ import annotations

from typing import Any

from ._catalog import default_max_tokens
from ._common import arguments_text
from ._errors import ConfigurationError
from ._json import parse_json
from ._reasoning import check_thinking_sampling, unforce_tool_choice, wire_thinking
from ._types import JSON, ChatMessage, ChatRequest, ToolChoice, ToolSpec

__all__ = ["build_body", "build_count_body", "convert_messages"]

MAX_TEMPERATURE = 1.0  # the Messages API range is 0..1 (Chat Completions allows up to 2)


def _image_block(url: str, where: str) -> JSON:
    if url.startswith("data:"):
        header, sep, data = url[5:].partition(",")
        if not sep or not header.endswith(";base64"):
            raise ConfigurationError(f"{where}: only base64 data URLs are supported for images.")
        media_type = header[: -len(";base64")] or "image/png"
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }
    if url.startswith(("https://", "http://")):
        return {"type": "image", "source": {"type": "url", "url": url}}
    raise ConfigurationError(
        f"{where}: image URL must be https:// or a data: URL, got {url[:40]!r}."
    )


def _blocks(content: Any, where: str) -> list[JSON]:
    """OpenAI content (string or parts) as Messages content blocks."""
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        raise ConfigurationError(f"{where}: content must be a string or a list of parts.")
    blocks: list[JSON] = []
    for i, part in enumerate(content):
        if not isinstance(part, dict):
            raise ConfigurationError(f"{where}.content[{i}]: expected a content part dict.")
        kind = part.get("type")
        block: JSON
        if kind == "text":
            if not part.get("text"):
                continue
            block = {"type": "text", "text": part["text"]}
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if not isinstance(url, str):
                raise ConfigurationError(f"{where}.content[{i}]: image_url has no url.")
            block = _image_block(url, f"{where}.content[{i}]")
        else:  # already a Messages block (document, image ...): pass it through
            blocks.append(dict(part))
            continue
        if part.get("cache_control"):  # a prompt-caching mark stays on its block
            block["cache_control"] = part["cache_control"]
        blocks.append(block)
    return blocks


def _tool_input(arguments: str) -> JSON:
    if not arguments.strip():
        return {}
    try:
        value = parse_json(arguments)
    except ValueError:
        # Models sometimes emit invalid JSON; replaying the history must not fail on it.
        return {"raw_arguments": arguments}
    return value if isinstance(value, dict) else {"value": value}


def _assistant_blocks(message: ChatMessage, where: str) -> list[JSON]:
    blocks: list[JSON] = []
    if message.get("reasoning_content"):
        thinking: JSON = {"type": "thinking", "thinking": message["reasoning_content"]}
        if message.get("thinking_signature"):  # the server checks it: sent back unchanged
            thinking["signature"] = message["thinking_signature"]
        blocks.append(thinking)
    for data in message.get("redacted_thinking") or []:
        blocks.append({"type": "redacted_thinking", "data": data})
    blocks.extend(_blocks(message.get("content"), where))
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        blocks.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": fn.get("name"),
                "input": _tool_input(arguments_text(fn.get("arguments"))),
            }
        )
    return blocks


def _tool_result(message: ChatMessage, where: str) -> JSON:
    if not message.get("tool_call_id"):
        raise ConfigurationError(f"{where}: a tool message needs tool_call_id.")
    content = message.get("content")
    result: JSON = {"type": "tool_result", "tool_use_id": message["tool_call_id"]}
    result["content"] = content if isinstance(content, str) else _blocks(content, where)
    if message.get("is_error"):
        result["is_error"] = True
    if message.get("cache_control"):
        result["cache_control"] = message["cache_control"]
    return result


def _append(out: list[JSON], role: str, blocks: list[JSON]) -> None:
    if out and out[-1]["role"] == role:
        out[-1]["content"].extend(blocks)
    else:
        out.append({"role": role, "content": blocks})


def _system_blocks(content: Any, where: str) -> list[JSON]:
    """The system message's text as one block, or its blocks when one carries a cache mark."""
    blocks = [b for b in _blocks(content, where) if b["type"] == "text"]
    if any("cache_control" in b for b in blocks):
        return blocks
    text = "".join(b.get("text", "") for b in blocks)
    return [{"type": "text", "text": text}] if text else []


def _system(blocks: list[JSON]) -> str | list[JSON] | None:
    """``system`` as one string, or as blocks (as ChatAnthropic sends them).

    Blocks when there are several system messages or a block carries a prompt-caching mark.
    """
    if len(blocks) > 1 or any("cache_control" in b for b in blocks):
        return blocks
    return blocks[0]["text"] if blocks else None


def convert_messages(messages: list[ChatMessage]) -> tuple[str | list[JSON] | None, list[JSON]]:
    """Split OpenAI messages into the Messages ``system`` and ``messages`` list.

    ``system`` is one string, or a list of text blocks (one per system message, or the
    message's own blocks when one carries ``cache_control``).

    Raises:
        ConfigurationError: A message is malformed (names the index and the problem).
    """
    system: list[JSON] = []
    out: list[JSON] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        role = message.get("role")
        if role in ("system", "developer"):
            system.extend(_system_blocks(message.get("content"), where))
        elif role == "user":
            _append(out, "user", _blocks(message.get("content"), where))
        elif role == "assistant":
            _append(out, "assistant", _assistant_blocks(message, where))
        elif role == "tool":
            _append(out, "user", [_tool_result(message, where)])
        else:
            raise ConfigurationError(f"{where}: unsupported role {role!r}.")
    for turn in out:  # one plain text block reads better (and is smaller) as a string
        blocks = turn["content"]
        if len(blocks) == 1 and blocks[0]["type"] == "text" and "cache_control" not in blocks[0]:
            turn["content"] = blocks[0]["text"]
    return _system(system), out


def _tools(tools: list[ToolSpec]) -> list[JSON]:
    converted: list[JSON] = []
    for i, tool in enumerate(tools):
        fn: Any = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            if isinstance(tool, dict) and "input_schema" in tool:  # already a Messages tool
                converted.append(dict(tool))
                continue
            raise ConfigurationError(
                f"tools[{i}]: expected {{'type': 'function', 'function': {{'name': ...}}}}."
            )
        spec: JSON = {
            "name": fn["name"],
            "input_schema": fn.get("parameters") or {"type": "object", "properties": {}},
        }
        if fn.get("description"):
            spec["description"] = fn["description"]
        if fn.get("strict") is not None:  # the Messages API enforces it too
            spec["strict"] = fn["strict"]
        if tool.get("cache_control"):
            spec["cache_control"] = tool["cache_control"]
        converted.append(spec)
    return converted


def _tool_choice(choice: ToolChoice | None, parallel: bool | None) -> JSON | None:
    result: JSON | None
    if choice is None:
        result = None if parallel is not False else {"type": "auto"}
    elif choice in ("auto", "none"):
        result = {"type": choice}
    elif choice in ("required", "any"):
        result = {"type": "any"}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        result = {"type": "tool", "name": choice["function"].get("name")}
    elif isinstance(choice, dict) and choice.get("type") in ("auto", "any", "tool", "none"):
        result = dict(choice)
    else:
        raise ConfigurationError(f"Unsupported tool_choice {choice!r}.")
    if result is not None and parallel is False and result["type"] != "none":
        result["disable_parallel_tool_use"] = True
    return result


def _common_body(request: ChatRequest) -> JSON:
    system, messages = convert_messages(request["messages"])
    body: JSON = {"model": request["model"], "messages": messages}
    if system:
        body["system"] = system
    if request.get("tools"):
        body["tools"] = _tools(request["tools"])
    choice = _tool_choice(request.get("tool_choice"), request.get("parallel_tool_calls"))
    if choice is not None and request.get("tools"):
        body["tool_choice"] = choice
    return body


def build_body(request: ChatRequest, *, stream: bool) -> JSON:
    """The Messages JSON body for an OpenAI-shaped ``request``.

    OpenAI-only sampling knobs with no Messages equivalent (``frequency_penalty``,
    ``presence_penalty``, ``repetition_penalty``, ``seed``) are dropped rather than rejected,
    so one request works on both endpoints; ``extra_body`` can force any field through.
    ``thinking`` is sent as is, or mapped from ``reasoning_effort`` (``_reasoning``); with
    thinking enabled a forced ``tool_choice`` is dropped, with a warning
    (``_reasoning.unforce_tool_choice``).

    Raises:
        ConfigurationError: ``n`` > 1 or ``response_format`` was asked for (the Messages API
            has neither), a message cannot be converted, a thinking budget does not fit
            below ``max_tokens``, or thinking is enabled with a ``temperature`` other than 1,
            a ``top_k`` or a ``top_p`` below 0.95 (``_reasoning.check_thinking_sampling``).
    """
    if (request.get("n") or 1) > 1:
        raise ConfigurationError("n > 1 is not supported by the Messages (anthropic) format.")
    if request.get("response_format") is not None:
        raise ConfigurationError(
            "response_format is not supported by the Messages (anthropic) format; "
            "use a forced tool call instead."
        )
    body = _common_body(request)
    max_tokens = request.get("max_tokens")
    body["max_tokens"] = max_tokens if max_tokens is not None else default_max_tokens(body["model"])
    if request.get("temperature") is not None:
        body["temperature"] = min(float(request["temperature"]), MAX_TEMPERATURE)
    for key in ("top_p", "top_k"):
        if request.get(key) is not None:
            body[key] = request.get(key)
    if request.get("stop"):
        stop: Any = request["stop"]
        body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if request.get("user"):
        body["metadata"] = {"user_id": request["user"]}
    if "thinking" in request or "reasoning_effort" in request:
        thinking = wire_thinking(request, body["max_tokens"])
        if thinking is not None:
            body["thinking"] = thinking
        check_thinking_sampling(request, body)
        unforce_tool_choice(body)
    if stream:
        body["stream"] = True
    body.update(request.get("extra_body") or {})
    return body


def native_body(body: JSON, *, stream: bool) -> JSON:
    """Check and complete a Messages body the caller wrote in Anthropic's own shape.

    ``max_tokens`` (required by the endpoint) defaults from the catalog and ``temperature`` is
    capped at 1, as for converted requests; everything else is sent as given.

    Raises:
        ConfigurationError: ``model`` or a ``messages`` list is missing.
    """
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise ConfigurationError("A Messages request needs a 'model' (a model id string).")
    if not isinstance(body.get("messages"), list):
        raise ConfigurationError("A Messages request needs 'messages' (a list).")
    out = dict(body)
    if out.get("max_tokens") is None:
        out["max_tokens"] = default_max_tokens(out["model"])
    if out.get("temperature") is not None:
        out["temperature"] = min(float(out["temperature"]), MAX_TEMPERATURE)
    if stream:
        out["stream"] = True
    else:
        out.pop("stream", None)
    return out


def build_count_body(request: ChatRequest) -> JSON:
    """The ``/v1/messages/count_tokens`` body: model, messages, system and tools."""
    return _common_body(request)
