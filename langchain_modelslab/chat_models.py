"""``ChatModelsLab``: ModelsLab's LLM API as a LangChain chat model."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import (
    LangSmithParams,
    LanguageModelInput,
    ModelProfile,
)
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import ConfigDict, Field, model_validator
from typing_extensions import Self

from modelslab_transport import (
    DEFAULT_MODEL,
    ApiFormat,
    ChatRequest,
    ModelsLabError,
    __version__,
    build_chat_request,
    call_options,
    get_model_info,
    resolve_tool_choice,
)

from ._clients import ConnectedChatModel
from ._convert import convert_messages
from ._errors import ACCOUNT_ERRORS, translate, translated
from ._outputs import StreamState, completion_to_result, delta_to_chunk, last_chunk
from ._profile import model_profile
from ._request import MODEL_SETTINGS, TRACING, ls_params
from ._tools import ToolLike, format_tools

__all__ = ["ChatModelsLab"]

logger = logging.getLogger(__name__)


class ChatModelsLab(ConnectedChatModel):
    """ModelsLab chat model on the shared httpx transport.

    Requests go to ``/chat/completions``, or to ``/v1/messages`` with
    ``api_format="anthropic"``.

    Setup: ``export MODELSLAB_API_KEY=...`` (and optionally ``MODELSLAB_BASE_URL``).

    Example:
        ```python
        from langchain_modelslab import ChatModelsLab

        model = ChatModelsLab(model="baidu-ernie-4.5-vl-28b-a3b", temperature=0)
        print(model.invoke("Hello").text)
        for chunk in model.stream("Count to 5."):
            print(chunk.text, end="")
        ```

        More in ``notebooks/01_langchain_quickstart.ipynb`` (tools, an agent, structured
        output, images) and ``notebooks/03_usage_and_cost.ipynb`` (tokens and dollars).

    Tools (``bind_tools``), structured output (``with_structured_output``: function calling,
    JSON mode, JSON schema), images (URL or base64), reasoning text, per-call ``model``
    overrides and usage (also when streaming) work as in ``ChatOpenAI``. Transport errors are
    raised as classes that are both the transport's error and the matching
    ``langchain_core.exceptions`` error (``ModelRateLimitError``, ...).

    Connection fields (``api_key``, ``base_url``, ``timeout``, ``max_retries``,
    ``http_client``, ...) may be assigned after use: the next call builds new clients. The
    model pickles without its HTTP clients and without its API key: an unpickled model reads
    ``MODELSLAB_API_KEY`` from the environment of the process it lands in.
    """

    model: str = Field(default=DEFAULT_MODEL, alias="model_name")
    """ModelsLab model id, sent verbatim."""
    temperature: float | None = None
    max_tokens: int | None = None
    """Most tokens to generate; the catalog's default for the model when ``None``."""
    top_p: float | None = None
    top_k: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    repetition_penalty: float | None = None
    seed: int | None = None
    n: int | None = None
    """Number of choices (non-streaming only)."""
    reasoning_effort: str | None = None
    """How hard a reasoning model thinks: ``"none"``, ``"minimal"``, ``"low"``, ``"medium"``,
    ``"high"``, ``"xhigh"`` or ``"max"`` (as ``ChatOpenAI``); per call too. On the Messages
    format it becomes a ``thinking`` budget."""
    thinking: dict[str, Any] | None = None
    """``{"type": "enabled", "budget_tokens": N}`` or ``{"type": "disabled"}`` (as
    ``ChatAnthropic``); per call too. On Chat Completions it becomes a ``reasoning_effort``."""
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    api_format: ApiFormat = "openai"
    """``"openai"`` (Chat Completions) or ``"anthropic"`` (Messages): same behaviour, except
    that Messages takes no ``response_format`` (structured output becomes a forced tool call)."""
    streaming: bool = False
    stream_usage: bool = True
    """Ask for token usage when streaming; it arrives on exactly one chunk."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra request parameters, merged into the body."""
    extra_body: dict[str, Any] | None = None
    """Extra request parameters, merged into the body last."""

    model_config = ConfigDict(populate_by_name=True, hide_input_in_errors=True)

    @model_validator(mode="after")
    def _set_modelslab_version(self) -> Self:
        self._add_version("langchain-modelslab", __version__)
        return self

    # ------------------------------------------------------------------ identity

    @property
    def _llm_type(self) -> str:
        return "modelslab-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Map of secret fields to their environment variables."""
        return {"api_key": "MODELSLAB_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """``langchain_core.load.dumps``/``loads`` round-trip the model, without its key."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """Namespace of this class for LangChain serialization."""
        return ["langchain_modelslab", "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "api_format": self.api_format, **self._settings()}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return ls_params({"model": self.model, **self._settings()}, stop, kwargs)

    def _resolve_model_profile(self) -> ModelProfile | None:
        return model_profile(self.model, self.api_format)

    # ------------------------------------------------------------------ requests

    def _settings(self) -> dict[str, Any]:
        # Read three times per call (request, tracing, identity): one pass over the fields.
        fields = self.__dict__
        return {k: fields[k] for k in MODEL_SETTINGS if fields[k] is not None}

    def _prepare(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[ChatRequest, dict[str, Any]]:
        """The request, and the transport's per-call options (endpoint, timeout, deadline).

        Callers run it inside their one ``translated()`` block: its errors are the dual classes.
        """
        settings = {"stream_usage": self.stream_usage, **self._settings()}
        if stop is not None:
            kwargs = {**kwargs, "stop": stop}
        passthrough = {**self.model_kwargs, "extra_body": self.extra_body}
        wire = convert_messages(messages)
        layers = (settings, passthrough, kwargs)
        request = build_chat_request(self.model, wire, *layers, ignore=TRACING)
        return request, call_options(kwargs, self.api_format)

    # ------------------------------------------------------------------ generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with translated():
            request, options = self._prepare(messages, stop, kwargs)
            completion = self._client().chat(request, **options)
        return completion_to_result(completion, model=request["model"])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with translated():
            request, options = self._prepare(messages, stop, kwargs)
            client = await self._aclient()
            completion = await client.chat(request, **options)
        return completion_to_result(completion, model=request["model"])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with translated():
            request, options = self._prepare(messages, stop, kwargs)
            state = StreamState.for_request(request, v1=self.output_version == "v1")
            stream = self._client().stream_chat(request, **options)
            with stream:
                for delta in stream:
                    chunk = delta_to_chunk(delta, state)
                    if chunk is not None:
                        if run_manager:
                            run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        yield chunk
                end = last_chunk(state)
                if end is not None:
                    if run_manager:
                        run_manager.on_llm_new_token("", chunk=end)
                    yield end

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        with translated():
            request, options = self._prepare(messages, stop, kwargs)
            state = StreamState.for_request(request, v1=self.output_version == "v1")
            client = await self._aclient()
            stream = await client.stream_chat(request, **options)
            try:
                async for delta in stream:
                    chunk = delta_to_chunk(delta, state)
                    if chunk is not None:
                        if run_manager:
                            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        yield chunk
                end = last_chunk(state)
                if end is not None:
                    if run_manager:
                        await run_manager.on_llm_new_token("", chunk=end)
                    yield end
            finally:
                await stream.aclose()

    # ------------------------------------------------------------------ tools & structure

    def bind_tools(
        self,
        tools: Sequence[ToolLike],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (LangChain tools, functions, pydantic / TypedDict classes, JSON schemas).

        Args:
            tools: The tools the model may call.
            tool_choice: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` (must call
                one), a tool's name (must call that one), or an OpenAI / Anthropic dict.
            strict: Ask for arguments that match each schema exactly.
            parallel_tool_calls: Allow (or forbid) several calls in one answer.
            **kwargs: Further call arguments (e.g. ``response_format``).
        """
        formatted = format_tools(tools, strict=strict)
        with translated():  # a bad choice fails here, at binding, not at the first call
            choice = resolve_tool_choice(tool_choice, formatted)
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """Return a runnable whose output matches ``schema``.

        Args:
            schema: A pydantic class, TypedDict class or JSON schema (optional for
                ``json_mode``).
            method: ``"function_calling"`` (a forced tool call), ``"json_mode"``
                (``response_format={"type": "json_object"}``; say "JSON" in the prompt) or
                ``"json_schema"`` (``response_format`` with the schema; falls back to function
                calling, with a warning, for models the catalog marks as not supporting it).
                With ``api_format="anthropic"`` both JSON methods warn and use a forced tool
                call (the Messages endpoint takes no ``response_format``).
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising on
                a parsing error.
            strict: Ask the server to enforce the schema exactly.
            **kwargs: Not supported; raises ``ValueError``.
        """
        if kwargs:
            msg = f"Received unsupported arguments {kwargs}"
            raise ValueError(msg)
        from ._structured import structured_output  # output parsers load only when needed

        return structured_output(
            self,
            schema,
            method=method,
            include_raw=include_raw,
            strict=strict,
            json_schema_supported=get_model_info(self.model).json_schema,
            response_format_supported=self.api_format != "anthropic",
        )

    # ------------------------------------------------------------------ tokens

    def get_num_tokens_from_messages(
        self, messages: list[BaseMessage], tools: Sequence[Any] | None = None
    ) -> int:
        """Count input tokens with the API's count-tokens endpoint.

        Falls back to LangChain's local estimate (``count_tokens_approximately``) when the
        endpoint cannot count these messages: content it cannot take (a PDF block), no API
        key, a deployment without the route (404, 405, 501), other server errors or rate
        limits left after retries, connection failures, timeouts, an unreadable answer.

        Raises:
            AuthenticationError: The key was refused (401); also ``ModelAuthenticationError``.
            InsufficientCreditsError: No credits left (402); also
                ``ModelPermissionDeniedError``.
            PermissionDeniedError: The key may not do this (403); also
                ``ModelPermissionDeniedError``. An estimate would hide these three.
        """
        # The estimate takes tools as dicts or BaseTools only: a pydantic class or a function
        # would raise AttributeError there, so both paths get the formatted ones.
        formatted = format_tools(tools) if tools else None
        try:
            request: ChatRequest = {"model": self.model, "messages": convert_messages(messages)}
            if formatted:
                request["tools"] = formatted
            return self._client().count_tokens(request)
        except ACCOUNT_ERRORS as exc:
            raise translate(exc) from exc.__cause__
        except ModelsLabError as exc:
            logger.debug("count_tokens unavailable (%s); estimating locally.", type(exc).__name__)
        estimated: list[Any] | None = list(formatted) if formatted else None
        return count_tokens_approximately(messages, tools=estimated)

    def get_num_tokens(self, text: str) -> int:
        """Count the tokens of ``text`` sent as one user message."""
        return self.get_num_tokens_from_messages([HumanMessage(content=text)])
