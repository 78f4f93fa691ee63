"""Reading a Chat Completions body into the server's normalized request.

Validation follows the API: a missing field is a 422, a bad value is a 400 whose message says
what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ._errors import ApiError, bad_request, unprocessable

API_PREFIX = "/api/v7/llm"
"""Where the API lives under the server's root, as on ModelsLab."""

JSON = dict[str, Any]
Format = Literal["openai", "anthropic"]

ROLES = ("system", "developer", "user", "assistant", "tool")
MAX_STOP = 4


@dataclass(slots=True)
class ParsedRequest:
    """A chat request from either endpoint, before model checks and image decoding.

    ``image_urls`` lists ``(message index, url)`` for every image part (data URLs included).
    """

    fmt: Format
    model: str
    messages: list[JSON]
    tools: list[JSON] = field(default_factory=list)
    tool_choice: str | JSON = "auto"
    parallel_tool_calls: bool = True
    response_format: JSON | None = None
    stop: list[str] = field(default_factory=list)
    max_tokens: int | None = None
    temperature: float | None = None
    stream: bool = False
    include_usage: bool = False
    # ``None``: no log probabilities asked for; else how many alternatives per token (0-20).
    top_logprobs: int | None = None
    image_urls: list[tuple[int, str]] = field(default_factory=list)
    # Choices to generate (Chat Completions only; not when streaming).
    n: int = 1


def require_model(body: JSON) -> str:
    """``model`` (or its alias ``model_id``) as a non-empty string."""
    model = body.get("model", body.get("model_id"))
    if model is None:
        raise unprocessable("The model field is required.")
    if not isinstance(model, str) or not model.strip():
        raise bad_request("model must be a non-empty string.")
    return model


def number(body: JSON, name: str, low: float, high: float) -> float | None:
    """An optional number within ``[low, high]``."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{name} must be a number.")
    if not low <= value <= high:
        raise bad_request(f"{name} must be between {low:g} and {high:g}, got {value}.")
    return float(value)


def positive_int(body: JSON, *names: str) -> int | None:
    """The first present of ``names`` as an integer >= 1."""
    for name in names:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_request(f"{name} must be an integer.")
        if value < 1:
            raise bad_request(f"{name} must be at least 1, got {value}.")
        return value
    return None


def stop_list(value: Any, name: str) -> list[str]:
    """``stop`` as a list of at most four strings."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise bad_request(f"{name} must be a string or a list of strings.")
    if len(items) > MAX_STOP:
        raise bad_request(f"{name} accepts at most {MAX_STOP} sequences, got {len(items)}.")
    return list(items)


def parse_chat(body: JSON) -> ParsedRequest:
    """Validate a ``/chat/completions`` body and normalize it."""
    model = require_model(body)
    messages = body.get("messages")
    if messages is None:
        raise unprocessable("The messages field is required.")
    if not isinstance(messages, list) or not messages:
        raise bad_request("messages must be a non-empty list.")
    images: list[tuple[int, str]] = []
    checked = [_message(m, i, images) for i, m in enumerate(messages)]
    stream = body.get("stream", body.get("streaming", False))
    options = body.get("stream_options") or {}
    return ParsedRequest(
        fmt="openai",
        model=model,
        messages=checked,
        tools=_tools(body.get("tools")),
        tool_choice=_tool_choice(body.get("tool_choice", "auto")),
        parallel_tool_calls=body.get("parallel_tool_calls", True) is not False,
        response_format=_response_format(body.get("response_format")),
        stop=stop_list(body.get("stop"), "stop"),
        max_tokens=positive_int(body, "max_tokens", "max_completion_tokens"),
        temperature=number(body, "temperature", 0.0, 2.0),
        stream=bool(stream),
        include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
        top_logprobs=_top_logprobs(body),
        image_urls=images,
        n=_choices(body, bool(stream)),
    )


MAX_CHOICES = 8


def _choices(body: JSON, stream: bool) -> int:
    """``n``: how many choices to answer with (1 to :data:`MAX_CHOICES`, one when streaming)."""
    n = body.get("n", 1)
    if n is None:
        return 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_CHOICES:
        raise bad_request(f"n must be an integer from 1 to {MAX_CHOICES}.")
    if n > 1 and stream:
        raise bad_request("n > 1 is not supported when streaming.")
    return n


def _top_logprobs(body: JSON) -> int | None:
    """Chat Completions' ``logprobs`` / ``top_logprobs`` pair, checked as OpenAI checks it."""
    top = body.get("top_logprobs")
    if body.get("logprobs") is not True:
        if top is not None:
            raise bad_request("top_logprobs requires logprobs: true.")
        return None
    if top is None:
        return 0
    if not isinstance(top, int) or isinstance(top, bool) or not 0 <= top <= 20:
        raise bad_request("top_logprobs must be an integer from 0 to 20.")
    return top


def _message(message: Any, index: int, images: list[tuple[int, str]]) -> JSON:
    if not isinstance(message, dict):
        raise bad_request(f"messages[{index}] must be an object.")
    role = message.get("role")
    if role not in ROLES:
        raise bad_request(
            f"messages[{index}].role must be one of {', '.join(ROLES)}; got {role!r}."
        )
    content = message.get("content")
    if isinstance(content, list):
        content = [_part(p, index, images) for p in content]
    elif content is not None and not isinstance(content, str):
        raise bad_request(f"messages[{index}].content must be a string or a list of parts.")
    if role == "tool" and not isinstance(message.get("tool_call_id"), str):
        raise bad_request(f"messages[{index}].tool_call_id is required for tool messages.")
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise bad_request(f"messages[{index}].tool_calls entries need function.name.")
    return {**message, "content": content}


def _part(part: Any, index: int, images: list[tuple[int, str]]) -> JSON:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text" and isinstance(part.get("text"), str):
        return {"type": "text", "text": part["text"]}
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        if not isinstance(url, str) or not url:
            raise bad_request(f"messages[{index}]: image_url.url must be a non-empty string.")
        images.append((index, url))
        return {"type": "image_url", "image_url": {"url": url}}
    raise bad_request(f"messages[{index}]: unsupported content part type {kind!r}.")


def _tools(tools: Any) -> list[JSON]:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise bad_request("tools must be a list.")
    for i, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise bad_request(
                f"tools[{i}] must be {{'type': 'function', 'function': {{'name': ...}}}}."
            )
        params = function.get("parameters")
        if params is not None and not isinstance(params, dict):
            raise bad_request(f"tools[{i}].function.parameters must be a JSON schema object.")
    return list(tools)


def _tool_choice(choice: Any) -> str | JSON:
    if choice in ("auto", "none", "required"):
        return str(choice)
    if isinstance(choice, dict) and isinstance((choice.get("function") or {}).get("name"), str):
        return choice
    raise bad_request("tool_choice must be 'auto', 'none', 'required' or a function object.")


def _response_format(value: Any) -> JSON | None:
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        raise bad_request("response_format.type must be 'text', 'json_object' or 'json_schema'.")
    if kind == "json_schema" and not isinstance(value.get("json_schema"), dict):
        raise bad_request("response_format.json_schema must be an object with a schema.")
    return None if kind == "text" else dict(value)


def check_json(body: Any) -> JSON:
    """The request body must be a JSON object."""
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.", code="invalid_json")
    return body
