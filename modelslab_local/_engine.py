"""The engine interface: what the HTTP layer asks a model for, and what it gets back.

Both wire formats (Chat Completions and Messages) are converted into one
:class:`EngineRequest` (OpenAI-shaped messages and tools) and an engine answers with one
:class:`EngineAnswer`; the HTTP layer renders that as JSON or SSE in either format. An engine
therefore never sees HTTP, auth, faults or streaming.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from . import _tokens

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What could be learnt about one image input.

    Attributes:
        message_index: Index of the message that carried the image.
        source: ``"base64"`` for a data URL or base64 block, otherwise the URL.
        format: ``"PNG"``, ``"JPEG"``, ``"GIF"``, ``"WEBP"``, or ``None`` when unknown.
        width: Pixel width, or ``None`` when the bytes were not available.
        height: Pixel height, or ``None``.
        size_bytes: Size of the image data, or ``None``.
    """

    message_index: int
    source: str
    format: str | None = None
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class EngineRequest:
    """A chat request, independent of the wire format it arrived in.

    Attributes:
        model: The requested model id (echoed back).
        messages: OpenAI-shaped messages (``system``/``user``/``assistant``/``tool``).
        tools: OpenAI tool definitions (``{"type": "function", "function": {...}}``).
        tool_choice: ``"auto"``, ``"none"``, ``"required"`` or
            ``{"type": "function", "function": {"name": ...}}``.
        parallel_tool_calls: Whether several tool calls may be returned at once.
        response_format: OpenAI ``response_format`` or ``None``.
        stop: Stop sequences.
        max_tokens: Most tokens the answer may have.
        reasoning: Whether the model returns reasoning text.
        images: Images found in the messages, decoded as far as possible.
        temperature: Sampling temperature (a real model may use it; the default engine not).
        choice: Which of the ``n`` choices asked for this answer is (0 for the first).
    """

    model: str
    messages: list[JSON]
    tools: list[JSON] = field(default_factory=list)
    tool_choice: str | JSON = "auto"
    parallel_tool_calls: bool = True
    response_format: JSON | None = None
    stop: list[str] = field(default_factory=list)
    max_tokens: int = 1000
    reasoning: bool = False
    images: list[ImageInfo] = field(default_factory=list)
    temperature: float | None = None
    choice: int = 0


@dataclass(frozen=True, slots=True)
class EngineToolCall:
    """One tool call: the tool name and its arguments as a JSON string."""

    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class EngineUsage:
    """Token counts of one answer."""

    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class EngineAnswer:
    """One answer, independent of the wire format it will be rendered in.

    Attributes:
        text: Visible text, or ``None`` (for example when only tools are called).
        reasoning: Reasoning text, or ``None``.
        tool_calls: Tool calls, in order.
        finish_reason: ``stop``, ``length`` or ``tool_calls`` (OpenAI vocabulary).
        stop_sequence: The stop sequence that ended the text, if any.
        usage: Token counts; :func:`finalize` fills them in when an engine leaves ``None``.
    """

    text: str | None = None
    reasoning: str | None = None
    tool_calls: list[EngineToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    stop_sequence: str | None = None
    usage: EngineUsage | None = None


@runtime_checkable
class Engine(Protocol):
    """What the server needs from a model: one call from request to answer.

    ``generate`` runs in a worker thread, so a blocking CPU model is fine.

    Example:
        ```python
        from modelslab_local import EngineAnswer, EngineRequest, start_server
        from modelslab_transport import ModelsLabClient


        class Shout:
            name = "shout"

            def generate(self, request: EngineRequest) -> EngineAnswer:
                return EngineAnswer(text=str(request.messages[-1]["content"]).upper())


        request = {
            "model": "baidu-ernie-4.5-vl-28b-a3b",
            "messages": [{"role": "user", "content": "hello"}],
        }
        with start_server(engine=Shout()) as server:
            with ModelsLabClient(server.api_key, base_url=server.base_url) as client:
                print(client.chat(request)["text"])
        ```

        Pass yours where ``notebooks/01_langchain_quickstart.ipynb`` starts the server; more
        in ``docs/local-server.md``.
    """

    name: str

    def generate(self, request: EngineRequest) -> EngineAnswer:
        """Answer ``request``."""
        ...


def apply_stop(text: str, stop: list[str]) -> tuple[str, str | None]:
    """Cut ``text`` at the earliest stop sequence; return the text and the sequence."""
    best: tuple[int, str] | None = None
    for sequence in stop:
        if not sequence:
            continue
        at = text.find(sequence)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, sequence)
    if best is None:
        return text, None
    return text[: best[0]], best[1]


def finalize(answer: EngineAnswer, request: EngineRequest) -> EngineAnswer:
    """Enforce stop sequences and ``max_tokens`` and fill in usage, for any engine."""
    text = answer.text
    finish = answer.finish_reason
    matched = answer.stop_sequence
    if text is not None and not answer.tool_calls:
        text, found = apply_stop(text, request.stop)
        if found is not None:
            matched, finish = found, "stop"
        budget = request.max_tokens - _tokens.count_text(answer.reasoning or "")
        if _tokens.count_text(text) > max(budget, 0):
            text, finish, matched = _tokens.truncate(text, max(budget, 0)), "length", None
    usage = answer.usage or _usage(request, text, answer)
    return replace(answer, text=text, finish_reason=finish, stop_sequence=matched, usage=usage)


def _usage(request: EngineRequest, text: str | None, answer: EngineAnswer) -> EngineUsage:
    prompt = _tokens.count_messages(request.messages, request.tools)
    reasoning = _tokens.count_text(answer.reasoning or "")
    completion = _tokens.count_text(text or "") + reasoning
    for call in answer.tool_calls:
        completion += _tokens.count_text(call.name) + _tokens.count_text(call.arguments)
    return EngineUsage(prompt, max(completion, 1), reasoning)
