"""``dumps``/``loads`` round-trip a ChatModelsLab: settings kept, key never written."""

from __future__ import annotations

import httpx
import pytest
from langchain_core.load import dumps, loads

from langchain_modelslab import ChatModelsLab

KEY = "sk-serialized-never-4471"


def test_round_trip_keeps_settings_and_reads_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    http = httpx.Client()
    model = ChatModelsLab(
        api_key=KEY,
        model="qwen-qwen3-8b",
        temperature=0.2,
        max_tokens=77,
        timeout=30,
        deadline=12,
        api_format="anthropic",
        default_headers={"X-Proxy": "hdr-secret"},
        http_client=http,
    )
    text = dumps(model)
    assert '"type": "constructor"' in text
    assert KEY not in text
    assert "hdr-secret" not in text
    monkeypatch.setenv("MODELSLAB_API_KEY", "key-where-it-lands")
    loaded = loads(
        text,
        secrets_from_env=True,
        valid_namespaces=["langchain_modelslab"],
        allowed_objects=[ChatModelsLab],
    )
    assert isinstance(loaded, ChatModelsLab)
    assert (loaded.model, loaded.temperature, loaded.max_tokens) == ("qwen-qwen3-8b", 0.2, 77)
    assert (loaded.timeout, loaded.deadline, loaded.api_format) == (30, 12, "anthropic")
    assert loaded.api_key is not None
    assert loaded.api_key.get_secret_value() == "key-where-it-lands"
    assert loaded.http_client is None  # clients and headers stay with the original
    http.close()
