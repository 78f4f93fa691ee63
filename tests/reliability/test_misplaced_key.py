"""A key in the wrong place is never echoed, and transport clients refuse to be shipped.

A key pasted into an unrelated setting (``max_tokens=KEY``, ``timeout={"key": KEY}``) is
refused by a ``ConfigurationError`` (or pydantic's ``ValidationError``) that names the
setting and the value's type, never the value. A transport client, which holds live
connections, refuses pickle and copy with a ``ConfigurationError`` naming what to ship
instead; the models pickle without their (injected or own) HTTP clients.
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pydantic
import pytest
from llama_index.core.llms import ChatMessage

import modelslab_transport as mt
from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM

from .invariants.behaviours import ok
from .invariants.checker import exception_texts

KEY = "sk-misplaced-51c9e2a7d4"
URL = "https://modelslab.test/api/v7/llm"
# Settings every constructor takes, each holding the key where a number or choice belongs.
CLIENT_SETTINGS = {
    "timeout": {"key": KEY},
    "connect_timeout": KEY,
    "deadline": [KEY],
    "max_retries": KEY,
    "max_concurrency": KEY,
}
MODEL_SETTINGS = {
    **CLIENT_SETTINGS,
    "max_tokens": KEY,
    "temperature": KEY,
    "reasoning_effort": KEY,
    "thinking": {"type": KEY},
}
CALL_SETTINGS = {
    "timeout": {"key": KEY},
    "deadline": KEY,
    "max_tokens": KEY,
    "temperature": [KEY],
    "reasoning_effort": KEY,
    "thinking": {"type": "enabled", "budget_tokens": KEY},
}
_http = httpx.Client(transport=httpx.MockTransport(ok))

CONSTRUCTORS: dict[str, Callable[..., Any]] = {
    "ChatModelsLab": lambda **kw: ChatModelsLab(api_key="k", **kw),
    "ModelsLabLLM": lambda **kw: ModelsLabLLM(api_key="k", **kw),
    "ModelsLabClient": lambda **kw: mt.ModelsLabClient(api_key="k", **kw),
    "AsyncModelsLabClient": lambda **kw: mt.AsyncModelsLabClient(api_key="k", **kw),
}
_RAW = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def _raw_call(**kw: Any) -> Any:
    request = {**_RAW, **{k: v for k, v in kw.items() if k not in mt.CALL_OPTIONS}}
    options = {k: v for k, v in kw.items() if k in mt.CALL_OPTIONS}
    client = mt.ModelsLabClient(api_key="k", base_url=URL, http_client=_http)
    return client.chat(request, **options)  # type: ignore[arg-type]


CALLS: dict[str, Callable[..., Any]] = {
    "ChatModelsLab.invoke": lambda **kw: ChatModelsLab(
        api_key="k", base_url=URL, http_client=_http
    ).invoke("hi", **kw),
    "ModelsLabLLM.chat": lambda **kw: ModelsLabLLM(
        api_key="k", base_url=URL, http_client=_http
    ).chat([ChatMessage(role="user", content="hi")], **kw),
    "ModelsLabClient.chat": _raw_call,
}


def _refused_without_the_key(build: Callable[..., Any], name: str, value: Any) -> None:
    with pytest.raises((mt.ConfigurationError, pydantic.ValidationError)) as caught:
        build(**{name: value})
    assert KEY not in exception_texts(caught.value)
    assert name in str(caught.value), f"the error does not name {name}: {caught.value}"


@pytest.mark.parametrize("name", MODEL_SETTINGS)
@pytest.mark.parametrize("cls", CONSTRUCTORS)
def test_a_key_in_an_unrelated_setting_is_not_echoed(cls: str, name: str) -> None:
    if cls.endswith("Client") and name not in CLIENT_SETTINGS:
        pytest.skip("not a transport client setting")
    _refused_without_the_key(CONSTRUCTORS[cls], name, MODEL_SETTINGS[name])


@pytest.mark.parametrize("name", CALL_SETTINGS)
@pytest.mark.parametrize("call", CALLS)
def test_a_key_in_an_unrelated_call_argument_is_not_echoed(call: str, name: str) -> None:
    if call == "ModelsLabClient.chat" and name == "reasoning_effort":
        pytest.skip("a request field the raw client passes to the server as it is")
    _refused_without_the_key(CALLS[call], name, CALL_SETTINGS[name])


def test_the_shown_type_still_says_what_was_wrong() -> None:
    with pytest.raises(mt.ConfigurationError, match=r"^max_tokens must be an int above 0, got 0"):
        ChatModelsLab(api_key="k", max_tokens=0)
    with pytest.raises(mt.ConfigurationError, match=r"timeout .* got a dict\.$"):
        mt.ModelsLabClient(api_key="k", timeout={"key": KEY})  # type: ignore[arg-type]


SHIP: dict[str, Callable[[Any], Any]] = {
    "pickle": pickle.dumps,
    "deepcopy": copy.deepcopy,
    "copy": copy.copy,
}


@pytest.mark.parametrize("ship", SHIP)
@pytest.mark.parametrize("injected", [False, True], ids=["own", "injected"])
@pytest.mark.parametrize("cls", [mt.ModelsLabClient, mt.AsyncModelsLabClient])
def test_a_transport_client_refuses_to_be_shipped(cls: Any, injected: bool, ship: str) -> None:
    http = (httpx.AsyncClient if cls is mt.AsyncModelsLabClient else httpx.Client)()
    client = cls(api_key=KEY, http_client=http if injected else None)
    with pytest.raises(mt.ConfigurationError, match=rf"{cls.__name__} cannot be pickled") as e:
        SHIP[ship](client)
    assert "ChatModelsLab or ModelsLabLLM" in str(e.value)
    assert KEY not in exception_texts(e.value)


@pytest.mark.parametrize("cls", [ChatModelsLab, ModelsLabLLM])
def test_a_used_model_with_injected_clients_pickles_without_them(cls: Any) -> None:
    def ask(model: Any) -> str:
        return str((model.invoke("hi") if cls is ChatModelsLab else model.complete("hi")).text)

    model = cls(api_key=KEY, base_url=URL, http_client=_http)
    assert ask(model)
    data = pickle.dumps(model)
    assert KEY.encode() not in data
    assert b"MockTransport" not in data
    assert pickle.loads(data).base_url == URL
    # A copy in the same process shares the caller's client: modelslab.test only answers
    # through it.
    assert ask(copy.deepcopy(model)) == ask(model)


def _raw(**settings: Any) -> mt.ModelsLabClient:
    return mt.ModelsLabClient(KEY, base_url=URL, http_client=_http, max_retries=0, **settings)


def test_a_body_that_cannot_be_encoded_does_not_carry_the_key_along() -> None:
    # The encoder's UnicodeEncodeError holds the whole body, the key included when it travels
    # in the body: it must not ride along as the refusal's context (a random harness run).
    request = {"model": "m", "messages": [{"role": "user", "content": "\ud800"}], "stop": KEY}
    with pytest.raises(mt.ConfigurationError) as caught:
        _raw(key_in_body=True).chat(request)
    assert "surrogates not allowed" in str(caught.value)
    assert KEY not in exception_texts(caught.value)


@pytest.mark.parametrize("thinking", [False, "enabled", {"type": "enabled"}, ["x"]])
def test_a_raw_client_refuses_a_malformed_thinking_before_any_io(thinking: Any) -> None:
    # Was a raw TypeError from the body builder (a random harness run found it).
    request = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    for api_format in ("openai", "anthropic"):
        with pytest.raises(mt.ConfigurationError, match="thinking must be"):
            _raw().chat({**request, "thinking": thinking}, api_format=api_format)


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@pytest.mark.parametrize("choice", [KEY, {"key": KEY}, [KEY]])
def test_a_key_as_the_tool_choice_is_not_echoed(choice: Any) -> None:
    # Found by a randomized harness run: both refusals used to print the value.
    model = ChatModelsLab(api_key="k", base_url=URL, http_client=_http)
    with pytest.raises(mt.ConfigurationError, match="tool_choice") as caught:
        model.bind_tools([add], tool_choice=choice).invoke("hi")
    assert KEY not in exception_texts(caught.value)
