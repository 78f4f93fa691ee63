"""ChatModelsLab's own behaviour: request parameters, streaming, core features wired."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.rate_limiters import BaseRateLimiter
from lc_helpers import USAGE, Scripted, chunk, completion_body

import langchain_modelslab
from langchain_modelslab import ChatModelsLab, UnsupportedContentError


def test_public_api_is_pinned() -> None:
    assert langchain_modelslab.__all__ == [
        "ChatModelsLab",
        "ModelsLabCallbackHandler",
        "UnsupportedContentError",
        "__version__",
        "get_modelslab_callback",
    ]


# ----------------------------------------------------------------- request parameters


def test_every_setting_reaches_the_request() -> None:
    fake = Scripted([completion_body()])
    model = fake.model(
        model="qwen-qwen-max",
        temperature=0.3,
        max_tokens=77,
        top_p=0.9,
        top_k=40,
        frequency_penalty=0.1,
        presence_penalty=0.2,
        repetition_penalty=1.1,
        seed=7,
        stop=["END"],
        model_kwargs={"user": "u-1", "logprobs": True},
        extra_body={"reasoning": {"effort": "low"}},
    )
    model.invoke("hi")
    body = fake.requests[0]
    assert body["model"] == "qwen-qwen-max"
    expected = {
        "temperature": 0.3,
        "max_tokens": 77,
        "top_p": 0.9,
        "top_k": 40,
        "frequency_penalty": 0.1,
        "presence_penalty": 0.2,
        "repetition_penalty": 1.1,
        "seed": 7,
        "stop": ["END"],
        "user": "u-1",
        "logprobs": True,
        "reasoning": {"effort": "low"},
    }
    assert {k: body.get(k) for k in expected} == expected
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert "stream" not in body


def test_per_call_arguments_win() -> None:
    fake = Scripted([completion_body()])
    model = fake.model(temperature=0.3, stop=["A"], max_tokens=10)
    model.invoke(
        "hi", model="qwen-qwen-max", temperature=0.9, stop=["B"], custom_flag=1, extra_body={"x": 2}
    )
    body = fake.requests[0]
    assert (body["model"], body["temperature"], body["stop"], body["max_tokens"]) == (
        "qwen-qwen-max",
        0.9,
        ["B"],
        10,
    )
    assert (body["custom_flag"], body["x"]) == (1, 2)


def test_defaults_send_an_explicit_max_tokens_and_nothing_unset() -> None:
    fake = Scripted([completion_body()])
    fake.model().invoke("hi")
    assert set(fake.requests[0]) == {"model", "messages", "max_tokens"}


def test_n_choices_become_generations() -> None:
    body = completion_body("one")
    body["choices"].append({"index": 1, "message": {"content": "two"}, "finish_reason": "stop"})
    fake = Scripted([body])
    result = fake.model(n=2).generate([[HumanMessage("hi")]])
    assert [g.message.content for g in result.generations[0]] == ["one", "two"]
    assert fake.requests[0]["n"] == 2
    with pytest.raises(ValueError, match="n=2 cannot be streamed"):
        list(fake.model(n=2).stream("hi"))


def test_ls_params() -> None:
    model = ChatModelsLab(api_key="k", temperature=0.5, max_tokens=9, stop=["x"])
    assert model._get_ls_params() == {
        "ls_provider": "modelslab",
        "ls_model_name": "baidu-ernie-4.5-vl-28b-a3b",
        "ls_model_type": "chat",
        "ls_temperature": 0.5,
        "ls_max_tokens": 9,
        "ls_stop": ["x"],
    }
    override = model._get_ls_params(stop=["y"], model="other", temperature=0.1)
    assert (override["ls_model_name"], override["ls_temperature"], override["ls_stop"]) == (
        "other",
        0.1,
        ["y"],
    )


def test_profile_comes_from_the_catalog() -> None:
    profile = ChatModelsLab(api_key="k").profile
    assert profile is not None
    assert profile["max_input_tokens"] == 30_000
    assert profile["image_inputs"] is True
    assert profile["tool_calling"] is True
    assert profile["pdf_inputs"] is False
    assert "structured_output" not in profile  # unknown for ERNIE: create_agent uses tools
    assert ChatModelsLab(api_key="k", model="openai-o3-mini-high").profile["structured_output"]  # type: ignore[index]
    unknown = ChatModelsLab(api_key="k", model="acme-unknown-1").profile
    assert unknown is not None
    assert unknown["max_input_tokens"] == 4096
    assert "tool_calling" not in unknown


def test_profile_on_the_messages_route_has_no_native_structured_output() -> None:
    # /v1/messages takes no response_format; everything else the profile lists works there.
    chat = ChatModelsLab(api_key="k", model="openai-o3-mini-high").profile
    messages = ChatModelsLab(
        api_key="k", model="openai-o3-mini-high", api_format="anthropic"
    ).profile
    assert chat is not None
    assert chat["structured_output"] is True
    assert messages == {**chat, "structured_output": False}


def test_images_rejected_before_sending_for_text_only_models() -> None:
    fake = Scripted([completion_body()])
    message = HumanMessage([{"type": "image", "url": "https://example.com/a.png"}])
    with pytest.raises(UnsupportedContentError, match="does not accept image input"):
        fake.model(model="openai-gpt-oss-120b").invoke([message])
    assert fake.requests == []


# ------------------------------------------------------------------------- streaming

REASONING_TOOL_STREAM = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"reasoning_content": "The user wants "}),
    chunk({"reasoning_content": "the weather."}),
    chunk({"content": "Let me check."}),
    chunk(
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": '},
                }
            ]
        }
    ),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"東京"}'}}]}),
    chunk({}, finish="tool_calls"),
    chunk(usage=USAGE),
]


async def _collect(model: ChatModelsLab, use_async: bool, **kwargs: Any) -> list[AIMessageChunk]:
    if use_async:
        return [c async for c in model.astream("weather?", **kwargs)]
    return list(model.stream("weather?", **kwargs))


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("output_version", ["v0", "v1"])
async def test_stream_reasoning_text_and_tool_call(use_async: bool, output_version: str) -> None:
    fake = Scripted([REASONING_TOOL_STREAM])
    chunks = await _collect(fake.model(output_version=output_version), use_async)
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert sum(1 for c in chunks if c.response_metadata.get("model_name")) == 1
    assert sum(1 for c in chunks if c.response_metadata.get("finish_reason")) == 1
    total = chunks[0]
    for c in chunks[1:]:
        total += c
    assert total.chunk_position == "last"
    assert total.tool_calls == [
        {"name": "get_weather", "args": {"city": "東京"}, "id": "call_1", "type": "tool_call"}
    ]
    assert total.usage_metadata == {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10}
    assert total.response_metadata["model_name"] == "served-model"
    assert total.response_metadata["finish_reason"] == "tool_calls"
    assert total.additional_kwargs["reasoning_content"] == "The user wants the weather."
    # Regression (v1): the tool call's index 0 must not fuse into reasoning block 0.
    assert [b["type"] for b in total.content_blocks] == ["reasoning", "text", "tool_call"]
    assert total.id == "chatcmpl-1"
    assert fake.requests[0]["stream"] is True
    assert fake.requests[0]["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_stream_usage_off(use_async: bool) -> None:
    fake = Scripted([[chunk({"content": "hi"}), chunk({}, finish="stop"), chunk(usage=USAGE)]])
    chunks = await _collect(fake.model(stream_usage=False), use_async)
    assert all(c.usage_metadata is None for c in chunks)
    assert "stream_options" not in fake.requests[0]


def test_invoke_goes_through_stream_when_streaming_is_set() -> None:
    fake = Scripted(
        [[chunk({"content": "streamed"}), chunk({}, finish="stop"), chunk(usage=USAGE)]]
    )
    result = fake.model(streaming=True).invoke("hi")
    assert result.content == "streamed"
    assert result.usage_metadata is not None
    assert fake.requests[0]["stream"] is True


def test_disable_streaming_routes_stream_to_invoke() -> None:
    fake = Scripted([completion_body("whole")])
    chunks = list(fake.model(disable_streaming=True).stream("hi"))
    assert [c.content for c in chunks] == ["whole"]
    assert "stream" not in fake.requests[0]


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_invalid_tool_call_json_is_not_an_exception(use_async: bool) -> None:
    bad = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]
    fake = Scripted([completion_body(None, tool_calls=bad)])
    model = fake.model()
    result = await model.ainvoke("x") if use_async else model.invoke("x")
    assert result.tool_calls == []
    assert result.invalid_tool_calls[0]["args"] == "{oops"
    assert result.invalid_tool_calls[0]["name"] == "f"


def test_reasoning_is_replayed_in_a_tool_loop() -> None:
    call = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}]
    fake = Scripted([completion_body(None, tool_calls=call, reasoning_content="plan A")])
    model = fake.model()
    first = model.invoke("go")
    model.invoke(["go", first, ToolMessage("done", tool_call_id="c1")])
    replayed = fake.requests[1]["messages"][1]
    assert replayed["role"] == "assistant"
    assert replayed["reasoning_content"] == "plan A"
    assert replayed["tool_calls"][0]["function"]["arguments"] == '{"a": 1}'
    assert fake.requests[1]["messages"][2] == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": "done",
    }


# ---------------------------------------------------------------- core features wired


class CountingLimiter(BaseRateLimiter):
    def __init__(self) -> None:
        self.calls = 0

    def acquire(self, *, blocking: bool = True) -> bool:
        self.calls += 1
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        self.calls += 1
        return True


async def test_rate_limiter_is_used_for_every_call() -> None:
    fake = Scripted([completion_body()])
    limiter = CountingLimiter()
    model = fake.model(rate_limiter=limiter)
    model.invoke("a")
    await model.ainvoke("b")
    fake.replies = [[chunk({"content": "c"}), chunk({}, finish="stop")]]
    list(model.stream("c"))
    assert limiter.calls == 3


def test_batch_runs_every_input() -> None:
    fake = Scripted([completion_body("same")])
    results = fake.model().batch(["a", "b", "c"])
    assert [r.content for r in results] == ["same"] * 3
    assert sorted(r["messages"][0]["content"] for r in fake.requests) == ["a", "b", "c"]


async def test_abatch_runs_every_input() -> None:
    fake = Scripted([completion_body("same")])
    results = await fake.model().abatch(["a", "b"])
    assert [r.content for r in results] == ["same"] * 2
