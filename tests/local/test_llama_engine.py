"""The real-model engine's routing and fallbacks, without llama.cpp.

The model is replaced by a scripted stand-in with llama-cpp-python's ``create_chat_completion``
signature (passed to the constructor, as the engine allows), so these tests pin who answers
what and how the model's output becomes an answer; ``tests_model`` runs the real model.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from modelslab_local import (
    DeterministicEngine,
    EngineRequest,
    ImageInfo,
    LlamaEngine,
    make_engine,
    start_server,
)
from modelslab_local._llama_engine import plan_request, prompt_messages

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
REACT = "Use tools.\n> Tool Name: add\nAction Input: {}\nObservation: ..."


def request(text: str = "What is the weather in Paris?", **fields: Any) -> EngineRequest:
    messages = [{"role": "user", "content": text}]
    return EngineRequest(model="m", messages=fields.pop("messages", messages), **fields)


class ScriptedModel:
    """Answers ``create_chat_completion`` with the next scripted text; records the calls."""

    def __init__(self, *texts: str, finish: str = "stop") -> None:
        self.texts = list(texts)
        self.finish = finish
        self.calls: list[dict[str, Any]] = []

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        text = self.texts.pop(0)
        return {
            "choices": [{"message": {"content": text}, "finish_reason": self.finish}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7},
        }


FORCED = {"type": "function", "function": {"name": "get_weather"}}
UNKNOWN = {"type": "function", "function": {"name": "nope"}}
REACT_TURNS = [{"role": "system", "content": REACT}, {"role": "user", "content": "hi"}]
JSON_SCHEMA = {"type": "json_schema", "json_schema": {"name": "x", "schema": SCHEMA}}

PLANS = [
    ("plain text", request(), "text", ""),
    ("forced tool", request(tools=[WEATHER], tool_choice=FORCED), "tool", ""),
    ("required, one tool", request(tools=[WEATHER], tool_choice="required"), "tool", ""),
    (
        "required, two tools",
        request(tools=[WEATHER, TIME], tool_choice="required"),
        "auto",
        "tool choice",
    ),
    ("auto", request(tools=[WEATHER]), "auto", "tool choice"),
    ("tools switched off", request(tools=[WEATHER], tool_choice="none"), "text", ""),
    ("unknown forced tool", request(tools=[WEATHER], tool_choice=UNKNOWN), "auto", "tool choice"),
    ("image", request(images=[ImageInfo(0, "base64")]), "rules", "image input"),
    ("ReAct", request(messages=REACT_TURNS), "rules", "ReAct tool protocol"),
    ("json_schema", request(response_format=JSON_SCHEMA), "json", ""),
    ("json_object", request(response_format={"type": "json_object"}), "json", ""),
]


@pytest.mark.parametrize(("case", "req", "kind", "reason"), PLANS, ids=[p[0] for p in PLANS])
def test_plan(case: str, req: EngineRequest, kind: str, reason: str) -> None:
    plan = plan_request(req)
    assert (plan.kind, plan.reason) == (kind, reason)


def test_json_plans_carry_the_schema() -> None:
    assert plan_request(request(response_format=JSON_SCHEMA)).schema == SCHEMA
    embedded = f"Answer as JSON following {json.dumps(SCHEMA)}"
    plan = plan_request(request(embedded, response_format={"type": "json_object"}))
    assert plan.schema == SCHEMA


def test_prompt_turns_tool_traffic_into_text() -> None:
    call = {"id": "c1", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    messages = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "Sunny."},
    ]
    req = request(messages=messages)
    turns = prompt_messages(req, plan_request(req))
    assert [t["role"] for t in turns] == ["system", "user", "assistant", "user"]
    assert turns[2]["content"] == 'I called get_weather with {"city": "Paris"}.'
    assert turns[3]["content"] == "The tool returned: Sunny."
    assert all(isinstance(t["content"], str) for t in turns)


def test_text_answer_comes_from_the_model() -> None:
    scripted = ScriptedModel("  Paris.  ")
    engine = LlamaEngine(llama=scripted)
    answer = engine.generate(request("Capital of France?", stop=["END"], temperature=0.5))
    assert (answer.text, answer.finish_reason) == ("Paris.", "stop")
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (11, 7)
    sent = scripted.calls[0]
    assert (sent["stop"], sent["temperature"], "response_format" in sent) == (["END"], 0.5, False)
    assert engine.tally == {("real model", ""): 1}
    assert engine.describe() == "real model (SmolLM2-135M): 1"


def test_length_finish_is_passed_on() -> None:
    engine = LlamaEngine(llama=ScriptedModel("Paris is", finish="length"))
    assert engine.generate(request(max_tokens=2)).finish_reason == "length"


def test_forced_tool_arguments_are_grammar_constrained_by_the_tool_schema() -> None:
    scripted = ScriptedModel('{"city": "Paris"}')
    engine = LlamaEngine(llama=scripted)
    answer = engine.generate(request(tools=[WEATHER], tool_choice=FORCED))
    assert [(c.name, json.loads(c.arguments)) for c in answer.tool_calls] == [
        ("get_weather", {"city": "Paris"})
    ]
    assert answer.finish_reason == "tool_calls"
    fmt = scripted.calls[0]["response_format"]
    assert fmt == {"type": "json_object", "schema": WEATHER["function"]["parameters"]}
    assert "`get_weather`" in scripted.calls[0]["messages"][0]["content"]


@pytest.mark.parametrize("output", ['{"city": "Par', "[1, 2]", "not json"])
def test_unusable_json_falls_back_to_the_rules(output: str) -> None:
    engine = LlamaEngine(llama=ScriptedModel(output))
    req = request(response_format={"type": "json_object"})
    answer = engine.generate(req)
    assert answer == DeterministicEngine().generate(req)
    assert engine.tally == {("deterministic engine", "model output unusable"): 1}


def test_auto_tool_choice_calls_by_rules_then_the_model_answers() -> None:
    scripted = ScriptedModel("It is sunny in Paris.")
    engine = LlamaEngine(llama=scripted)
    first = engine.generate(request(tools=[WEATHER]))
    assert [c.name for c in first.tool_calls] == ["get_weather"]
    assert scripted.calls == []
    arguments = first.tool_calls[0].arguments
    call = {"id": "c1", "function": {"name": "get_weather", "arguments": arguments}}
    messages = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "Sunny, 18 °C."},
    ]
    final = engine.generate(request(messages=messages, tools=[WEATHER]))
    assert final.text == "It is sunny in Paris."
    assert engine.tally == {("deterministic engine", "tool choice"): 1, ("real model", ""): 1}


def test_a_prompt_too_long_for_the_model_falls_back_to_the_rules() -> None:
    class TooLong(ScriptedModel):
        def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
            raise ValueError("Requested tokens (5000) exceed context window of 4096")

    engine = LlamaEngine(llama=TooLong())
    assert engine.generate(request("Hello")).text
    assert engine.tally == {("deterministic engine", "model output unusable"): 1}


def test_make_engine_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELSLAB_LOCAL_ENGINE", raising=False)
    assert isinstance(make_engine("deterministic"), DeterministicEngine)
    with pytest.raises(ValueError, match="unknown engine 'gpt'"):
        make_engine("gpt")
    monkeypatch.setenv("MODELSLAB_LOCAL_ENGINE", "deterministic")
    assert isinstance(make_engine(), DeterministicEngine)


def test_start_server_stays_deterministic_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELSLAB_LOCAL_ENGINE", "llama")  # read by the CLI and make_engine only
    with start_server() as server:
        assert isinstance(server.engine, DeterministicEngine)
