"""``ModelsLabLLM``: ModelsLab's v7 LLM API as a LlamaIndex ``FunctionCallingLLM``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import ConfigDict, Field, PrivateAttr, SecretStr
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from modelslab_transport import (
    DEFAULT_MODEL,
    ApiFormat,
    ChatRequest,
    ClientCache,
    ClientOwner,
    check_init_arguments,
    default_max_tokens,
    get_model_info,
)

from ._context import known_context_window, learn_context_window
from ._request import chat_request, env_base_url, env_key, prompt_messages
from ._responses import chat_to_completion_response, completion_to_chat_response, response_cost
from ._stream import StreamAccumulator, astream_responses, stream_responses
from ._structured import StructuredOutputLLM
from ._tool_hooks import ToolCallingLLM
from ._tools import calls_tools

if TYPE_CHECKING:
    import httpx


# Constructor arguments that are not fields (the caller's own HTTP clients).
_INIT_ARGUMENTS = ("http_client", "async_http_client")


class ModelsLabLLM(ClientOwner, StructuredOutputLLM, ToolCallingLLM):
    """ModelsLab's LLM API (``/api/v7/llm``) for LlamaIndex: chat, tools, vision, streaming.

    Works as ``Settings.llm`` and in query engines, chat engines and agents (``FunctionAgent``,
    ``ReActAgent``, ``AgentWorkflow``). Context window, output size and capabilities come from
    the transport's model catalog and can each be overridden.

    Assigning a connection setting (key, URL, timeouts, retries, budget, headers, the two
    key options) closes the clients built from the old values; the next call builds new ones
    (assign a new ``default_headers`` dict: changing the current one goes unnoticed).

    Example:
        ```python
        from llama_index_modelslab import ModelsLabLLM

        llm = ModelsLabLLM(model="baidu-ernie-4.5-vl-28b-a3b")  # key from MODELSLAB_API_KEY
        print(llm.complete("Say hello").text)
        ```

        More in ``notebooks/02_llama_index_quickstart.ipynb`` (RAG, an agent with tools,
        structured prediction) and ``notebooks/03_usage_and_cost.ipynb`` (tokens and dollars).

    Args:
        model: The ModelsLab model id.
        api_key: The API key; defaults to the ``MODELSLAB_API_KEY`` environment variable as it
            is when the LLM is built. Never
            serialized, pickled, shown or logged (an unpickled LLM reads the environment of
            the process it lands in).
        base_url: API base; defaults to ``MODELSLAB_BASE_URL`` as it is when the LLM is built,
            then the public v7 endpoint.
        api_format: ``"openai"`` (Chat Completions) or ``"anthropic"`` (Messages endpoint).
        temperature: Sampling temperature; ``None`` leaves it to the API.
        max_tokens: Most tokens per answer; ``None`` uses the catalog's default for the model.
        reasoning_effort: How hard a reasoning model thinks (``"none"``, ``"minimal"``,
            ``"low"``, ``"medium"``, ``"high"``, ``"xhigh"``, ``"max"``); per call too
            (``llm.chat(messages, reasoning_effort="low")``). On the Messages format it
            becomes a ``thinking`` budget.
        thinking: ``{"type": "enabled", "budget_tokens": N}`` or ``{"type": "disabled"}``;
            per call too. On Chat Completions it becomes a ``reasoning_effort``.
        context_window: Overrides the catalog's context window.
        num_output: Overrides the number of output tokens reported to LlamaIndex.
        is_chat_model: Reported to LlamaIndex, which then prompts through ``chat``
            (``True``) or ``complete`` (``False``); both reach the same chat endpoint.
        is_function_calling_model: Overrides the catalog's tool-calling capability.
        model_name: The name reported in ``metadata.model_name`` (logs, tracing);
            ``None`` reports ``model``. Requests always use ``model``.
        structured_output_method: How ``structured_predict`` and friends get structured
            output: ``"function"`` (tool calling), ``"json_mode"``
            (``response_format={"type": "json_object"}`` plus the schema in the prompt; with
            ``api_format="anthropic"``, which has no JSON mode, the schema in the prompt only)
            or ``"text"`` (prompt and parse). Assigning it later also switches
            ``pydantic_program_mode``, unless that was set to a mode of its own.
        timeout: Read timeout in seconds, also between streamed chunks.
        connect_timeout: Connect timeout in seconds.
        max_retries: Retries for failed requests (never once a stream has started).
        deadline: Seconds one call may take in all (every attempt, retry waits, reading a
            slow answer; for a stream, until its first event); ``None``: no overall bound.
            Per call: ``llm.chat(messages, deadline=5)``.
        max_concurrency: Most requests in flight at once per transport client (the sync one,
            and the async one of each event loop); more wait for a slot. ``None``:
            ``MODELSLAB_MAX_CONCURRENCY``, else 5; ``0``: unlimited.
        default_headers: Extra HTTP headers (not serialized: they may carry credentials).
        key_in_body: Also send the key as ``"key"`` in JSON bodies (older ModelsLab style).
        allow_insecure_http: Allow the key over plain ``http://`` to a non-loopback host.
        additional_kwargs: Extra request parameters sent with every call.
        stream_usage: Ask for token usage when streaming.
        http_client: An ``httpx.Client`` to send requests through (you close it).
        async_http_client: An ``httpx.AsyncClient`` to send async requests through (you close
            it, and use it on one event loop).
    """

    model: str = Field(default=DEFAULT_MODEL, description="The ModelsLab model id.")
    # The environment is read when the LLM is built, as ChatModelsLab (and ChatOpenAI) do.
    api_key: SecretStr | None = Field(default_factory=env_key, exclude=True, repr=False)
    base_url: str | None = Field(default_factory=env_base_url, description="API base URL.")
    api_format: ApiFormat = Field(default="openai", description="openai or anthropic.")
    temperature: float | None = Field(default=None)
    max_tokens: int | None = Field(default=None)
    reasoning_effort: str | None = Field(default=None)
    thinking: dict[str, Any] | None = Field(default=None)
    context_window: int | None = Field(default=None, gt=0)
    num_output: int | None = Field(default=None, gt=0)
    is_chat_model: bool = Field(default=True)
    is_function_calling_model: bool | None = Field(default=None)
    model_name: str | None = Field(default=None, description="Reported name; default: model.")
    timeout: float | None = Field(default=None)
    connect_timeout: float | None = Field(default=None)
    max_retries: int = Field(default=2)
    max_concurrency: int | None = Field(default=None)
    deadline: float | None = Field(default=None)
    default_headers: dict[str, str] | None = Field(default=None, exclude=True, repr=False)
    key_in_body: bool = Field(default=False)
    allow_insecure_http: bool = Field(default=False)
    additional_kwargs: dict[str, Any] = Field(default_factory=dict)
    stream_usage: bool = Field(default=True)

    # A ValidationError must not print the constructor's input: it holds the key as a string.
    model_config = ConfigDict(hide_input_in_errors=True)

    _clients: ClientCache = PrivateAttr()
    _metadata: tuple[tuple[Any, ...], LLMMetadata] | None = PrivateAttr(default=None)

    def __init__(
        self,
        *,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        **data: Any,
    ) -> None:
        # Before pydantic, which would drop an unknown name in silence and raise its own
        # error type for a bad value: the same rule, and error, as ChatModelsLab.
        check_init_arguments(type(self), data, ("additional_kwargs",), _INIT_ARGUMENTS)
        super().__init__(**data)
        self._check_connection()
        self._clients = ClientCache(http_client, async_http_client)

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialization and events."""
        return "ModelsLabLLM"

    @property
    def metadata(self) -> LLMMetadata:
        """What LlamaIndex needs to know about the model, from the catalog unless overridden.

        Read on every call: kept while the fields it is made of and the model's catalog entry
        stay the same (an unlisted model's window may come from the server: never kept).
        """
        info = get_model_info(self.model)
        key = (
            info,
            self.context_window,
            self.num_output,
            self.max_tokens,
            self.is_chat_model,
            self.is_function_calling_model,
            self.model_name,
        )
        kept = self._metadata
        if kept is not None and kept[0] == key:
            return kept[1]
        calling = self.is_function_calling_model
        metadata = LLMMetadata(
            context_window=self.context_window or self._known_context_window(),
            num_output=self.num_output or self.max_tokens or default_max_tokens(self.model),
            is_chat_model=self.is_chat_model,
            is_function_calling_model=calls_tools(info) if calling is None else calling,
            model_name=self.model_name or self.model,
            system_role=MessageRole.SYSTEM,
        )
        if info.known:
            self._metadata = (key, metadata)
        return metadata

    def _known_context_window(self) -> int:
        """The catalog's context window; for an id it does not list, what the server reports.

        ``GET /v1/models`` is asked once per client (see ``_context.py``); without an answer,
        the catalog's conservative default for unknown models.
        """
        return known_context_window(self.model, self._clients, self._client)

    def _overridden(self) -> bool:
        return self.context_window is not None

    def _json_mode_available(self) -> bool:
        return self.api_format == "openai"

    # -------------------------------------------------------------------- requests

    def _request(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any], stream: bool = False
    ) -> tuple[ChatRequest, dict[str, Any]]:
        return chat_request(self, messages, kwargs, stream)

    def _prompt_messages(self, prompt: str, formatted: bool) -> list[ChatMessage]:
        return prompt_messages(self, prompt, formatted)

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request, options = self._request(messages, kwargs)
        completion = self._client().chat(request, **options)
        return completion_to_chat_response(self.model, completion)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        request, options = self._request(messages, kwargs)
        client = await self._aclient()
        options = await learn_context_window(client, self.model, self._overridden(), options)
        completion = await client.chat(request, **options)
        return completion_to_chat_response(self.model, completion)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        # The request is sent here, not on first iteration, so HTTP errors surface at call time.
        request, options = self._request(messages, kwargs, stream=True)
        stream = self._client().stream_chat(request, **options)
        return stream_responses(stream, StreamAccumulator(self.model))

    async def _astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        request, options = self._request(messages, kwargs, stream=True)
        client = await self._aclient()
        options = await learn_context_window(client, self.model, self._overridden(), options)
        stream = await client.stream_chat(request, **options)
        return astream_responses(stream, StreamAccumulator(self.model))

    # ------------------------------------------- public API (decorated exactly once)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Send a chat and return the answer."""
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Send a chat and return the answer (async)."""
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream a chat: each response holds the whole message so far and the new ``delta``."""
        return self._stream_chat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Stream a chat (async): await it to get an async generator of cumulative responses."""
        return await self._astream_chat(messages, **kwargs)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Complete a prompt (sent as one user message)."""
        response = self._chat(self._prompt_messages(prompt, formatted), **kwargs)
        return chat_to_completion_response(response)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Complete a prompt (async)."""
        response = await self._achat(self._prompt_messages(prompt, formatted), **kwargs)
        return chat_to_completion_response(response)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream a completion: cumulative ``text`` and the new ``delta``."""
        responses = self._stream_chat(self._prompt_messages(prompt, formatted), **kwargs)
        return (chat_to_completion_response(r) for r in responses)

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Stream a completion (async): await it to get an async generator."""
        responses = await self._astream_chat(self._prompt_messages(prompt, formatted), **kwargs)
        return (chat_to_completion_response(r) async for r in responses)

    # ------------------------------------------------------------------------- cost

    def estimate_cost(self, response: ChatResponse | CompletionResponse) -> float | None:
        """Dollar cost of a response from its token usage and the catalog's prices.

        The cost stored with the response is returned as is; otherwise the usage in
        ``additional_kwargs`` or ``raw`` is priced for the model the response names, or ``model``.

        Returns:
            The cost, or ``None`` when the usage or the model's prices are unknown.
        """
        return response_cost(self.model, response)
