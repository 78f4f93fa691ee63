"""The probes of ``modelslab-check``: one small, bounded call each, judged against the docs.

A probe returns ``(outcome, detail, contradiction)``: ``ok`` (the answer is what
docs/modelslab-api.md expects), ``differs`` (it is not; ``contradiction`` is the number of the
point in §10 its answer settles), ``fails`` (the call failed), or ``skipped`` (not applicable to
the model, per the catalog).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import (
    APIError,
    APIStatusError,
    AuthenticationError,
    ChatRequest,
    Completion,
    ModelsLabClient,
    ToolSpec,
    Usage,
    get_model_info,
    parse_json,
)

__all__ = ["Probe", "ProbeContext", "Result", "probes_for"]

Result = tuple[str, str, "int | None"]

MAX_TOKENS = 48
"""Every probe's answer budget: a default run stays around a cent at list prices."""

# A 1x1 red PNG: the smallest image a vision model can be asked about.
_PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8Dw"
    "HwAFAAH/q842iQAAAABJRU5ErkJggg=="
)
_WEATHER: ToolSpec = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "city",
        "schema": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
        },
    },
}


@dataclass
class ProbeContext:
    """What every probe may use: the client, the model, and where usage is added up."""

    client: ModelsLabClient
    wrong_key_client: ModelsLabClient
    model: str
    usages: list[Usage] = field(default_factory=list)

    def request(self, text: str, **options: Any) -> ChatRequest:
        """A one-message request for the model with the probe's small budget."""
        request: ChatRequest = {
            "model": self.model,
            "messages": [{"role": "user", "content": text}],
            "max_tokens": MAX_TOKENS,
            "temperature": 0,
        }
        request.update(options)  # type: ignore[typeddict-item]
        return request

    def chat(self, request: ChatRequest, api_format: str) -> Completion:
        """Send ``request``; its usage counts towards the run's cost."""
        completion = self.client.chat(request, api_format=api_format)  # type: ignore[arg-type]
        if completion["usage"] is not None:
            self.usages.append(completion["usage"])
        return completion


@dataclass(frozen=True)
class Probe:
    """One named check and the function that runs it."""

    name: str
    run: Callable[[ProbeContext], Result]


def _auth(ctx: ProbeContext) -> Result:
    models = ctx.client.list_models()
    return "ok", f"key accepted; {len(models)} models listed", None


def _models(ctx: ProbeContext) -> Result:
    ids = [entry.get("id") for entry in ctx.client.list_models()]
    if ctx.model in ids:
        return "ok", "the model is listed under this id", None
    sample = ", ".join(str(i) for i in ids[:3])
    return "differs", f"{ctx.model} not listed (ids look like: {sample})", 4


def _catalog(ctx: ProbeContext) -> Result:
    info = get_model_info(ctx.model)
    reported = ctx.client.reported_context_window(ctx.model)
    if reported is None:
        return "ok", "the API reports no context length; the catalog's stands", None
    if reported == info.context_window:
        return "ok", f"context {reported} as in the catalog", None
    return "differs", f"API reports context {reported}, catalog {info.context_window}", 5


def _chat(api_format: str) -> Callable[[ProbeContext], Result]:
    def run(ctx: ProbeContext) -> Result:
        completion = ctx.chat(ctx.request("Reply with the word OK."), api_format)
        if not completion["text"]:
            return "fails", "empty answer", None
        if completion["usage"] is None:
            return "differs", "an answer without usage", 9
        return "ok", f"{completion['text'][:30]!r}, finish {completion['finish_reason']}", None

    return run


def _stream(api_format: str) -> Callable[[ProbeContext], Result]:
    def run(ctx: ProbeContext) -> Result:
        request = ctx.request("Count from 1 to 5.", stream_usage=True)
        text, usage, events = "", None, 0
        with ctx.client.stream_chat(request, api_format=api_format) as stream:  # type: ignore[arg-type]
            for delta in stream:
                events += 1
                text += delta.get("text", "")
                usage = delta.get("usage", usage)
        if not text:
            return "fails", f"{events} events, no text", None
        if usage is None:
            return "differs", f"{events} events, no usage at the end", 10
        ctx.usages.append(usage)
        return "ok", f"{events} events, usage {usage['total_tokens']} tokens", None

    return run


def _tools(api_format: str, mode: str) -> Callable[[ProbeContext], Result]:
    def run(ctx: ProbeContext) -> Result:
        prompt = "What is the weather in Paris?"
        options: dict[str, Any] = {"tools": [_WEATHER]}
        if mode == "forced":
            options["tool_choice"] = {"type": "function", "function": {"name": "get_weather"}}
        if mode == "parallel":
            prompt = "What is the weather in Paris and in Rome? Call the tool once per city."
            options["parallel_tool_calls"] = True
        completion = ctx.chat(ctx.request(prompt, **options), api_format)
        calls = completion["tool_calls"]
        if not calls:
            return "differs", f"no tool call (finish {completion['finish_reason']})", 6
        wanted = 2 if mode == "parallel" else 1
        if len(calls) < wanted:
            return "differs", f"{len(calls)} tool call(s) where {wanted} were asked for", 6
        if completion["finish_reason"] != "tool_calls":
            return "differs", f"tool calls with finish {completion['finish_reason']}", 8
        return "ok", ", ".join(f"{c['name']}({c['arguments']})" for c in calls)[:60], None

    return run


def _json(api_format: str, schema: bool) -> Callable[[ProbeContext], Result]:
    def run(ctx: ProbeContext) -> Result:
        fmt = _SCHEMA if schema else {"type": "json_object"}
        prompt = "Name the capital of France as JSON with a key 'name'."
        completion = ctx.chat(ctx.request(prompt, response_format=fmt), api_format)
        try:
            value = parse_json(completion["text"] or "")
        except ValueError:
            return "differs", f"not JSON: {(completion['text'] or '')[:40]!r}", 9
        return "ok", f"JSON {str(value)[:40]}", None

    return run


def _vision(api_format: str) -> Callable[[ProbeContext], Result]:
    def run(ctx: ProbeContext) -> Result:
        if get_model_info(ctx.model).vision is False:
            return "skipped", "the catalog says the model takes no images", None
        request = ctx.request("What colour is this image? One word.")
        request["messages"][0]["content"] = [
            {"type": "text", "text": "What colour is this image? One word."},
            {"type": "image_url", "image_url": {"url": _PIXEL}},
        ]
        try:
            completion = ctx.chat(request, api_format)
        except APIStatusError as error:
            return "differs", f"image refused: {type(error).__name__} {error.status_code}", 11
        return "ok", f"image accepted: {(completion['text'] or '')[:30]!r}", None

    return run


def _reasoning(api_format: str) -> Callable[[ProbeContext], Result]:
    def run(ctx: ProbeContext) -> Result:
        completion = ctx.chat(ctx.request("Is 17 prime? Think, then answer yes or no."), api_format)
        text = completion["text"] or ""
        if "<think>" in text:
            return "differs", "reasoning inline in <think> tags", 12
        if completion["reasoning"]:
            return "ok", f"reasoning field: {len(completion['reasoning'])} chars", None
        expected = get_model_info(ctx.model).reasoning
        if expected:
            return "differs", "no reasoning field though the catalog expects one", 12
        return "ok", "no reasoning (none expected)", None

    return run


def _count_tokens(ctx: ProbeContext) -> Result:
    count = ctx.client.count_tokens(ctx.request("Hello, how are you?"))
    return "ok", f"{count} input tokens", None


def _wrong_model(ctx: ProbeContext) -> Result:
    request = ctx.request("Hi")
    request["model"] = "modelslab-check-no-such-model"
    try:
        ctx.client.chat(request)
    except APIStatusError as error:
        detail = f"{type(error).__name__}, HTTP {error.http_status}"
        return (
            ("differs", detail + " (error with 200)", 7)
            if error.http_status == 200
            else (
                "ok",
                detail,
                None,
            )
        )
    return "differs", "an unknown model id was accepted", 4


def _wrong_key(ctx: ProbeContext) -> Result:
    try:
        ctx.wrong_key_client.chat(ctx.request("Hi"))
    except AuthenticationError as error:
        if error.http_status == 200:
            return "differs", "AuthenticationError with HTTP 200", 7
        return "ok", f"AuthenticationError, HTTP {error.http_status}", None
    except APIError as error:
        return "differs", f"{type(error).__name__} for a wrong key", 1
    return "differs", "a wrong key was accepted", 1


def probes_for(formats: list[str]) -> list[Probe]:
    """The battery, in order, for the chosen API formats (``openai``, ``anthropic``)."""
    battery = [Probe("auth", _auth), Probe("models", _models), Probe("catalog", _catalog)]
    for fmt in formats:
        battery += [
            Probe(f"{fmt}.chat", _chat(fmt)),
            Probe(f"{fmt}.stream", _stream(fmt)),
            Probe(f"{fmt}.tools_auto", _tools(fmt, "auto")),
            Probe(f"{fmt}.tools_forced", _tools(fmt, "forced")),
            Probe(f"{fmt}.tools_parallel", _tools(fmt, "parallel")),
            Probe(f"{fmt}.vision", _vision(fmt)),
            Probe(f"{fmt}.reasoning", _reasoning(fmt)),
        ]
        if fmt == "openai":  # the Messages format has no response_format (a forced tool is it)
            battery += [
                Probe("openai.json_mode", _json(fmt, schema=False)),
                Probe("openai.json_schema", _json(fmt, schema=True)),
            ]
    if "anthropic" in formats:
        battery.append(Probe("anthropic.count_tokens", _count_tokens))
    errors = [Probe("error.wrong_model", _wrong_model), Probe("error.wrong_key", _wrong_key)]
    return [*battery, *errors]
