"""Selectable structured output: tool calling, JSON mode, or prompt-and-parse.

Core chooses the structured-output program from ``pydantic_program_mode`` (tool calling for a
function-calling model, else prompt-and-parse). ``structured_output_method`` maps onto it, and
JSON mode additionally sends ``response_format={"type": "json_object"}`` with the request the
prompt-and-parse program makes, so the model must answer with JSON that the parser reads.
The Messages (Anthropic-format) endpoint has no JSON mode: there JSON mode is prompt-and-parse.

Core reads ``pydantic_program_mode`` on every structured call, so the mapping is applied at
construction and again whenever ``structured_output_method`` is assigned.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any, Literal, get_args

from llama_index.core.bridge.pydantic import Field, model_validator
from llama_index.core.llms.llm import LLM
from llama_index.core.types import Model, PydanticProgramMode

from modelslab_transport import ConfigurationError

if TYPE_CHECKING:
    from llama_index.core.program.utils import FlexibleModel
    from llama_index.core.prompts import PromptTemplate

StructuredOutputMethod = Literal["function", "json_mode", "text"]

_METHODS: tuple[str, ...] = get_args(StructuredOutputMethod)
_JSON_OBJECT = {"type": "json_object"}


def _program_mode(method: str) -> PydanticProgramMode:
    """The program core runs for ``method``: tool calling, or prompt-and-parse (JSON, text)."""
    return PydanticProgramMode.DEFAULT if method == "function" else PydanticProgramMode.LLM


class StructuredOutputLLM(LLM):
    """The part of ``ModelsLabLLM`` that selects how structured output is obtained."""

    structured_output_method: StructuredOutputMethod = Field(
        default="function",
        description="function (tool calling), json_mode (response_format) or text (parse).",
    )

    @model_validator(mode="after")
    def _apply_structured_output_method(self) -> StructuredOutputLLM:
        # An explicitly chosen pydantic_program_mode wins over structured_output_method.
        if self.pydantic_program_mode == PydanticProgramMode.DEFAULT:
            self.pydantic_program_mode = _program_mode(self.structured_output_method)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "structured_output_method":
            super().__setattr__(name, value)
            return
        # Models do not validate assignments, so an unknown method would pass silently. The
        # value's type only: a string in the wrong setting may be the key.
        if value not in _METHODS:
            raise ConfigurationError(
                f"structured_output_method must be one of {', '.join(_METHODS)}; "
                f"got a {type(value).__name__}."
            )
        implied = _program_mode(self.structured_output_method)
        super().__setattr__(name, value)
        # A mode other than the one the old method implied was chosen explicitly: keep it.
        if self.pydantic_program_mode == implied:
            super().__setattr__("pydantic_program_mode", _program_mode(value))

    def _json_mode_available(self) -> bool:
        """Whether requests can carry ``response_format`` (not on the Messages endpoint)."""
        return True

    def _structured_llm_kwargs(self, llm_kwargs: dict[str, Any] | None) -> dict[str, Any]:
        kwargs = dict(llm_kwargs or {})
        if (
            self.structured_output_method == "json_mode"
            and self.pydantic_program_mode == PydanticProgramMode.LLM
            and self._json_mode_available()
        ):
            kwargs.setdefault("response_format", dict(_JSON_OBJECT))
        return kwargs

    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Predict an instance of ``output_cls`` with the selected structured-output method."""
        kwargs = self._structured_llm_kwargs(llm_kwargs)
        result: Model = super().structured_predict(output_cls, prompt, kwargs, **prompt_args)
        return result

    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Async :meth:`structured_predict`."""
        kwargs = self._structured_llm_kwargs(llm_kwargs)
        result: Model = await super().astructured_predict(output_cls, prompt, kwargs, **prompt_args)
        return result

    def stream_structured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Model | FlexibleModel, None, None]:
        """Stream partial instances of ``output_cls``; the last one is complete."""
        kwargs = self._structured_llm_kwargs(llm_kwargs)
        return super().stream_structured_predict(output_cls, prompt, kwargs, **prompt_args)

    async def astream_structured_predict(
        self,
        output_cls: type[Model],
        prompt: PromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Model | FlexibleModel, None]:
        """Async :meth:`stream_structured_predict`: await it to get an async generator."""
        kwargs = self._structured_llm_kwargs(llm_kwargs)
        return await super().astream_structured_predict(output_cls, prompt, kwargs, **prompt_args)
