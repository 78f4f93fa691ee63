"""Wire schemas and the normalized shapes the adapters consume.

Everything here is a plain ``TypedDict`` so the hot path (one dict per streamed event)
never builds a pydantic model. Two families live side by side:

* **Request side** -- :class:`ChatRequest` is OpenAI-shaped (the lingua franca both adapters
  already speak). The transport turns it into a Chat Completions body or, for the
  Anthropic-format ``/v1/messages`` endpoint, into a Messages body, so an adapter converts
  framework messages exactly once.
* **Response side** -- both wire formats are normalized into :class:`Completion` (one
  non-streamed answer) and :class:`StreamDelta` (one streamed event), so an adapter converts
  one shape, not two protocols.
"""

from __future__ import annotations

from typing import Any, Literal

from typing_extensions import NotRequired, Required, TypedDict

JSON = dict[str, Any]

ApiFormat = Literal["openai", "anthropic"]
"""Which ModelsLab endpoint family a request goes to: Chat Completions or Messages."""

FinishReason = str
"""Normalized to OpenAI's vocabulary (``stop``, ``length``, ``tool_calls``,
``content_filter``); an unknown upstream value is passed through unchanged."""


# --------------------------------------------------------------------------- request side


class ImageURL(TypedDict, total=False):
    """OpenAI ``image_url`` payload: an ``https://`` URL or a ``data:`` URL."""

    url: Required[str]
    detail: str


class ContentPart(TypedDict, total=False):
    """One OpenAI content part: ``{"type": "text", "text": ...}`` or an ``image_url`` part."""

    type: Required[Literal["text", "image_url"]]
    text: str
    image_url: ImageURL
    cache_control: JSON  # a prompt-caching mark: the Messages format only


class ToolCallFunction(TypedDict):
    """The ``function`` member of an OpenAI tool call; ``arguments`` is a JSON string."""

    name: str
    arguments: str


class WireToolCall(TypedDict):
    """An OpenAI tool call as it appears on an assistant message."""

    id: str
    type: Literal["function"]
    function: ToolCallFunction


class ChatMessage(TypedDict, total=False):
    """One OpenAI Chat Completions message.

    ``reasoning_content`` on an assistant turn is replayed to models that require their own
    reasoning back in tool loops; the Anthropic converter turns it into a ``thinking`` block,
    signed with ``thinking_signature`` when the answer carried one, followed by one
    ``redacted_thinking`` block per entry of ``redacted_thinking`` (sent back verbatim). The
    Chat Completions body carries neither of these two. ``is_error`` on a tool message says
    the tool failed (the Messages ``tool_result``'s ``is_error``; Chat Completions has no
    field for it, so there the text alone says so).
    """

    role: Required[Literal["system", "developer", "user", "assistant", "tool"]]
    content: str | list[ContentPart] | None
    name: str
    tool_calls: list[WireToolCall]
    tool_call_id: str
    reasoning_content: str
    thinking_signature: str
    redacted_thinking: list[str]
    is_error: bool
    cache_control: JSON


class FunctionSpec(TypedDict, total=False):
    """The ``function`` member of an OpenAI tool definition."""

    name: Required[str]
    description: str
    parameters: JSON
    strict: bool


class ToolSpec(TypedDict):
    """An OpenAI tool definition: ``{"type": "function", "function": {...}}``.

    ``cache_control`` (a prompt-caching mark) is sent on the Messages format only.
    """

    type: Literal["function"]
    function: FunctionSpec
    cache_control: NotRequired[JSON]


ToolChoice = str | JSON
"""``"auto"``, ``"none"``, ``"required"`` or ``{"type": "function", "function": {"name": n}}``."""


class ChatRequest(TypedDict, total=False):
    """What an adapter asks for; the transport builds the wire body for either endpoint.

    ``max_tokens`` is always sent (ModelsLab defaults to 1000 otherwise); when absent the
    catalog's default for the model is used. ``stream_usage`` asks for a usage event when
    streaming (``stream_options.include_usage`` on Chat Completions; always on for Messages).
    ``extra_body`` is merged last into the wire body, for parameters this type does not name.
    ``reasoning_effort`` (Chat Completions) and ``thinking`` (Messages) ask a reasoning model
    to think; each is mapped onto the other format's field (``_reasoning``).
    """

    model: Required[str]
    messages: Required[list[ChatMessage]]
    max_tokens: int
    temperature: float
    top_p: float
    top_k: int
    frequency_penalty: float
    presence_penalty: float
    repetition_penalty: float
    stop: list[str]
    seed: int
    n: int
    tools: list[ToolSpec]
    tool_choice: ToolChoice
    parallel_tool_calls: bool
    response_format: JSON
    stream_usage: bool
    user: str
    reasoning_effort: str
    thinking: JSON
    extra_body: JSON


# -------------------------------------------------------------------------- response side


class Usage(TypedDict):
    """Token usage, normalized over both wire formats.

    ``input_tokens`` includes cached tokens (as OpenAI counts them); the details say how many
    of them were cache reads or writes. Absent details are 0.
    """

    input_tokens: int
    output_tokens: int
    total_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int
    reasoning_tokens: int


class ToolCall(TypedDict):
    """A complete tool call; ``arguments`` is the raw JSON string (may be invalid JSON)."""

    id: str
    name: str
    arguments: str


class Choice(TypedDict):
    """One of the answers of a non-streamed completion (``n`` > 1 asks for several)."""

    index: int
    text: str | None
    reasoning: str | None
    tool_calls: list[ToolCall]
    finish_reason: FinishReason | None
    # As :attr:`Completion.logprobs`, for this choice.
    logprobs: NotRequired[list[JSON]]
    # Messages format: the thinking block's signature and the redacted_thinking blocks' data.
    thinking_signature: NotRequired[str]
    redacted_thinking: NotRequired[list[str]]


class Completion(TypedDict):
    """One non-streamed answer from either endpoint.

    The answer fields (``text`` ... ``finish_reason``, ``logprobs``) are those of the first
    choice; ``choices`` holds every choice, the first included. ``raw`` is the parsed JSON
    body exactly as received (unknown fields kept).
    """

    id: str | None
    model: str | None
    text: str | None
    reasoning: str | None
    tool_calls: list[ToolCall]
    finish_reason: FinishReason | None
    usage: Usage | None
    raw: JSON
    # Per-token log probabilities when the request asked for them (``logprobs: true``), in
    # Chat Completions' shape: ``{"token", "logprob", "bytes", "top_logprobs": [...]}``.
    logprobs: NotRequired[list[JSON]]
    # Messages format only: the signature of the thinking block (to send back unchanged) and
    # the opaque ``data`` of each ``redacted_thinking`` block, in order.
    thinking_signature: NotRequired[str]
    redacted_thinking: NotRequired[list[str]]
    choices: list[Choice]


class ToolCallDelta(TypedDict):
    """A fragment of a streamed tool call.

    ``index`` identifies the call across fragments; ``id`` and ``name`` usually arrive only on
    the first fragment (``None`` afterwards); ``arguments`` is the next piece of JSON text.
    """

    index: int
    id: str | None
    name: str | None
    arguments: str


class StreamDelta(TypedDict, total=False):
    """One normalized streamed event. Only the keys that carry something are present.

    * ``text`` / ``reasoning`` -- new visible / reasoning text.
    * ``tool_calls`` -- tool-call fragments in this event.
    * ``finish_reason`` -- set once, on the event that ends the answer.
    * ``usage`` -- set at most once per stream (Chat Completions' final usage chunk, or the
      Messages ``message_start`` + ``message_delta`` counts combined).
    * ``model`` / ``id`` -- the served model id and response id, on the first event that
      carries them.
    * ``logprobs`` -- the log probabilities of this event's tokens, when asked for (the
      shape of :attr:`Completion.logprobs`).
    * ``thinking_signature`` -- a piece of the thinking block's signature (Messages
      ``signature_delta``); the pieces concatenate.
    * ``redacted_thinking`` -- the ``data`` of a ``redacted_thinking`` block, whole.
    """

    text: str
    reasoning: str
    tool_calls: list[ToolCallDelta]
    finish_reason: FinishReason
    usage: Usage
    model: str
    id: str
    logprobs: list[JSON]
    thinking_signature: str
    redacted_thinking: list[str]


class ModelEntry(TypedDict):
    """One entry of ``GET /v1/models`` (unknown fields kept)."""

    id: str
    object: NotRequired[str]
    created: NotRequired[int]
    owned_by: NotRequired[str]
