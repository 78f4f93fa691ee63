"""The model catalog: known facts, conservative defaults, user overrides, and cost."""

from __future__ import annotations

import httpx
import pytest

from modelslab_transport import (
    ModelInfo,
    ModelsLabClient,
    estimate_cost,
    get_model_info,
    list_catalog,
    register_model,
)
from modelslab_transport._catalog import context_window, default_max_tokens
from modelslab_transport._constants import DEFAULT_MODEL, UNKNOWN_CONTEXT_WINDOW, UNKNOWN_MAX_OUTPUT

from .conftest import completion_body


def test_ernie_defaults_to_the_conservative_context_window() -> None:
    info = get_model_info(DEFAULT_MODEL)
    assert DEFAULT_MODEL == "baidu-ernie-4.5-vl-28b-a3b"
    assert (info.context_window, info.max_output_tokens) == (30_000, 8_000)
    assert (info.input_price, info.output_price) == (0.14, 0.56)
    assert (info.vision, info.tools, info.json_mode) == (True, True, True)
    assert "131,072" in info.notes


def test_unknown_ids_get_conservative_defaults_and_unknown_capabilities() -> None:
    info = get_model_info("someone/brand-new-model")
    assert info.known is False
    assert info.context_window == UNKNOWN_CONTEXT_WINDOW
    assert info.max_output_tokens == UNKNOWN_MAX_OUTPUT
    assert (info.vision, info.tools, info.json_mode, info.reasoning) == (None,) * 4
    assert estimate_cost(info.id, {"input_tokens": 10, "output_tokens": 10}) is None


@pytest.mark.usefixtures("restore_catalog")
def test_register_model_overrides_a_builtin_entry() -> None:
    ernie = get_model_info(DEFAULT_MODEL)
    register_model(ernie.replace(context_window=131_072, max_output_tokens=500))
    assert context_window(DEFAULT_MODEL) == 131_072
    assert default_max_tokens(DEFAULT_MODEL) == 500
    assert get_model_info(DEFAULT_MODEL).input_price == 0.14  # the rest is kept


@pytest.mark.usefixtures("restore_catalog")
def test_register_model_adds_an_id() -> None:
    register_model(ModelInfo(id="team-model-x", context_window=65_536, tools=True))
    assert get_model_info("team-model-x").known
    assert "team-model-x" in {m.id for m in list_catalog()}


def test_the_fixture_left_the_catalog_as_shipped() -> None:
    assert not get_model_info("team-model-x").known
    assert context_window(DEFAULT_MODEL) == 30_000


@pytest.mark.parametrize(
    ("usage", "dollars"),
    [
        ({"input_tokens": 1_000_000, "output_tokens": 0}, 0.14),
        ({"input_tokens": 0, "output_tokens": 1_000_000}, 0.56),
        ({"prompt_tokens": 500_000, "completion_tokens": 500_000}, 0.35),
        ({}, 0.0),
    ],
)
def test_estimate_cost(usage: dict[str, int], dollars: float) -> None:
    assert estimate_cost(DEFAULT_MODEL, usage) == pytest.approx(dollars)


def test_no_usage_costs_nothing_known() -> None:
    assert estimate_cost(DEFAULT_MODEL, None) is None


def test_catalog_entries_are_consistent() -> None:
    for info in list_catalog():
        assert info.id == info.id.strip() != ""
        if info.context_window and info.max_output_tokens:
            assert info.max_output_tokens <= info.context_window
        for price in (info.input_price, info.output_price):
            assert price is None or price >= 0


@pytest.mark.parametrize(
    "model", ["Qwen/Qwen2.5-VL-72B-Instruct-together", "Qwen-Qwen2.5-VL-72B-Instruct"]
)
def test_model_ids_are_sent_verbatim_in_either_form(model: str) -> None:
    # ModelsLab documents slash ids and dash slugs; neither is rewritten on the way out.
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(200, json=completion_body())

    with ModelsLabClient(api_key="k", transport=httpx.MockTransport(handler)) as client:
        client.chat({"model": model, "messages": [{"role": "user", "content": "Hi"}]})
    assert f'"model": "{model}"'.encode() in sent[0] or f'"model":"{model}"'.encode() in sent[0]
