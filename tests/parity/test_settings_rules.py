"""One settings rule for both adapters: when the environment is read, which names are known,
what a call may set, where the key may go. Through ``httpx.MockTransport``, no patching."""

from __future__ import annotations

import asyncio
import inspect
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from langchain_core.load import dumps
from llama_index.core.base.llms.types import ChatMessage

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_transport import DEFAULT_MODEL, ConfigurationError

KEY = "sk-settings-secret-0123456789"
MESSAGES = [ChatMessage(role="user", content="hi")]
ANSWER = {
    "id": "r1",
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


class Recorder:
    """Answers every request and keeps it."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=ANSWER)


def clients(recorder: Recorder, framework: str) -> dict[str, Any]:
    transport = httpx.MockTransport(recorder)
    async_name = "http_async_client" if framework == "langchain" else "async_http_client"
    return {
        "http_client": httpx.Client(transport=transport),
        async_name: httpx.AsyncClient(transport=transport),
    }


def build(framework: str, recorder: Recorder, **settings: Any) -> Any:
    cls = ChatModelsLab if framework == "langchain" else ModelsLabLLM
    return cls(model=DEFAULT_MODEL, max_retries=0, **settings, **clients(recorder, framework))


def run(result: Any) -> None:
    """Drive a call to its end: a value, an iterator, a coroutine or an async iterator."""

    async def drain(value: Any) -> None:
        if inspect.isawaitable(value):
            value = await value
        if hasattr(value, "__aiter__"):
            async for _ in value:
                pass

    if inspect.isawaitable(result) or hasattr(result, "__aiter__"):
        asyncio.run(drain(result))
    elif hasattr(result, "__iter__") and not isinstance(result, str | bytes | dict):
        for _ in result:
            pass


CALLS: dict[str, Callable[..., Any]] = {
    "lc invoke": lambda m, **kw: m.invoke("hi", **kw),
    "lc stream": lambda m, **kw: m.stream("hi", **kw),
    "lc ainvoke": lambda m, **kw: m.ainvoke("hi", **kw),
    "lc astream": lambda m, **kw: m.astream("hi", **kw),
    "li chat": lambda m, **kw: m.chat(MESSAGES, **kw),
    "li complete": lambda m, **kw: m.complete("hi", **kw),
    "li stream_chat": lambda m, **kw: m.stream_chat(MESSAGES, **kw),
    "li stream_complete": lambda m, **kw: m.stream_complete("hi", **kw),
    "li achat": lambda m, **kw: m.achat(MESSAGES, **kw),
    "li acomplete": lambda m, **kw: m.acomplete("hi", **kw),
    "li astream_chat": lambda m, **kw: m.astream_chat(MESSAGES, **kw),
    "li astream_complete": lambda m, **kw: m.astream_complete("hi", **kw),
}


def framework_of(call: str) -> str:
    return "langchain" if call.startswith("lc") else "llama_index"


# --------------------------------------------------------------- when settings are read


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_the_environment_is_read_when_the_model_is_built(
    framework: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", "key-at-construction")
    monkeypatch.setenv("MODELSLAB_BASE_URL", "https://built.test/api/v7/llm")
    recorder = Recorder()
    model = build(framework, recorder)
    monkeypatch.setenv("MODELSLAB_API_KEY", "key-changed-later")
    monkeypatch.setenv("MODELSLAB_BASE_URL", "https://changed.test/api/v7/llm")
    run(CALLS["lc invoke" if framework == "langchain" else "li chat"](model))
    (request,) = recorder.requests
    assert request.url.host == "built.test"
    assert "key-at-construction" in request.headers["authorization"]


# ------------------------------------------------------------------------ unknown names


@pytest.mark.parametrize(
    ("cls", "name", "nearest"),
    [
        (ChatModelsLab, "tempreature", "temperature"),
        (ModelsLabLLM, "tempreature", "temperature"),
        (ModelsLabLLM, "http_async_client", "async_http_client"),
        (ChatModelsLab, "async_http_client", "http_async_client"),
        (ChatModelsLab, "max_token", "max_tokens"),
        (ModelsLabLLM, "max_token", "max_tokens"),
    ],
)
def test_an_unknown_setting_is_refused_naming_the_nearest(
    cls: type[Any], name: str, nearest: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"'{name}'.*Did you mean .*{nearest}"):
        cls(api_key=KEY, **{name: object()})


def test_every_declared_field_is_known() -> None:
    """Fields added later (reasoning settings...) are known without a list to update."""
    ChatModelsLab(api_key=KEY, model_name="m", stop_sequences=["x"], callbacks=None, tags=[])
    ModelsLabLLM(api_key=KEY, callback_manager=None, system_prompt="s", context_window=9)


# ---------------------------------------------------------- the same bad value, same error


@pytest.mark.parametrize(
    "bad",
    [
        {"max_tokens": 0},
        {"timeout": -1},
        {"connect_timeout": 0},
        {"deadline": -1},
        {"max_retries": -1},
        {"max_concurrency": -1},
        {"temperature": 3},
    ],
)
def test_both_classes_refuse_a_bad_setting_the_same_way(bad: dict[str, Any]) -> None:
    messages = []
    for cls in (ChatModelsLab, ModelsLabLLM):
        with pytest.raises(ConfigurationError) as caught:
            cls(api_key=KEY, **bad)
        assert type(caught.value) is ConfigurationError
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert next(iter(bad)) in messages[0]


# -------------------------------------------------------------- client settings per call

PER_CALL = {
    "max_retries": 5,
    "max_concurrency": 1,
    "api_key": "other-key",
    "base_url": "https://other.test/api/v7/llm",
    "default_headers": {"x-a": "b"},
    "http_client": None,
}


@pytest.mark.parametrize("name", [n for n in PER_CALL if PER_CALL[n] is not None])
@pytest.mark.parametrize("call", list(CALLS))
def test_a_client_setting_per_call_is_refused_before_any_request(call: str, name: str) -> None:
    recorder = Recorder()
    model = build(framework_of(call), recorder, api_key=KEY)
    with pytest.raises(ConfigurationError, match=f"{name} is a setting of the model"):
        run(CALLS[call](model, **{name: PER_CALL[name]}))
    assert recorder.requests == []


@pytest.mark.parametrize("name", ["extra_headers", "extra_query"])
@pytest.mark.parametrize("call", list(CALLS))
def test_an_sdk_request_option_per_call_is_refused_not_sent_in_the_body(
    call: str, name: str
) -> None:
    # ChatOpenAI/OpenAILike users pass these per call; as unknown names they went into the
    # JSON body, headers that may hold credentials included.
    recorder = Recorder()
    model = build(framework_of(call), recorder, api_key=KEY)
    with pytest.raises(ConfigurationError, match=f"{name} is an OpenAI SDK request option"):
        run(CALLS[call](model, **{name: {"x-team-token": "t-123"}}))
    assert recorder.requests == []


@pytest.mark.parametrize("call", ["lc invoke", "li chat", "li astream_chat"])
def test_timeout_and_deadline_per_call_are_still_honoured(call: str) -> None:
    recorder = Recorder()
    model = build(framework_of(call), recorder, api_key=KEY)
    run(CALLS[call](model, timeout=30, deadline=30))
    (request,) = recorder.requests
    assert b"timeout" not in request.content
    assert b"deadline" not in request.content


# ------------------------------------------------------------------ the key in the body


@pytest.mark.parametrize(
    ("cls", "field"),
    [
        (ChatModelsLab, "model_kwargs"),
        (ChatModelsLab, "extra_body"),
        (ModelsLabLLM, "additional_kwargs"),
    ],
)
def test_the_key_as_a_body_field_is_refused_and_never_shown(cls: type[Any], field: str) -> None:
    with pytest.raises(ConfigurationError, match=r"api_key=.*key_in_body") as caught:
        cls(**{field: {"key": KEY}})
    error = caught.value
    for text in (str(error), repr(error), repr(error.args), str(pickle.dumps(error))):
        assert KEY not in text


@pytest.mark.parametrize("call", ["lc invoke", "lc astream", "li chat", "li astream_complete"])
@pytest.mark.parametrize("where", ["key", "extra_body"])
def test_the_key_as_a_body_field_per_call_is_refused(call: str, where: str) -> None:
    recorder = Recorder()
    model = build(framework_of(call), recorder, api_key="the-model-key")
    given = {"key": KEY} if where == "key" else {"extra_body": {"key": KEY}}
    with pytest.raises(ConfigurationError, match=r"holds the API key.*api_key=") as caught:
        run(CALLS[call](model, **given))
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)
    assert recorder.requests == []
    assert KEY not in repr(model)
    if framework_of(call) == "langchain":
        assert KEY not in dumps(model)


@pytest.mark.parametrize(
    ("cls", "field"),
    [
        (ChatModelsLab, "model_kwargs"),
        (ChatModelsLab, "extra_body"),
        (ModelsLabLLM, "additional_kwargs"),
    ],
)
def test_the_key_assigned_to_a_body_field_later_is_refused(cls: type[Any], field: str) -> None:
    model = cls(api_key="the-model-key")
    with pytest.raises(ConfigurationError, match="holds the API key"):
        setattr(model, field, {"key": KEY})
    assert KEY not in repr(model)
    with pytest.raises(ConfigurationError, match="max_retries is a setting of the model"):
        setattr(model, field, {"max_retries": 3})
