"""Reading a Messages (Anthropic-format) body into the server's normalized request.

The request shape: ``docs/modelslab-api.md`` §4.1.

Content blocks become OpenAI-shaped messages: ``tool_use`` blocks become ``tool_calls``,
``tool_result`` blocks become ``tool`` messages, ``thinking`` becomes ``reasoning_content``
and ``image`` blocks become ``image_url`` parts (base64 sources as data URLs).
"""

from __future__ import annotations

import json
from typing import Any

from ._errors import bad_request, unprocessable
from ._requests import ParsedRequest, number, positive_int, require_model, stop_list

JSON = dict[str, Any]


def parse_messages(body: JSON, *, need_max_tokens: bool = True) -> ParsedRequest:
    """Validate a ``/v1/messages`` (or ``count_tokens``) body and normalize it."""
    model = require_model(body)
    raw = body.get("messages")
    if raw is None:
        raise unprocessable("messages: Field required")
    if not isinstance(raw, list) or not raw:
        raise bad_request("messages: must be a non-empty list")
    max_tokens = positive_int(body, "max_tokens")
    if need_max_tokens and max_tokens is None:
        raise bad_request("max_tokens: Field required")
    parsed = ParsedRequest(fmt="anthropic", model=model, messages=_system(body.get("system")))
    for index, message in enumerate(raw):
        _message(message, index, parsed)
    choice = body.get("tool_choice") or {"type": "auto"}
    parsed.tools = _tools(body.get("tools"))
    parsed.tool_choice = _tool_choice(choice)
    parsed.parallel_tool_calls = not (
        isinstance(choice, dict) and choice.get("disable_parallel_tool_use")
    )
    parsed.stop = stop_list(body.get("stop_sequences"), "stop_sequences")
    parsed.max_tokens = max_tokens
    parsed.temperature = number(body, "temperature", 0.0, 1.0)
    parsed.stream = bool(body.get("stream", False))
    parsed.include_usage = True
    return parsed


def _system(system: Any) -> list[JSON]:
    if system is None:
        return []
    if isinstance(system, str):
        return [{"role": "system", "content": system}]
    if isinstance(system, list):
        texts = [
            b.get("text", "") for b in system if isinstance(b, dict) and b.get("type") == "text"
        ]
        return [{"role": "system", "content": "\n".join(texts)}]
    raise bad_request("system: must be a string or a list of text blocks")


def _message(message: Any, index: int, parsed: ParsedRequest) -> None:
    if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
        raise bad_request(f"messages.{index}.role: must be 'user' or 'assistant'")
    role = message["role"]
    content = message.get("content")
    if isinstance(content, str):
        parsed.messages.append({"role": role, "content": content})
        return
    if not isinstance(content, list):
        raise bad_request(f"messages.{index}.content: must be a string or a list of blocks")
    if role == "assistant":
        parsed.messages.append(_assistant(content, index))
        return
    parts: list[JSON] = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "tool_result":
            tool_content = _result_content(block.get("content"), len(parsed.messages), parsed)
            parsed.messages.append(
                {
                    "role": "tool",
                    "tool_call_id": str(block.get("tool_use_id", "")),
                    "content": tool_content,
                }
            )
        else:
            parts.append(_user_part(block, kind, index, len(parsed.messages), parsed))
    if parts:
        parsed.messages.append({"role": "user", "content": parts})


def _user_part(block: Any, kind: Any, index: int, at: int, parsed: ParsedRequest) -> JSON:
    if kind == "text" and isinstance(block.get("text"), str):
        return {"type": "text", "text": block["text"]}
    if kind == "image":
        url = _image_url(block.get("source"), index)
        parsed.image_urls.append((at, url))
        return {"type": "image_url", "image_url": {"url": url}}
    raise bad_request(f"messages.{index}.content: unsupported block type {kind!r}")


def _image_url(source: Any, index: int) -> str:
    if (
        isinstance(source, dict)
        and source.get("type") == "base64"
        and isinstance(source.get("data"), str)
    ):
        return f"data:{source.get('media_type', 'image/png')};base64,{source['data']}"
    if (
        isinstance(source, dict)
        and source.get("type") == "url"
        and isinstance(source.get("url"), str)
    ):
        return str(source["url"])
    raise bad_request(f"messages.{index}: image source must be base64 data or a url")


def _result_content(content: Any, at: int, parsed: ParsedRequest) -> str | list[JSON]:
    if content is None or isinstance(content, str):
        return content or ""
    parts: list[JSON] = []
    for block in content if isinstance(content, list) else []:
        kind = block.get("type") if isinstance(block, dict) else None
        parts.append(_user_part(block, kind, at, at, parsed))
    return parts


def _assistant(content: list[Any], index: int) -> JSON:
    texts: list[str] = []
    calls: list[JSON] = []
    reasoning: list[str] = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "thinking":
            reasoning.append(str(block.get("thinking", "")))
        elif kind == "redacted_thinking":
            continue
        elif kind == "tool_use":
            arguments = json.dumps(block.get("input") or {}, ensure_ascii=False)
            function = {"name": str(block.get("name", "")), "arguments": arguments}
            calls.append({"id": str(block.get("id", "")), "type": "function", "function": function})
        else:
            raise bad_request(f"messages.{index}.content: unsupported block type {kind!r}")
    message: JSON = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    if reasoning:
        message["reasoning_content"] = "".join(reasoning)
    return message


def _tools(tools: Any) -> list[JSON]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise bad_request("tools: must be a list")
    converted = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise bad_request(f"tools.{i}.name: Field required")
        if tool.get("type") not in (None, "custom"):
            raise bad_request(f"tools.{i}: server tool type {tool.get('type')!r} is not supported")
        function = {
            "name": tool["name"],
            "description": tool.get("description", ""),
            "parameters": tool.get("input_schema") or {"type": "object", "properties": {}},
        }
        converted.append({"type": "function", "function": function})
    return converted


def _tool_choice(choice: Any) -> str | JSON:
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind == "auto":
        return "auto"
    if kind == "any":
        return "required"
    if kind == "none":
        return "none"
    if kind == "tool" and isinstance(choice.get("name"), str):
        return {"type": "function", "function": {"name": choice["name"]}}
    raise bad_request("tool_choice: must be auto, any, none, or {'type': 'tool', 'name': ...}")
