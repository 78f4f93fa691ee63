"""POST /chat/completions without streaming: body shape, tools, JSON output, limits."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from local_helpers import (
    MAGIC_TOOL,
    PLAIN_MODEL,
    REASONING_TEXT_MODEL,
    VISION_MODEL,
    WEATHER_TOOL,
    chat_body,
)
from pydantic import BaseModel


def post(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    data: dict[str, Any] = response.json()
    return data


def test_answer_has_the_openai_shape_and_echoes_the_model(client: httpx.Client) -> None:
    data = post(client, chat_body("Hello", model="qwen-qwen-max"))
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert data["model"] == "qwen-qwen-max"
    choice = data["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "Hello! How can I help you today?"}
    assert choice["finish_reason"] == "stop"
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens"] > 0
    assert usage["completion_tokens"] > 0


def test_answers_are_deterministic(client: httpx.Client) -> None:
    first = post(client, chat_body("What is 12 * 7?"))
    second = post(client, chat_body("What is 12 * 7?"))
    assert first["choices"][0]["message"]["content"] == "12 * 7 = 84."
    assert first["choices"] == second["choices"]


def test_reasoning_models_return_reasoning_content(client: httpx.Client) -> None:
    with_reasoning = post(client, chat_body("Hello", model=REASONING_TEXT_MODEL))
    message = with_reasoning["choices"][0]["message"]
    assert message["reasoning_content"].startswith("The user asked")
    details = with_reasoning["usage"]["completion_tokens_details"]
    assert details["reasoning_tokens"] > 0
    plain = post(client, chat_body("Hello", model=PLAIN_MODEL))
    assert "reasoning_content" not in plain["choices"][0]["message"]


def test_model_id_alias_is_accepted(client: httpx.Client) -> None:
    body = chat_body("Hello")
    body["model_id"] = body.pop("model")
    assert post(client, body)["model"] == PLAIN_MODEL


@pytest.mark.parametrize(
    ("tool_choice", "prompt", "expected"),
    [
        ("auto", "What is the value of magic_function(3)? Use the tool.", {"input": 3}),
        ("required", "What is the value of magic_function(3)? Use the tool.", {"input": 3}),
        ("required", "Hello!", {"input": 0}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            "What is the weather in San Francisco, CA?",
            {"location": "San Francisco, CA"},
        ),
    ],
)
def test_tool_calls_take_arguments_from_the_prompt(
    client: httpx.Client, tool_choice: Any, prompt: str, expected: dict[str, Any]
) -> None:
    body = chat_body(prompt, tools=[MAGIC_TOOL, WEATHER_TOOL], tool_choice=tool_choice)
    data = post(client, body)
    choice = data["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function"
    assert call["id"].startswith("call_")
    assert json.loads(call["function"]["arguments"]) == expected


def test_auto_without_a_matching_tool_answers_in_text(client: httpx.Client) -> None:
    data = post(client, chat_body("Hello", tools=[WEATHER_TOOL]))
    assert data["choices"][0]["message"]["content"] == "Hello! How can I help you today?"
    assert "tool_calls" not in data["choices"][0]["message"]


def test_tool_choice_none_never_calls(client: httpx.Client) -> None:
    body = chat_body("What is the weather in Paris?", tools=[WEATHER_TOOL], tool_choice="none")
    assert post(client, body)["choices"][0]["finish_reason"] == "stop"


def test_parallel_calls_and_their_opt_out(client: httpx.Client) -> None:
    prompt = "What's the weather in London and Paris?"
    calls = post(client, chat_body(prompt, tools=[WEATHER_TOOL]))["choices"][0]["message"]
    places = [json.loads(c["function"]["arguments"])["location"] for c in calls["tool_calls"]]
    assert places == ["London", "Paris"]
    single = post(client, chat_body(prompt, tools=[WEATHER_TOOL], parallel_tool_calls=False))
    assert len(single["choices"][0]["message"]["tool_calls"]) == 1


def test_unicode_arguments_are_kept(client: httpx.Client) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "unicode_customer",
            "description": "Create a customer with a Unicode name.",
            "parameters": {
                "type": "object",
                "properties": {
                    "customer_name": {"type": "string"},
                    "description": {"type": "string"},
                },
                "required": ["customer_name", "description"],
            },
        },
    }
    prompt = "Create a customer named '你好啊集团' (Hello Group) - a Chinese technology company"
    data = post(client, chat_body(prompt, tools=[tool], tool_choice="required"))
    arguments = data["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert "你好啊集团" in arguments  # raw, not \\u-escaped
    assert json.loads(arguments)["customer_name"] == "你好啊集团"


def test_after_tool_results_the_answer_uses_them(client: httpx.Client) -> None:
    messages = [
        {"role": "user", "content": "What is the weather in San Francisco, CA?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"location": "SF"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "It's sunny."},
    ]
    body = {"model": PLAIN_MODEL, "messages": messages, "tools": [WEATHER_TOOL]}
    choice = post(client, body)["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert "It's sunny." in choice["message"]["content"]


class Joke(BaseModel):
    setup: str
    punchline: str


def test_json_schema_output_validates(client: httpx.Client) -> None:
    schema = {"name": "Joke", "schema": Joke.model_json_schema()}
    body = chat_body(
        "Tell me a joke about cats.", response_format={"type": "json_schema", "json_schema": schema}
    )
    joke = Joke.model_validate_json(post(client, body)["choices"][0]["message"]["content"])
    assert "cat" in joke.setup


def test_json_object_uses_the_keys_the_prompt_names(client: httpx.Client) -> None:
    prompt = "Tell me a joke. Return a JSON object with 'setup' and 'punchline' keys."
    body = chat_body(prompt, response_format={"type": "json_object"})
    content = post(client, body)["choices"][0]["message"]["content"]
    assert set(json.loads(content)) == {"setup", "punchline"}


def test_stop_sequence_cuts_the_text(client: httpx.Client) -> None:
    choice = post(client, chat_body("hi", stop=["you"]))["choices"][0]
    assert choice["message"]["content"] == "Hello! How can I help "
    assert choice["finish_reason"] == "stop"


def test_max_tokens_truncates_with_finish_reason_length(client: httpx.Client) -> None:
    data = post(client, chat_body("Write a long story about dragons", max_tokens=5))
    choice = data["choices"][0]
    assert choice["finish_reason"] == "length"
    assert data["usage"]["completion_tokens"] == 5
    assert choice["message"]["content"] == "Here is a piece about"


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, 422, "model field is required"),
        ({"model": PLAIN_MODEL}, 422, "messages field is required"),
        (chat_body(model="no-such-model"), 404, "Model not found: no-such-model"),
        (chat_body(temperature=3), 400, "temperature must be between 0 and 2"),
        (chat_body(max_tokens=0), 400, "max_tokens must be at least 1"),
        (chat_body(model=VISION_MODEL, max_tokens=9000), 400, "max_tokens must be at most 8000"),
        (chat_body(stop=["a", "b", "c", "d", "e"]), 400, "at most 4"),
        (chat_body([{"type": "input_audio"}]), 400, "unsupported content part type"),
        (chat_body(tool_choice="sometimes"), 400, "tool_choice must be"),
        (chat_body(response_format={"type": "yaml"}), 400, "response_format.type"),
        ({"model": PLAIN_MODEL, "messages": [{"role": "robot", "content": "x"}]}, 400, "role"),
    ],
)
def test_invalid_requests_get_the_servers_message(
    client: httpx.Client, body: dict[str, Any], status: int, needle: str
) -> None:
    response = client.post("/chat/completions", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert needle in error["message"]
    assert {"message", "type", "code"} <= set(error)


def test_invalid_json_is_a_400(client: httpx.Client) -> None:
    response = client.post(
        "/chat/completions", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Request body is not valid JSON."


def test_context_window_overflow_is_a_400(client: httpx.Client) -> None:
    huge = "word " * 31_000
    response = client.post("/chat/completions", json=chat_body(huge, model=VISION_MODEL))
    assert response.status_code == 400
    assert "maximum context length is 30000" in response.json()["error"]["message"]


def test_unknown_route_and_method_are_json_errors(client: httpx.Client) -> None:
    missing = client.post("/completions", json={})
    assert missing.status_code == 404
    assert "Not found" in missing.json()["error"]["message"]
    wrong_method = client.get("/chat/completions")
    assert wrong_method.status_code == 405
