"""create_agent's memory habits on the local server: summarization middleware and a thread.

LangChain's ``SummarizationMiddleware`` replaces old messages with the model's answer to its
own summary prompt; LangGraph's checkpointer examples ask "what is my name?". The local
engine answers both from the conversation, never with a slice of the prompt's markup.
"""

from __future__ import annotations

from collections.abc import Callable

from langchain.agents import create_agent
from langchain.agents.middleware import SummarizationMiddleware
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from langchain_modelslab import ChatModelsLab

LIMIT = {"recursion_limit": 8}


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"It is 18 C and sunny in {city}."


def test_summarization_middleware_keeps_what_the_user_said(
    make_model: Callable[..., ChatModelsLab],
) -> None:
    model = make_model()
    summarize = SummarizationMiddleware(model=model, trigger=("messages", 4), keep=("messages", 2))
    agent = create_agent(model, tools=[get_weather], middleware=[summarize])
    history = [
        ("user", "I live in Oslo & like <b>skiing</b>."),
        ("assistant", "Nice!"),
        ("user", "I also have a dog called Rex."),
        ("assistant", "Lovely."),
        ("user", "What's the weather in Oslo?"),
    ]
    out = agent.invoke({"messages": history}, LIMIT)
    summary = next(
        m.text for m in out["messages"] if isinstance(m, HumanMessage) and "summary" in m.text
    )
    # The sections the prompt asks for, each filled from the conversation, in its order.
    for section in ("## SESSION INTENT", "## SUMMARY", "## ARTIFACTS", "## NEXT STEPS"):
        assert section in summary
    assert "I live in Oslo & like <b>skiing</b>." in summary  # unescaped, as the user wrote it
    assert summary.index("Oslo & like") < summary.index("dog called Rex")
    assert "<message" not in summary
    assert "&lt;" not in summary
    assert out["messages"][-1].text == "According to get_weather: It is 18 C and sunny in Oslo."


def test_a_thread_remembers_the_users_name(make_model: Callable[..., ChatModelsLab]) -> None:
    agent = create_agent(make_model(), tools=[get_weather], checkpointer=InMemorySaver())
    bob = {"configurable": {"thread_id": "bob"}, **LIMIT}
    agent.invoke({"messages": [("user", "Hi, my name is Bob Stone.")]}, bob)
    out = agent.invoke({"messages": [("user", "What is my name?")]}, bob)
    assert out["messages"][-1].text == "Your name is Bob Stone."
    # Another thread never heard it: no name is made up.
    other = {"configurable": {"thread_id": "other"}, **LIMIT}
    out = agent.invoke({"messages": [("user", "Do you remember my name?")]}, other)
    assert out["messages"][-1].text == "You have not told me your name in this conversation."
