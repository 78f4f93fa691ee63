"""Chat Completions (``POST {base}/chat/completions``): answers and stream events. Pure.

Request bodies are built in ``_openai_request`` (re-exported here).
"""

from __future__ import annotations

from typing import Any

from ._common import (
    arguments_text,
    as_object,
    as_text,
    completion,
    is_error_payload,
    load_event_json,
    make_usage,
    normalize_finish_reason,
    server_stream_error,
    to_int,
)
from ._errors import EmptyResponseError, StreamTruncatedError
from ._openai_request import TOOL_IMAGES_INTRO, build_body
from ._sse import SSEEvent
from ._types import (
    JSON,
    Choice,
    Completion,
    StreamDelta,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__all__ = [
    "TOOL_IMAGES_INTRO",
    "OpenAIStreamState",
    "build_body",
    "is_completion",
    "parse_completion",
    "parse_usage",
]


def is_completion(body: Any) -> bool:
    """Whether a 2xx body is an answer (it has ``choices``) rather than an error report."""
    return isinstance(body, dict) and isinstance(body.get("choices"), list)


def parse_usage(raw: Any) -> Usage | None:
    """Normalize an OpenAI ``usage`` object (``None`` when absent)."""
    if not isinstance(raw, dict):
        return None
    prompt = raw.get("prompt_tokens_details")
    completion = raw.get("completion_tokens_details")
    # Detail objects are often absent: their counts are then 0 without six conversions.
    cache_read = cache_creation = reasoning = 0
    if isinstance(prompt, dict):
        cache_read = to_int(prompt.get("cached_tokens"))
        cache_creation = to_int(
            prompt.get("cache_write_tokens", prompt.get("cache_creation_tokens"))
        )
    if isinstance(completion, dict):
        reasoning = to_int(completion.get("reasoning_tokens"))
    return make_usage(
        to_int(raw.get("prompt_tokens")),
        to_int(raw.get("completion_tokens")),
        total=to_int(raw.get("total_tokens")),
        cache_read=cache_read,
        cache_creation=cache_creation,
        reasoning=reasoning,
    )


def _content_text(content: Any) -> str | None:
    # Some upstreams answer with content parts instead of a string.
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text", "") for p in content if isinstance(p, dict)]
        return "".join(t for t in texts if isinstance(t, str))
    return str(content)


def _reasoning(container: JSON) -> str | None:
    value = container.get("reasoning_content")
    if value is None:
        value = container.get("reasoning")
    return value if isinstance(value, str) else None


def _tool_calls(raw: Any) -> list[ToolCall]:
    calls: list[ToolCall] = []
    for i, call in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(call, dict):
            continue
        fn: JSON = call["function"] if isinstance(call.get("function"), dict) else {}
        calls.append(
            ToolCall(
                # An id is needed to send the result back; synthesize one if the server gave none.
                id=str(call.get("id") or f"call_{i}"),
                name=str(fn.get("name") or ""),
                arguments=arguments_text(fn.get("arguments")),
            )
        )
    return calls


def parse_completion(body: JSON) -> Completion:
    """Normalize a ``chat.completion`` body (check :func:`is_completion` first).

    Every choice is read (``n`` > 1); the answer fields are the first one's.

    Raises:
        EmptyResponseError: No choice, or a first choice without a message object.
    """
    raw_choices = body.get("choices")
    if not raw_choices:
        raise EmptyResponseError("The answer has no choices (choices: []).", body=body)
    choices = [
        parsed
        for position, raw in enumerate(raw_choices)
        if (parsed := _choice(raw, position)) is not None
    ]
    first = raw_choices[0]
    if not choices or not isinstance(first, dict) or not isinstance(first.get("message"), dict):
        raise EmptyResponseError("The answer's first choice has no message object.", body=body)
    return completion(
        choices,
        id=body.get("id"),
        model=body.get("model"),
        usage=parse_usage(body.get("usage")),
        raw=body,
    )


def _choice(raw: Any, position: int) -> Choice | None:
    """One choice of a completion body; ``None`` for one without a message object."""
    message = raw.get("message") if isinstance(raw, dict) else None
    if not isinstance(message, dict):
        return None
    index = raw.get("index")
    choice = Choice(
        index=index if isinstance(index, int) and not isinstance(index, bool) else position,
        text=_content_text(message.get("content")),
        reasoning=_reasoning(message),
        tool_calls=_tool_calls(message.get("tool_calls")),
        finish_reason=normalize_finish_reason(raw.get("finish_reason")),
    )
    logprobs = token_logprobs(raw.get("logprobs"))
    if logprobs:
        choice["logprobs"] = logprobs
    return choice


def token_logprobs(raw: Any) -> list[JSON]:
    """A choice's ``logprobs.content`` entries that are objects (``[]`` when absent)."""
    content = raw.get("content") if isinstance(raw, dict) else None
    if not isinstance(content, list):
        return []
    return [entry for entry in content if isinstance(entry, dict)]


def _tool_call_deltas(raw: Any) -> list[ToolCallDelta]:
    deltas: list[ToolCallDelta] = []
    for position, call in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(call, dict):
            continue
        fn = as_object(call.get("function"))
        index = call.get("index")
        deltas.append(
            ToolCallDelta(
                index=index if isinstance(index, int) else position,
                id=as_text(call.get("id")),
                name=as_text(fn.get("name")),
                arguments=arguments_text(fn.get("arguments")),
            )
        )
    return deltas


def _choice_delta(choice: JSON, out: StreamDelta) -> str | None:
    """Fill ``out`` from one streamed choice; return its normalized finish reason.

    Runs once per streamed token: absent fields are skipped with a plain ``get`` before any
    helper is called.
    """
    delta = choice.get("delta")
    if isinstance(delta, dict):
        content = delta.get("content")
        if content:
            out["text"] = content if isinstance(content, str) else _content_text(content) or ""
        if "reasoning_content" in delta or "reasoning" in delta:
            reasoning = _reasoning(delta)
            if reasoning:
                out["reasoning"] = reasoning
        calls = delta.get("tool_calls")
        if calls:
            out["tool_calls"] = _tool_call_deltas(calls)
    if choice.get("logprobs"):
        logprobs = token_logprobs(choice["logprobs"])
        if logprobs:
            out["logprobs"] = logprobs
    reason = choice.get("finish_reason")
    if not reason:
        return None
    reason = normalize_finish_reason(reason)
    if reason:
        out["finish_reason"] = reason
    return reason


def _first_choice(choices: Any) -> Any:
    """The first choice's entry in a chunk: ``index`` 0 (or none given), wherever it sits.

    A chunk may carry another choice only (``n`` > 1, or a server that sends extra ones):
    taking ``choices[0]`` would splice that choice's text into the first one's.
    """
    if not isinstance(choices, list):
        return None
    for choice in choices:
        if isinstance(choice, dict) and choice.get("index", 0) in (0, None):
            return choice
    return None


class OpenAIStreamState:
    """Turns Chat Completions SSE events into :class:`StreamDelta` (one stream's state).

    The stream ends at ``data: [DONE]``. Usage is emitted once: at once for a usage-only chunk
    (``choices: []``), else the last usage seen is emitted when the stream ends (some servers
    repeat cumulative usage on every chunk). A tool call's ``id`` or whole ``name`` repeated
    on later fragments of the same call (llama.cpp's Python server does this) is dropped, so
    consumers that concatenate name fragments still get the name once.
    """

    __slots__ = (
        "_answered",
        "_ids",
        "_meta_sent",
        "_names",
        "_usage",
        "_usage_sent",
        "done",
        "finished",
    )

    def __init__(self) -> None:
        self.done = False
        self.finished = False
        self._answered = False  # a choice was seen: an answer, if perhaps an empty one
        self._meta_sent = False
        self._usage: Usage | None = None
        self._usage_sent = False
        self._ids: dict[int, str] = {}
        self._names: dict[int, str] = {}

    def event(self, event: SSEEvent, out: list[StreamDelta]) -> None:
        """Handle one SSE event, appending deltas to ``out``."""
        data = event.data
        if data[:1] != "{" and self._not_a_chunk(data, out):
            return
        chunk = load_event_json(data)
        if event.event == "error" or is_error_payload(chunk):
            raise server_stream_error(chunk)
        delta: StreamDelta = {}
        if not self._meta_sent:
            self._meta(chunk, delta)
        choices = chunk.get("choices")
        first = _first_choice(choices)
        if isinstance(first, dict):
            self._answered = True
            if _choice_delta(first, delta):
                self.finished = True
        if "tool_calls" in delta:
            self._drop_repeats(delta["tool_calls"])
        usage = chunk.get("usage")
        if usage:
            self._usage = parse_usage(usage)
            if not choices:
                self._flush_usage_into(delta)
        if delta:
            out.append(delta)

    def _not_a_chunk(self, data: str, out: list[StreamDelta]) -> bool:
        """Handle the end marker and keep-alives; False for anything else (parsed next)."""
        if data.strip() == "[DONE]":
            self.done = True
            self._flush_usage(out)
            return True
        return not data or data.isspace()  # an empty data line is a keep-alive, not an event

    def end(self, out: list[StreamDelta]) -> None:
        """End of input: accept it if [DONE] or a finish reason was seen, else raise."""
        if (self.done or self.finished) and not self._answered:
            raise EmptyResponseError(
                "The event stream ended without any choice (only its end marker or usage)."
            )
        if self.done or self.finished:
            self._flush_usage(out)
            return
        raise StreamTruncatedError(
            "The event stream ended before the answer was complete "
            "(no finish_reason and no [DONE])."
        )

    def _drop_repeats(self, calls: list[ToolCallDelta]) -> None:
        """Blank an ``id`` or ``name`` that only repeats what this call already has."""
        for call in calls:
            index, call_id, name = call["index"], call["id"], call["name"]
            if call_id is not None:
                if self._ids.get(index) == call_id:
                    call["id"] = None
                self._ids[index] = call_id
            if name is not None:
                so_far = self._names.get(index, "")
                if so_far == name:
                    call["name"] = None
                else:
                    self._names[index] = so_far + name

    def _meta(self, chunk: JSON, delta: StreamDelta) -> None:
        if chunk.get("id"):
            delta["id"] = str(chunk["id"])
        if chunk.get("model"):
            delta["model"] = str(chunk["model"])
        self._meta_sent = bool(delta)

    def _flush_usage_into(self, delta: StreamDelta) -> None:
        if self._usage is not None and not self._usage_sent:
            delta["usage"] = self._usage
            self._usage_sent = True

    def _flush_usage(self, out: list[StreamDelta]) -> None:
        delta: StreamDelta = {}
        self._flush_usage_into(delta)
        if delta:
            out.append(delta)
