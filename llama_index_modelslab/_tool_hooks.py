"""The tool-calling hooks of ``FunctionCallingLLM``, as ``ModelsLabLLM`` answers them.

Core's ``chat_with_tools`` / ``predict_and_call`` and the agents call these; the work is done
by the pure functions in ``_tools``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection

from ._tools import force_single_tool_call, prepare_chat_with_tools, tool_selections

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = ["ToolCallingLLM"]


class ToolCallingLLM(FunctionCallingLLM):
    """The part of ``ModelsLabLLM`` that prepares tool-calling turns and reads their calls."""

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Build ``chat`` arguments for a tool-calling turn (core's hook)."""
        prepared = prepare_chat_with_tools(
            tools,
            user_msg,
            chat_history,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            tool_choice=tool_choice,
            strict=strict,
        )
        return {**kwargs, **prepared}

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep a single tool call unless parallel calls were allowed."""
        if not allow_parallel_tool_calls:
            force_single_tool_call(response)
        return response

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """Return the tool calls of a response; partial streamed JSON is parsed leniently.

        Raises:
            NoToolCallError: There is no tool call and ``error_on_no_tool_call`` is set (also
                a ``ValueError``, as LlamaIndex documents).
        """
        return tool_selections(response, error_on_no_tool_call)
