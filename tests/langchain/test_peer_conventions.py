"""Peer conventions (ChatOpenAI, ChatAnthropic): ``response_metadata["id"]``, ``ls_max_tokens``."""

from __future__ import annotations

from typing import Any

import pytest

from .lc_helpers import Scripted, chunk, completion_body

MODEL = "openai-o3-mini-high"


def test_invoke_response_metadata_has_the_provider_id() -> None:
    fake = Scripted([completion_body("hi")])
    message = fake.model(model=MODEL).invoke("Hi")
    assert message.response_metadata["id"] == "chatcmpl-1"


def test_stream_response_metadata_has_the_provider_id_once() -> None:
    events = [chunk({"content": "h"}), chunk({"content": "i"}), chunk(finish="stop")]
    fake = Scripted([events])
    chunks = list(fake.model(model=MODEL).stream("Hi"))
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    assert total.response_metadata["id"] == "chatcmpl-1"


@pytest.mark.parametrize("settings", [{}, {"max_tokens": 77}], ids=["catalog-default", "set"])
def test_ls_max_tokens_is_what_is_sent(settings: dict[str, Any]) -> None:
    fake = Scripted([completion_body("hi")])
    model = fake.model(model=MODEL, **settings)
    model.invoke("Hi")
    assert model._get_ls_params()["ls_max_tokens"] == fake.requests[-1]["max_tokens"]
