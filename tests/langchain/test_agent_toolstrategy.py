"""``create_agent`` with ``ToolStrategy``: a forced tool choice that must end, not loop."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain.agents import create_agent
from langchain.agents.structured_output import ToolStrategy
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from langchain_modelslab import ChatModelsLab


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is 18 C and sunny in {city}."


class WeatherReport(BaseModel):
    """A weather report for the user."""

    city: str = Field(description="The city the report is about")
    temperature: float = Field(description="Temperature in degrees Celsius")
    conditions: str = Field(description="Sky conditions")


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
def test_tool_strategy_calls_the_tool_then_the_schema_tool_and_ends(
    make_model: Callable[..., ChatModelsLab], api_format: str
) -> None:
    # ToolStrategy binds get_weather plus a WeatherReport tool with tool_choice="required"
    # ("any" in the Anthropic format) on every turn.
    agent = create_agent(
        make_model(api_format=api_format),
        tools=[get_weather],
        response_format=ToolStrategy(WeatherReport),
    )
    result = agent.invoke(
        {"messages": [("user", "What is the weather in Paris?")]}, {"recursion_limit": 10}
    )
    calls = [c for m in result["messages"] if isinstance(m, AIMessage) for c in m.tool_calls]
    assert [c["name"] for c in calls] == ["get_weather", "WeatherReport"]
    assert calls[0]["args"] == {"city": "Paris"}
    outputs = [m.content for m in result["messages"] if isinstance(m, ToolMessage)]
    assert outputs[0] == "It is 18 C and sunny in Paris."
    report = result["structured_response"]
    assert isinstance(report, WeatherReport)
    assert report.city == "Paris"
    assert report.temperature == 18  # only the tool result carries a number
    assert "sunny" in report.conditions
