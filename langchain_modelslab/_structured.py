"""``with_structured_output``: schema -> bound model + parser, for the three methods."""

from __future__ import annotations

import warnings
from operator import itemgetter
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputParser,
    PydanticOutputParser,
    PydanticToolsParser,
)
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

__all__ = ["Method", "structured_output"]

Method = Literal["function_calling", "json_mode", "json_schema"]
_METHODS = ("function_calling", "json_mode", "json_schema")


def structured_output(
    model: BaseChatModel,
    schema: dict[str, Any] | type | None,
    *,
    method: str,
    include_raw: bool,
    strict: bool | None,
    json_schema_supported: bool | None,
    response_format_supported: bool = True,
) -> Runnable[LanguageModelInput, Any]:
    """Build the structured-output runnable (see ``ChatModelsLab.with_structured_output``).

    ``json_schema`` falls back to ``function_calling`` with a warning when the catalog says
    the model does not support it (``json_schema_supported is False``); unknown is tried.
    Without ``response_format`` at all (the Anthropic-format endpoint), both JSON methods use
    a forced tool call, the Messages API's own way to structured output, also with a warning.
    """
    method = _resolve_method(
        method,
        schema,
        json_schema_supported=json_schema_supported,
        response_format_supported=response_format_supported,
    )
    ls_format = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
    if method == "function_calling":
        assert schema is not None
        # Chat Completions forbids parallel calls here, as ChatOpenAI does; the Messages body
        # stays as ChatAnthropic sends it (a forced tool, nothing more).
        single = False if response_format_supported else None
        llm, parser = _tool_route(model, schema, strict, single, ls_format)
    else:
        bound: dict[str, Any] = {"response_format": _response_format(schema, method, strict)}
        if schema is not None:
            bound["ls_structured_output_format"] = ls_format
        llm = model.bind(**bound)
        parser = _json_parser(schema)
    if not include_raw:
        return llm | parser
    parsed = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    failed = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parsed.with_fallbacks([failed], exception_key="parsing_error")


def _resolve_method(
    method: str,
    schema: Any,
    *,
    json_schema_supported: bool | None,
    response_format_supported: bool,
) -> str:
    """The method to really use, after the endpoint's and the model's limits."""
    if method not in _METHODS:
        msg = f"Unknown method {method!r}; use one of {', '.join(_METHODS)}."
        raise ValueError(msg)
    if not response_format_supported and method != "function_calling":
        if schema is None:
            msg = f"method={method!r} needs a schema with api_format='anthropic'."
            raise ValueError(msg)
        method = _fall_back(
            method,
            "The Messages endpoint (api_format='anthropic') does not take response_format",
        )
    if method == "json_schema" and json_schema_supported is False:
        method = _fall_back(
            method, "This model does not support response_format json_schema (model catalog)"
        )
    if schema is None and method != "json_mode":
        msg = f"schema is required for method={method!r}."
        raise ValueError(msg)
    return method


def _fall_back(method: str, reason: str) -> str:
    """Warn that ``method`` cannot be used, for ``reason``; return the replacement method."""
    warnings.warn(
        f"{reason}; using method='function_calling' (a forced tool call) instead of "
        f"method={method!r}.",
        UserWarning,
        stacklevel=5,  # the caller of with_structured_output
    )
    return "function_calling"


def _is_pydantic(schema: Any) -> bool:
    return isinstance(schema, type) and is_basemodel_subclass(schema)


def _tool_route(
    model: BaseChatModel,
    schema: dict[str, Any] | type,
    strict: bool | None,
    parallel_tool_calls: bool | None,
    ls: dict[str, Any],
) -> tuple[Runnable[LanguageModelInput, Any], Runnable[Any, Any]]:
    name = convert_to_openai_tool(schema)["function"]["name"]
    llm = model.bind_tools(
        [schema],
        tool_choice=name,
        strict=strict,
        parallel_tool_calls=parallel_tool_calls,
        ls_structured_output_format=ls,
    )
    if _is_pydantic(schema):
        return llm, PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
    return llm, JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)


def _response_format(schema: Any, method: str, strict: bool | None) -> dict[str, Any]:
    if method == "json_mode":
        return {"type": "json_object"}
    json_schema = convert_to_json_schema(schema, strict=strict)
    spec: dict[str, Any] = {"name": json_schema.get("title") or "output", "schema": json_schema}
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def _json_parser(schema: Any) -> Runnable[Any, Any]:
    if _is_pydantic(schema):
        return PydanticOutputParser(pydantic_object=schema)
    return JsonOutputParser()
