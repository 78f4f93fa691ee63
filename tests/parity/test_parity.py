"""The same conversation through both adapters: the same request, equivalent answers.

Each case is written once per framework, the way a user of that framework would write it;
both go to one ``httpx.MockTransport`` server that records the body it receives and answers
like Chat Completions (or Messages). Tool schemas are compared by name only: each framework
renders a tool's description and parameters its own way. LlamaIndex's ``chat_with_tools``
forbids parallel calls unless told otherwise, so the LangChain side says the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.tools import FunctionTool

import modelslab_transport as mt
from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM

from .parity_data import MODEL, SCHEMA, URL

TEXT_ONLY = "Qwen-Qwen2.5-7B"  # the catalog marks it text-only


@tool
def get_weather(city: str) -> str:
    """Weather of a city."""
    return "sunny"


def _get_weather(city: str) -> str:
    """Weather of a city."""
    return "sunny"


LI_WEATHER = FunctionTool.from_defaults(fn=_get_weather, name="get_weather")


class Server:
    """Records request bodies; answers with n choices, logprobs and a tool call as asked."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if request.url.path.endswith("/v1/messages"):
            return httpx.Response(200, json=self._message(body))
        return httpx.Response(200, json=self._completion(body))

    @staticmethod
    def _completion(body: dict[str, Any]) -> dict[str, Any]:
        choices = []
        for i in range(body.get("n", 1)):
            message: dict[str, Any] = {"role": "assistant", "content": f"answer {i}"}
            choice: dict[str, Any] = {"index": i, "message": message, "finish_reason": "stop"}
            if body.get("tool_choice") not in (None, "auto", "none"):
                message["content"] = None
                message["tool_calls"] = [
                    {
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ]
                choice["finish_reason"] = "tool_calls"
            if body.get("logprobs"):
                entry = {"token": "answer", "logprob": -0.25, "bytes": [97], "top_logprobs": []}
                choice["logprobs"] = {"content": [entry]}
            message["reasoning_content"] = "thought"
            choices.append(choice)
        usage = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
        return {"id": "r1", "model": body["model"], "choices": choices, "usage": usage}

    @staticmethod
    def _message(body: dict[str, Any]) -> dict[str, Any]:
        content: list[dict[str, Any]] = [{"type": "thinking", "thinking": "thought"}]
        if body.get("tool_choice", {}).get("type") in ("any", "tool"):
            content.append(
                {
                    "type": "tool_use",
                    "id": "call_0",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                }
            )
            stop = "tool_use"
        else:
            content.append({"type": "text", "text": "answer 0"})
            stop = "end_turn"
        usage = {"input_tokens": 7, "output_tokens": 3}
        return {
            "id": "r1",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop,
            "usage": usage,
        }


@dataclass
class Case:
    """One conversation, as each framework's user writes it."""

    name: str
    langchain: Callable[[ChatModelsLab], Any]
    llama_index: Callable[[ModelsLabLLM], Any]


# ------------------------------------------------------------------ the conversations

LC_IMAGE: list[BaseMessage] = [
    SystemMessage("Be brief."),
    HumanMessage([{"type": "text", "text": "What is this?"}, {"type": "image", "url": URL}]),
]
LI_IMAGE = [
    ChatMessage(role="system", content="Be brief."),
    ChatMessage(role="user", blocks=[TextBlock(text="What is this?"), ImageBlock(url=URL)]),
]

LC_TOOL_LOOP: list[BaseMessage] = [
    HumanMessage("Weather in Paris? Show me."),
    AIMessage(
        "",
        additional_kwargs={"reasoning_content": "I should look."},
        tool_calls=[{"id": "c1", "name": "get_weather", "args": {"city": "Paris"}}],
    ),
    ToolMessage(
        [{"type": "text", "text": "sunny"}, {"type": "image", "url": URL}], tool_call_id="c1"
    ),
]
LI_TOOL_LOOP = [
    ChatMessage(role="user", content="Weather in Paris? Show me."),
    ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="I should look."),
            ToolCallBlock(
                tool_call_id="c1", tool_name="get_weather", tool_kwargs={"city": "Paris"}
            ),
        ],
    ),
    ChatMessage(
        role="tool",
        blocks=[TextBlock(text="sunny"), ImageBlock(url=URL)],
        additional_kwargs={"tool_call_id": "c1"},
    ),
]

CASES = [
    Case("text and image", lambda m: m.invoke(LC_IMAGE), lambda m: m.chat(LI_IMAGE)),
    Case(
        "forced lone tool",
        lambda m: m.bind_tools([get_weather], tool_choice="any", parallel_tool_calls=False).invoke(
            "Weather in Paris?"
        ),
        lambda m: m.chat_with_tools([LI_WEATHER], "Weather in Paris?", tool_required=True),
    ),
    Case(
        "tool result with an image, reasoning replayed",
        lambda m: m.bind_tools([get_weather], parallel_tool_calls=False).invoke(LC_TOOL_LOOP),
        lambda m: m.chat_with_tools([LI_WEATHER], chat_history=LI_TOOL_LOOP),
    ),
    Case(
        "json schema",
        lambda m: m.invoke("Give a.", response_format=SCHEMA),
        lambda m: m.chat([ChatMessage(role="user", content="Give a.")], response_format=SCHEMA),
    ),
    Case(
        "several choices",
        lambda m: m.generate([[HumanMessage("Hi")]], n=2).generations[0],
        lambda m: m.chat([ChatMessage(role="user", content="Hi")], n=2),
    ),
    Case(
        "logprobs",
        lambda m: m.invoke("Hi", logprobs=True, top_logprobs=2),
        lambda m: m.chat([ChatMessage(role="user", content="Hi")], logprobs=True, top_logprobs=2),
    ),
]


# --------------------------------------------------------------- normalized results


def lc_answers(result: Any) -> list[dict[str, Any]]:
    """Each choice of a LangChain answer, in one comparable shape."""
    messages = [g.message for g in result] if isinstance(result, list) else [result]
    out = []
    for message in messages:
        logprobs = message.response_metadata.get("logprobs")
        out.append(
            {
                "text": message.text,
                "reasoning": message.additional_kwargs.get("reasoning_content"),
                "calls": [(c["id"], c["name"], c["args"]) for c in message.tool_calls],
                "logprobs": [e["token"] for e in logprobs["content"]] if logprobs else None,
            }
        )
    out[0]["tokens"] = messages[0].usage_metadata and messages[0].usage_metadata["total_tokens"]
    return out


def li_answers(response: ChatResponse) -> list[dict[str, Any]]:
    """Each choice of a LlamaIndex answer, in the same shape."""
    messages = response.additional_kwargs.get("choices") or [response.message]
    out = []
    for message in messages:
        calls = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
        thinking = [b.content for b in message.blocks if isinstance(b, ThinkingBlock)]
        out.append(
            {
                "text": message.content or "",
                "reasoning": thinking[0] if thinking else None,
                "calls": [(c.tool_call_id, c.tool_name, c.tool_kwargs) for c in calls],
                "logprobs": [alts[0].token for alts in response.logprobs]
                if response.logprobs
                else None,
            }
        )
    out[0]["tokens"] = response.additional_kwargs.get("total_tokens")
    return out


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """The body with tool schemas reduced to their names (each framework renders its own)."""
    body = dict(body)
    if "tools" in body:
        body["tools"] = [t.get("function", t).get("name") for t in body["tools"]]
    return body


# ------------------------------------------------------------------------- the tests


def models(server: Server, api_format: str) -> tuple[ChatModelsLab, ModelsLabLLM]:
    common: dict[str, Any] = {
        "model": MODEL,
        "api_key": "parity-key",
        "base_url": "https://parity.test/api/v7/llm",
        "api_format": api_format,
        "max_retries": 0,
    }
    lc = ChatModelsLab(**common, http_client=httpx.Client(transport=httpx.MockTransport(server)))
    li = ModelsLabLLM(**common, http_client=httpx.Client(transport=httpx.MockTransport(server)))
    return lc, li


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_request_and_equivalent_answer(case: Case, api_format: str) -> None:
    if api_format == "anthropic" and case.name in ("json schema", "several choices", "logprobs"):
        pytest.skip("the Messages endpoint takes no response_format, n or logprobs")
    server = Server()
    lc, li = models(server, api_format)
    lc_result = case.langchain(lc)
    li_result = case.llama_index(li)
    lc_body, li_body = server.bodies
    assert comparable(lc_body) == comparable(li_body)
    assert lc_answers(lc_result) == li_answers(li_result)


def test_the_cases_carry_what_they_are_named_for() -> None:
    """Guards the table: each case's request holds the feature it is there to compare."""
    server = Server()
    lc, _ = models(server, "openai")
    for case in CASES:
        case.langchain(lc)
    image, lone, loop, schema, several, logprobs = server.bodies
    assert image["messages"][1]["content"][1]["image_url"]["url"] == URL
    assert lone["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert loop["messages"][1]["reasoning_content"] == "I should look."
    assert loop["messages"][2] == {"role": "tool", "tool_call_id": "c1", "content": "sunny"}
    assert loop["messages"][3]["content"][1]["image_url"]["url"] == URL  # the tool's image
    assert schema["response_format"] == SCHEMA
    assert several["n"] == 2
    assert (logprobs["logprobs"], logprobs["top_logprobs"]) == (True, 2)


def test_an_image_for_a_text_only_model_is_refused_alike_before_any_io() -> None:
    assert mt.get_model_info(TEXT_ONLY).vision is False
    server = Server()
    lc, li = models(server, "openai")
    with pytest.raises(mt.UnsupportedContentError, match="does not accept image input") as lc_error:
        lc.invoke(LC_IMAGE, model=TEXT_ONLY)
    li.model = TEXT_ONLY
    with pytest.raises(mt.UnsupportedContentError, match="does not accept image input") as li_error:
        li.chat(LI_IMAGE)
    assert str(lc_error.value) == str(li_error.value)
    assert server.bodies == []
