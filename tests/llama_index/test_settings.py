"""Metadata from the catalog, overrides, serialization and secrets."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import httpx
import pytest
from li_fakes import KEY, MODEL, MODES, chat, completion_body, user
from llama_index.core.bridge.pydantic import SecretStr
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import PydanticProgramMode

from llama_index_modelslab import ModelsLabLLM
from llama_index_modelslab._tools import calls_tools
from modelslab_transport import ConfigurationError, ModelInfo, get_model_info, register_model


def test_metadata_comes_from_the_catalog() -> None:
    meta = ModelsLabLLM().metadata
    assert meta.model_name == MODEL
    assert meta.context_window == 30_000
    assert meta.num_output == 1000
    assert meta.is_chat_model is True
    assert meta.is_function_calling_model is True


def test_metadata_overrides() -> None:
    meta = ModelsLabLLM(
        model="openai-gpt-oss-120b",
        context_window=4096,
        num_output=256,
        is_chat_model=False,
        is_function_calling_model=False,
        model_name="gpt-oss (team A)",
    ).metadata
    assert (meta.model_name, meta.context_window, meta.num_output) == (
        "gpt-oss (team A)",
        4096,
        256,
    )
    assert (meta.is_chat_model, meta.is_function_calling_model) == (False, False)


def test_model_name_is_reported_but_model_is_sent(fake: Any) -> None:
    llm, api = fake(completion_body(), model_name="label-for-traces")
    llm.chat(user("x"))
    assert api.bodies[0]["model"] == MODEL
    assert llm.metadata.model_name == "label-for-traces"
    assert llm.to_dict()["model_name"] == "label-for-traces"


@pytest.mark.parametrize(
    ("is_chat_model", "messages"),
    [
        (True, [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi Ann"}]),
        (False, [{"role": "user", "content": "Be brief.\n\nHi Ann"}]),
    ],
)
def test_is_chat_model_chooses_how_core_prompts(
    fake: Any, is_chat_model: bool, messages: list[dict[str, str]]
) -> None:
    # Core's predict sends a chat (system prompt as a message) or a completion (prepended).
    llm, api = fake(completion_body(), is_chat_model=is_chat_model, system_prompt="Be brief.")
    assert llm.predict(PromptTemplate("Hi {name}"), name="Ann") == "Hello!"
    assert api.bodies[0]["messages"] == messages


def test_metadata_follows_changed_fields_and_catalog(restore_catalog: None) -> None:
    # Metadata is kept between calls: a changed field or catalog entry must still show.
    llm = ModelsLabLLM()
    assert llm.metadata is llm.metadata  # kept, not rebuilt per call
    llm.context_window = 8000
    llm.max_tokens = 77
    llm.model_name = "renamed"
    meta = llm.metadata
    assert (meta.context_window, meta.num_output, meta.model_name) == (8000, 77, "renamed")
    llm.context_window = None
    register_model(get_model_info(MODEL).replace(context_window=12_345, tools=False))
    meta = llm.metadata
    assert (meta.context_window, meta.is_function_calling_model) == (12_345, False)
    llm.model = "mistralai-mixtral-8x7b-instruct"
    assert llm.metadata.context_window == 32_768


def test_num_output_follows_max_tokens() -> None:
    assert ModelsLabLLM(max_tokens=333).metadata.num_output == 333


@pytest.mark.parametrize(
    ("tools", "expected"),
    [(False, False), (True, True), (None, True)],
    ids=["no", "yes", "unknown"],
)
def test_function_calling_from_catalog_entry(tools: bool | None, expected: bool) -> None:
    assert calls_tools(ModelInfo(id="x", tools=tools)) is expected


@pytest.mark.parametrize(
    ("model", "window", "calling"),
    [("mistralai-mixtral-8x7b-instruct", 32_768, True), ("google-gemma-3-27b-it", 4096, True)],
)
def test_metadata_per_model(model: str, window: int, calling: bool) -> None:
    meta = ModelsLabLLM(model=model).metadata
    assert (meta.context_window, meta.is_function_calling_model) == (window, calling)


def test_unknown_model_gets_conservative_defaults() -> None:
    meta = ModelsLabLLM(model="someone-new-model").metadata
    assert (meta.context_window, meta.num_output) == (4096, 1000)


@pytest.mark.parametrize(
    ("method", "mode"),
    [
        ("function", PydanticProgramMode.DEFAULT),
        ("json_mode", PydanticProgramMode.LLM),
        ("text", PydanticProgramMode.LLM),
    ],
)
def test_structured_output_method_selects_program(method: str, mode: PydanticProgramMode) -> None:
    assert ModelsLabLLM(structured_output_method=method).pydantic_program_mode == mode


def test_explicit_program_mode_wins() -> None:
    llm = ModelsLabLLM(structured_output_method="text", pydantic_program_mode="function")
    assert llm.pydantic_program_mode == PydanticProgramMode.FUNCTION
    llm.structured_output_method = "json_mode"
    assert llm.pydantic_program_mode == PydanticProgramMode.FUNCTION


def test_structured_output_method_can_be_changed_later() -> None:
    llm = ModelsLabLLM()
    steps = [("json_mode", "llm"), ("text", "llm"), ("function", "default"), ("text", "llm")]
    for method, mode in steps:
        llm.structured_output_method = method  # type: ignore[assignment]
        assert (llm.structured_output_method, llm.pydantic_program_mode) == (method, mode)
    with pytest.raises(
        ConfigurationError, match=r"structured_output_method must be one of .*; got a str"
    ):
        llm.structured_output_method = "xml"  # type: ignore[assignment]
    assert llm.structured_output_method == "text"


@pytest.mark.parametrize(
    "bad",
    [
        {"temperature": 3},
        {"max_tokens": 0},
        {"api_format": "gemini"},
        {"structured_output_method": "xml"},
        {"max_retries": -1},
    ],
)
def test_invalid_settings_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        ModelsLabLLM(**bad)


def test_class_name_and_import_path() -> None:
    import llama_index_modelslab

    assert ModelsLabLLM.class_name() == "ModelsLabLLM"
    assert llama_index_modelslab.__all__ == ["HashEmbedding", "ModelsLabLLM", "NoToolCallError"]


# ------------------------------------------------------------------------- secrets


def every_rendering(llm: ModelsLabLLM) -> list[str]:
    return [
        json.dumps(llm.to_dict()),
        llm.to_json(),
        json.dumps(llm.model_dump(), default=str),
        repr(llm),
        str(llm),
        json.dumps(llm.to_payload(), default=str),
    ]


def test_key_never_serialized_or_shown() -> None:
    llm = ModelsLabLLM(api_key=KEY, default_headers={"x-proxy-auth": "hdr-secret"})
    for text in every_rendering(llm):
        assert KEY not in text
        assert "hdr-secret" not in text
    data = llm.to_dict()
    assert "api_key" not in data
    assert data["class_name"] == "ModelsLabLLM"
    assert data["model"] == MODEL


def test_round_trip_keeps_settings_not_key() -> None:
    llm = ModelsLabLLM(api_key=KEY, temperature=0.3, api_format="anthropic", max_tokens=50)
    clone = ModelsLabLLM.from_json(llm.to_json())
    assert (clone.temperature, clone.api_format, clone.max_tokens) == (0.3, "anthropic", 50)
    assert clone.api_key is None


def test_key_from_environment(fake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELSLAB_API_KEY", "env-key-abc")
    llm, api = fake(completion_body(), api_key=None)
    llm.chat(user("x"))
    assert api.requests[0].headers["authorization"] == "Bearer env-key-abc"
    assert "env-key-abc" not in llm.to_json()


async def test_missing_key_fails_at_call_time(fake: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELSLAB_API_KEY", raising=False)
    llm, api = fake(completion_body(), api_key=None)  # construction works
    with pytest.raises(ConfigurationError, match="MODELSLAB_API_KEY"):
        llm.chat(user("x"))
    with pytest.raises(ConfigurationError):
        await llm.achat(user("x"))
    assert api.requests == []


# --------------------------------------------------------------------------- copies


@pytest.mark.parametrize("how", ["model_copy", "copy", "deepcopy"])
def test_copies_do_not_share_connections(fake: Any, how: str) -> None:
    llm, api = fake(completion_body())
    llm.chat(user("x"))  # the original now holds an open client
    clone = {
        "model_copy": lambda: llm.model_copy(update={"base_url": "https://other.test/v7"}),
        "copy": lambda: copy.copy(llm),
        "deepcopy": lambda: copy.deepcopy(llm),
    }[how]()
    clone.base_url = "https://other.test/v7"
    clone.chat(user("x"))
    assert [r.url.host for r in api.requests] == ["api.test", "other.test"]
    assert clone.api_key == llm.api_key


def test_pickle_round_trip(
    server: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    llm = ModelsLabLLM(
        api_key=server.api_key, base_url=server.base_url, max_retries=0, temperature=0.5
    )
    assert llm.chat(user("Say hello")).message.content  # pickled with a live client inside
    data = pickle.dumps(llm)
    llm.close()
    assert server.api_key.encode() not in data
    assert not [r for r in caplog.records if "unpickleable" in r.getMessage()]
    # The copy takes its key from the environment of the process it lands in.
    monkeypatch.setenv("MODELSLAB_API_KEY", server.api_key)
    with pickle.loads(data) as clone:
        assert clone.api_key is None
        assert (clone.base_url, clone.temperature) == (server.base_url, 0.5)
        assert clone.chat(user("Say hello")).message.content


# -------------------------------------------------------- settings changed later

NEW_KEY = "sk-rotated-key-9876543210"


def _timeout(request: httpx.Request, kind: str) -> Any:
    return request.extensions["timeout"][kind]


# (field, new value, what the next request shows)
CHANGES: list[tuple[str, Any, Any]] = [
    ("base_url", "https://other.test/v7", lambda r: r.url.host == "other.test"),
    ("api_key", NEW_KEY, lambda r: r.headers["authorization"] == f"Bearer {NEW_KEY}"),
    ("default_headers", {"x-team": "b"}, lambda r: r.headers["x-team"] == "b"),
    ("timeout", 7.5, lambda r: _timeout(r, "read") == 7.5),
    ("connect_timeout", 2.5, lambda r: _timeout(r, "connect") == 2.5),
]


@pytest.mark.parametrize(("name", "value", "seen"), CHANGES, ids=[c[0] for c in CHANGES])
@pytest.mark.parametrize("mode", MODES)
async def test_connection_settings_apply_after_the_first_call(
    fake: Any, mode: str, name: str, value: Any, seen: Any
) -> None:
    llm, api = fake(completion_body(), default_headers={"x-team": "a"})
    await chat(llm, mode, user("x"))
    assert not seen(api.requests[0])
    setattr(llm, name, value)
    await chat(llm, mode, user("x"))
    assert seen(api.requests[1])


@pytest.mark.parametrize("mode", MODES)
async def test_max_retries_applies_after_the_first_call(fake: Any, mode: str) -> None:
    busy = httpx.Response(503, headers={"retry-after-ms": "1"}, json={"message": "busy"})
    llm, api = fake(completion_body(), busy, completion_body())
    await chat(llm, mode, user("x"))  # max_retries=0 so far
    llm.max_retries = 1
    assert (await chat(llm, mode, user("x"))).message.content == "Hello!"
    assert len(api.requests) == 3


def test_assigned_key_stays_secret(fake: Any) -> None:
    llm, api = fake(completion_body())
    llm.api_key = NEW_KEY  # type: ignore[assignment]
    assert isinstance(llm.api_key, SecretStr)
    assert NEW_KEY not in repr(llm)
    llm.chat(user("x"))
    assert api.requests[0].headers["authorization"] == f"Bearer {NEW_KEY}"
