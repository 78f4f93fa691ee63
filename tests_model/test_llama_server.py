"""Both adapters, in both formats, against llama.cpp's own C++ ``llama-server``.

An independently written server: nothing of ours sits between the clients and it. Every test
runs once per format (``[openai]``: ``/chat/completions``, ``[anthropic]``: ``/v1/messages``
and ``/v1/messages/count_tokens``) and asserts shape and protocol, never wording.
SmolLM2-135M never emits a tool call, so the tool tests prove what reaches the server (the
tool definitions, counted in the prompt) and pin the answer the model gives instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_transport import AuthenticationError

from .model_helpers import QUESTION, Cat, joined, weather_tool

if TYPE_CHECKING:
    from conftest import CppServer  # tests_model/conftest.py, for annotations only

# The transport normalizes the Messages stop_reason ("max_tokens") to OpenAI's "length".
FINISH = {"openai": "length", "anthropic": "length"}


@pytest.fixture(params=["openai", "anthropic"])
def api_format(request: pytest.FixtureRequest) -> str:
    """The format under test; its name is in every test id."""
    return str(request.param)


@pytest.fixture
def settings(cpp_settings: dict[str, Any]) -> dict[str, Any]:
    return cpp_settings


@pytest.fixture
def lc(settings: dict[str, Any]) -> Iterator[Callable[..., ChatModelsLab]]:
    """Build ``ChatModelsLab`` models on llama-server in the format under test."""
    made: list[ChatModelsLab] = []

    def factory(**overrides: Any) -> ChatModelsLab:
        made.append(ChatModelsLab(**{**settings, **overrides}))
        return made[-1]

    yield factory
    for model in made:
        model.close()


@pytest.fixture
def li(settings: dict[str, Any]) -> Iterator[ModelsLabLLM]:
    """A ``ModelsLabLLM`` on llama-server in the format under test."""
    llm = ModelsLabLLM(**settings, context_window=4096)
    yield llm
    llm.close()


def _check_answer(message: AIMessage, api_format: str) -> None:
    assert isinstance(message.content, str)
    assert message.content.strip()
    usage = message.usage_metadata
    assert usage is not None
    assert usage["input_tokens"] > 0
    assert usage["output_tokens"] > 0
    assert message.response_metadata["finish_reason"] in {"stop", FINISH[api_format]}


# ------------------------------------------------------------------------------ LangChain


def test_lc_invoke(lc: Callable[..., ChatModelsLab], api_format: str) -> None:
    _check_answer(lc().invoke(QUESTION), api_format)


async def test_lc_ainvoke(lc: Callable[..., ChatModelsLab], api_format: str) -> None:
    _check_answer(await lc().ainvoke(QUESTION), api_format)


def test_lc_stream_with_usage(lc: Callable[..., ChatModelsLab], api_format: str) -> None:
    merged = joined(list(lc().stream(QUESTION)), minimum=2)
    # Both formats report usage in the stream (OpenAI: a usage chunk; Messages: message_delta).
    _check_answer(AIMessage(**merged.model_dump(exclude={"type"})), api_format)


async def test_lc_astream_with_usage(lc: Callable[..., ChatModelsLab], api_format: str) -> None:
    merged = joined([chunk async for chunk in lc().astream(QUESTION)], minimum=2)
    _check_answer(AIMessage(**merged.model_dump(exclude={"type"})), api_format)


def test_lc_max_tokens_stops_the_answer(lc: Callable[..., ChatModelsLab], api_format: str) -> None:
    answer = lc(max_tokens=3).invoke("Write a long story about a dragon.")
    assert answer.usage_metadata is not None
    assert answer.usage_metadata["output_tokens"] == 3
    assert answer.response_metadata["finish_reason"] == FINISH[api_format]


def test_lc_system_and_history_reach_the_prompt(
    lc: Callable[..., ChatModelsLab], api_format: str
) -> None:
    model = lc(max_tokens=4)
    history = [
        HumanMessage("Name a river in France."),
        AIMessage("The Loire."),
        HumanMessage("And one in Spain?"),
    ]
    # Long enough to outweigh the default system prompt the template adds when none is sent.
    system = SystemMessage("You are a terse geography tutor who answers in one word. " * 6)
    without = model.invoke(history).usage_metadata
    with_system = model.invoke([system, *history]).usage_metadata
    first_turn = model.invoke(history[:1]).usage_metadata
    assert without is not None
    assert with_system is not None
    assert first_turn is not None
    # The Messages route moves the system message to `system`; it must reach the prompt.
    assert with_system["input_tokens"] > without["input_tokens"] + 30
    assert without["input_tokens"] > first_turn["input_tokens"] + 8


def _server_count(server: CppServer, body: dict[str, Any]) -> int:
    answer = httpx.post(
        f"{server.root}/v1/messages/count_tokens",
        json={"model": server.model, **body},
        headers={"x-api-key": server.api_key},
        timeout=30,
    )
    answer.raise_for_status()
    return int(answer.json()["input_tokens"])


def test_lc_count_tokens_comes_from_the_server(
    lc: Callable[..., ChatModelsLab], cpp_server: CppServer, api_format: str
) -> None:
    """Counted by ``/v1/messages/count_tokens`` in either format, tools included."""
    messages = [HumanMessage(QUESTION)]
    plain = lc().get_num_tokens_from_messages(messages)
    assert plain == _server_count(cpp_server, {"messages": [{"role": "user", "content": QUESTION}]})
    with_tools = lc().get_num_tokens_from_messages(messages, tools=[weather_tool])
    assert with_tools > plain + 10


def test_lc_tools_reach_the_server(lc: Callable[..., ChatModelsLab], api_format: str) -> None:
    """The tool definitions are in the prompt; the 135M model answers in text (server/model)."""
    model = lc(max_tokens=8)
    plain = model.invoke(QUESTION)
    answer = model.bind_tools([weather_tool], tool_choice="get_weather").invoke(QUESTION)
    assert plain.usage_metadata is not None
    assert answer.usage_metadata is not None
    assert answer.usage_metadata["input_tokens"] > plain.usage_metadata["input_tokens"] + 20
    assert isinstance(answer, AIMessage)
    assert answer.tool_calls == []


def test_lc_structured_output(lc: Callable[..., ChatModelsLab], api_format: str) -> None:
    prompt = "Tom is a cat. He is 3 years old. Reply with his name and age."
    if api_format == "openai":
        cat = lc(max_tokens=40).with_structured_output(Cat, method="json_schema").invoke(prompt)
        assert isinstance(cat, Cat)
    else:
        # The Messages route structures output with a forced tool; this model never calls one.
        raw = lc(max_tokens=40).with_structured_output(Cat, include_raw=True).invoke(prompt)
        assert isinstance(raw, dict)
        assert raw["parsed"] is None
        assert isinstance(raw["raw"], AIMessage)
        assert raw["raw"].tool_calls == []


def test_lc_wrong_key_is_a_typed_error(lc: Callable[..., ChatModelsLab], api_format: str) -> None:
    with pytest.raises(AuthenticationError):
        lc(api_key="not-the-key").invoke(QUESTION)


# ------------------------------------------------------------------------------ LlamaIndex


def _user(text: str = QUESTION) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, content=text)]


def test_li_chat(li: ModelsLabLLM, api_format: str) -> None:
    answer = li.chat(_user())
    assert (answer.message.content or "").strip()
    assert answer.raw is not None


async def test_li_achat(li: ModelsLabLLM, api_format: str) -> None:
    answer = await li.achat(_user())
    assert (answer.message.content or "").strip()


def test_li_stream_chat(li: ModelsLabLLM, api_format: str) -> None:
    responses = list(li.stream_chat(_user()))
    assert len(responses) > 1
    deltas = "".join(response.delta or "" for response in responses)
    assert deltas.strip()
    assert responses[-1].message.content == deltas  # cumulative content = joined deltas


async def test_li_astream_chat(li: ModelsLabLLM, api_format: str) -> None:
    responses = [response async for response in await li.astream_chat(_user())]
    assert len(responses) > 1
    assert responses[-1].message.content == "".join(r.delta or "" for r in responses)


def test_li_complete(li: ModelsLabLLM, api_format: str) -> None:
    assert li.complete(QUESTION).text.strip()


def test_li_wrong_key_is_a_typed_error(settings: dict[str, Any], api_format: str) -> None:
    llm = ModelsLabLLM(**{**settings, "api_key": "not-the-key"})
    try:
        with pytest.raises(AuthenticationError):
            llm.complete(QUESTION)
    finally:
        llm.close()
