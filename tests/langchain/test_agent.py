"""LangChain / LangGraph agents end to end on the local server over loopback HTTP."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ModelRetryMiddleware
from langchain.agents.structured_output import ProviderStrategy
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_modelslab import ChatModelsLab

QUESTION = {"messages": [("user", "What is the weather in Paris and the time in Tokyo?")]}
LIMIT = {"recursion_limit": 10}


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is 18 C and sunny in {city}."


@tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"It is 14:05 in {city}."


class Report(BaseModel):
    """The final answer for the user."""

    weather: str
    time: str


def _by_turn(chunks: list[tuple[AIMessageChunk, int]]) -> dict[int, AIMessageChunk]:
    """Aggregate streamed chunks per model turn (per graph step)."""
    grouped: dict[int, list[AIMessageChunk]] = defaultdict(list)
    for c, step in chunks:
        grouped[step].append(c)
    out = {}
    for key, parts in grouped.items():
        total = parts[0]
        for p in parts[1:]:
            total += p
        assert sum(1 for p in parts if p.usage_metadata) == 1, "usage exactly once per turn"
        assert sum(1 for p in parts if p.response_metadata.get("model_name")) == 1
        out[key] = total
    return out


def _check_loop(chunks: list[tuple[AIMessageChunk, int]], final: dict[str, Any]) -> None:
    turns = list(_by_turn(chunks).values())
    assert len(turns) == 2  # tool calls, then the structured answer
    calls = turns[0].tool_calls
    assert [(c["name"], c["args"]) for c in calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {"city": "Tokyo"}),
    ]
    assert len({c["id"] for c in calls}) == 2
    assert len(chunks) > 2 * len(turns)  # really streamed, not one chunk per turn
    tool_results = [m.content for m in final["messages"] if isinstance(m, ToolMessage)]
    assert tool_results == ["It is 18 C and sunny in Paris.", "It is 14:05 in Tokyo."]
    report = final["structured_response"]
    assert isinstance(report, Report)
    assert json.loads(final["messages"][-1].text) == report.model_dump()


def _split(
    parts: list[tuple[str, Any]],
) -> tuple[list[tuple[AIMessageChunk, int]], dict[str, Any]]:
    chunks = [
        (p[1][0], p[1][1]["langgraph_step"])
        for p in parts
        if p[0] == "messages" and isinstance(p[1][0], AIMessageChunk)
    ]
    values = [p[1] for p in parts if p[0] == "values"]
    return chunks, values[-1]


def test_create_agent_streams_a_tool_loop(make_model: Callable[..., ChatModelsLab]) -> None:
    agent = create_agent(
        model=make_model(), tools=[get_weather, get_time], response_format=ProviderStrategy(Report)
    )
    parts = list(agent.stream(QUESTION, LIMIT, stream_mode=["messages", "values"]))
    _check_loop(*_split(parts))


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="LangGraph's async stream_mode='messages' needs Python 3.11's asyncio context "
    "propagation to see a model called inside a node (a LangGraph limitation on 3.10; the "
    "sync test above covers the same loop)",
)
async def test_create_agent_streams_a_tool_loop_async(
    make_model: Callable[..., ChatModelsLab],
) -> None:
    agent = create_agent(
        model=make_model(), tools=[get_weather, get_time], response_format=ProviderStrategy(Report)
    )
    parts = [p async for p in agent.astream(QUESTION, LIMIT, stream_mode=["messages", "values"])]
    _check_loop(*_split(parts))


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
def test_create_agent_invoke(make_model: Callable[..., ChatModelsLab], api_format: str) -> None:
    agent = create_agent(model=make_model(api_format=api_format), tools=[get_weather, get_time])
    result = agent.invoke(QUESTION, LIMIT)
    names = [c["name"] for m in result["messages"] for c in getattr(m, "tool_calls", [])]
    assert names == ["get_weather", "get_time"]
    answer = result["messages"][-1]
    assert isinstance(answer, AIMessage)
    assert "sunny" in answer.text
    assert answer.usage_metadata is not None


@pytest.mark.parametrize(
    ("model_id", "route"),
    [("baidu-ernie-4.5-vl-28b-a3b", "tool"), ("openai-o3-mini-high", "provider")],
)
def test_profile_picks_the_structured_output_route(
    make_model: Callable[..., ChatModelsLab], model_id: str, route: str
) -> None:
    """ERNIE's catalog does not confirm json_schema, so the agent uses a forced tool call."""
    agent = create_agent(model=make_model(model=model_id), tools=[], response_format=Report)
    result = agent.invoke({"messages": [("user", "Weather: sunny. Time: noon. Report it.")]})
    assert isinstance(result["structured_response"], Report)
    last_ai = [m for m in result["messages"] if isinstance(m, AIMessage)][-1]
    if route == "tool":
        assert [c["name"] for c in last_ai.tool_calls] == ["Report"]
    else:
        assert not last_ai.tool_calls
        assert Report.model_validate_json(last_ai.text) == result["structured_response"]


def test_response_format_on_the_messages_route_uses_a_tool(
    make_model: Callable[..., ChatModelsLab],
) -> None:
    """The catalog confirms json_schema for o3-mini, but /v1/messages takes no response_format.

    So the profile must steer create_agent to the tool strategy, and the agent must finish.
    """
    model = make_model(model="openai-o3-mini-high", api_format="anthropic")
    assert model.profile is not None
    assert model.profile["structured_output"] is False
    agent = create_agent(model=model, tools=[get_weather, get_time], response_format=Report)
    result = agent.invoke(QUESTION, LIMIT)
    ai = [m for m in result["messages"] if isinstance(m, AIMessage)]
    assert [c["name"] for m in ai for c in m.tool_calls] == ["get_weather", "get_time", "Report"]
    assert isinstance(result["structured_response"], Report)
    assert "sunny" in result["structured_response"].weather


def test_retry_middleware_retries_a_rate_limit(
    make_model: Callable[..., ChatModelsLab], server: Any
) -> None:
    # The transport does not retry (max_retries=0); LangChain's middleware sees a
    # ModelRateLimitError (retryable) and calls again.
    model = make_model(base_url=server.fault_base_url("429*1@lc-agent-retry"))
    agent = create_agent(
        model=model,
        tools=[get_weather],
        middleware=[ModelRetryMiddleware(max_retries=2, initial_delay=0, jitter=False)],
    )
    result = agent.invoke({"messages": [("user", "What is the weather in Oslo?")]}, LIMIT)
    assert "sunny" in result["messages"][-1].text


def test_langgraph_prebuilt_agent(make_model: Callable[..., ChatModelsLab]) -> None:
    from langgraph.prebuilt import create_react_agent
    from langgraph.warnings import LangGraphDeprecationWarning

    with pytest.warns(LangGraphDeprecationWarning):
        agent = create_react_agent(make_model(), [get_weather, get_time], response_format=Report)
    parts = list(agent.stream(QUESTION, LIMIT, stream_mode=["messages", "values"]))
    chunks, final = _split(parts)
    turns = list(_by_turn(chunks).values())
    assert [c["name"] for c in turns[0].tool_calls] == ["get_weather", "get_time"]
    assert "sunny" in final["messages"][-1].text
    assert isinstance(final["structured_response"], Report)
