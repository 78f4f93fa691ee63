"""Smoke tests against the real ModelsLab API; they skip without ``MODELSLAB_API_KEY``.

The model can be chosen with ``MODELSLAB_LIVE_MODEL`` (default: the catalog's default model).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool

from llama_index_modelslab import ModelsLabLLM

pytestmark = [
    pytest.mark.live,
    pytest.mark.timeout(300),
]


def multiply(a: int, b: int) -> int:
    """Multiply two integers a and b."""
    return a * b


@pytest.fixture
async def live_llm() -> AsyncIterator[ModelsLabLLM]:
    kwargs = (
        {"model": os.environ["MODELSLAB_LIVE_MODEL"]}
        if "MODELSLAB_LIVE_MODEL" in os.environ
        else {}
    )
    llm = ModelsLabLLM(max_tokens=300, temperature=0.0, **kwargs)
    yield llm
    llm.close()
    await llm.aclose()


async def test_live_chat_and_stream(live_llm: ModelsLabLLM) -> None:
    messages = [ChatMessage(role="user", content="Reply with the single word: pong")]
    answer = live_llm.chat(messages)
    assert "pong" in (answer.message.content or "").lower()
    assert answer.additional_kwargs.get("prompt_tokens", 0) > 0
    streamed = [r async for r in await live_llm.astream_chat(messages)]
    assert "pong" in (streamed[-1].message.content or "").lower()
    assert "".join(r.delta or "" for r in streamed) == streamed[-1].message.content


async def test_live_tool_call(live_llm: ModelsLabLLM) -> None:
    tool = FunctionTool.from_defaults(fn=multiply)
    response = await live_llm.achat_with_tools([tool], user_msg="What is 6 times 7? Use the tool.")
    [call] = live_llm.get_tool_calls_from_response(response)
    assert call.tool_name == "multiply"
    assert sorted(call.tool_kwargs.values()) == [6, 7]


async def test_live_function_agent(live_llm: ModelsLabLLM) -> None:
    agent = FunctionAgent(tools=[multiply], llm=live_llm)
    result = await agent.run(user_msg="What is 6 times 7? Use the multiply tool.")
    assert "42" in str(result)
