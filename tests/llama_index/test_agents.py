"""Agents end to end on the local server: FunctionAgent, ReActAgent, AgentWorkflow."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from llama_index.core.agent.workflow import (
    AgentOutput,
    AgentStream,
    AgentWorkflow,
    FunctionAgent,
    ReActAgent,
    ToolCall,
    ToolCallResult,
)
from pydantic import BaseModel

# The workflow library inspects agent objects (pydantic models) and so trips pydantic's and its
# own deprecation warnings on every step; they are not about this package.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def add(a: int, b: int) -> int:
    """Add two integers a and b."""
    return a + b


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 22 degrees in {city}"


async def run(agent: Any, question: str) -> tuple[Any, list[Any]]:
    handler = agent.run(user_msg=question)
    events = [event async for event in handler.stream_events()]
    return await handler, events


def names(events: list[Any]) -> Counter[str]:
    return Counter(type(e).__name__ for e in events)


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
@pytest.mark.parametrize("streaming", [True, False], ids=["streaming", "plain"])
async def test_function_agent_calls_tool_then_answers(
    make_llm: Any, streaming: bool, api_format: str
) -> None:
    llm = make_llm(api_format=api_format)
    agent = FunctionAgent(tools=[add, get_weather], llm=llm, streaming=streaming)
    result, events = await run(agent, "What is the weather in Paris?")
    calls = [e for e in events if isinstance(e, ToolCall)]
    results = [e for e in events if isinstance(e, ToolCallResult)]
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("get_weather", {"city": "Paris"})]
    assert results[0].tool_output.content == "Sunny and 22 degrees in Paris"
    assert "Sunny and 22 degrees in Paris" in str(result)
    outputs = [e for e in events if isinstance(e, AgentOutput)]
    assert outputs[0].tool_calls[0].tool_name == "get_weather"
    assert outputs[-1].response.content == str(result)
    assert outputs[0].raw["usage"]
    streams = [e for e in events if isinstance(e, AgentStream)]
    if streaming:
        # The last streamed response is the answer; reasoning surfaces as thinking deltas.
        assert streams[-1].response == str(result)
        assert any(s.thinking_delta for s in streams)
        assert any(s.tool_calls for s in streams)
    else:
        assert not streams


async def test_function_agent_parallel_tools(llm: Any) -> None:
    agent = FunctionAgent(tools=[get_weather], llm=llm, allow_parallel_tool_calls=True)
    result, events = await run(agent, "Get the weather in Paris and in Tokyo")
    calls = sorted(e.tool_kwargs["city"] for e in events if isinstance(e, ToolCall))
    assert calls == ["Paris", "Tokyo"]
    assert "Paris" in str(result)
    assert "Tokyo" in str(result)


async def test_function_agent_keeps_memory_across_runs(llm: Any) -> None:
    from llama_index.core.workflow import Context

    agent = FunctionAgent(tools=[add], llm=llm)
    ctx = Context(agent)
    first = await agent.run(user_msg="What is 2 plus 3?", ctx=ctx)
    assert "5" in str(first)
    memory = await ctx.store.get("memory")
    history = await memory.aget_all()
    roles = [m.role.value for m in history]
    assert roles == ["user", "assistant", "tool", "assistant"]


async def test_function_agent_structured_output(llm: Any) -> None:
    class Weather(BaseModel):
        """The weather in a city."""

        city: str
        report: str

    agent = FunctionAgent(tools=[get_weather], llm=llm, output_cls=Weather)
    result = await agent.run(user_msg="What is the weather in Paris?")
    weather = result.get_pydantic_model(Weather)
    assert isinstance(weather, Weather)
    assert weather.city


@pytest.mark.parametrize("streaming", [True, False], ids=["streaming", "plain"])
async def test_react_agent(make_llm: Any, streaming: bool) -> None:
    llm = make_llm(is_function_calling_model=False)
    agent = ReActAgent(tools=[add], llm=llm, streaming=streaming)
    result, events = await run(agent, "What is 2 plus 3?")
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("add", {"a": 2, "b": 3})]
    assert "5" in str(result)
    assert (names(events)["AgentStream"] > 0) is streaming


async def test_agent_workflow_picks_function_agent_and_runs(llm: Any) -> None:
    workflow = AgentWorkflow.from_tools_or_functions([add, get_weather], llm=llm)
    agent = workflow.agents[workflow.root_agent]
    assert isinstance(agent, FunctionAgent)
    result, events = await run(workflow, "What is the weather in Tokyo?")
    assert "Tokyo" in str(result)
    assert names(events)["ToolCallResult"] == 1


async def test_agent_workflow_falls_back_to_react(make_llm: Any) -> None:
    llm = make_llm(is_function_calling_model=False)
    workflow = AgentWorkflow.from_tools_or_functions([add], llm=llm)
    assert isinstance(workflow.agents[workflow.root_agent], ReActAgent)
    result, _ = await run(workflow, "What is 2 plus 3?")
    assert "5" in str(result)


async def test_agent_workflow_hands_off_to_the_agent_that_fits(llm: Any) -> None:
    """The rule-based engine hands off when another agent's description fits the request."""
    saved: list[str] = []

    def save_report(title: str, body: str) -> str:
        """Save a written report with a title and body."""
        saved.append(title)
        return "saved"

    research = FunctionAgent(
        name="ResearchAgent",
        description="Looks up facts such as the weather.",
        tools=[get_weather],
        llm=llm,
        can_handoff_to=["WriteAgent"],
    )
    write = FunctionAgent(
        name="WriteAgent", description="Writes and saves reports.", tools=[save_report], llm=llm
    )
    workflow = AgentWorkflow(agents=[research, write], root_agent="ResearchAgent")
    result, events = await run(workflow, "Write and save a report titled Weather.")
    calls = [e.tool_name for e in events if isinstance(e, ToolCallResult)]
    assert calls == ["handoff", "save_report"]
    assert saved == ["Weather"]  # the writer did the work, after the hand-off
    assert "saved" in str(result)
    assert "handling the request" not in str(result)  # the hand-off is not the answer
