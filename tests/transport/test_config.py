"""Configuration: key and base URL resolution, headers, timeouts, insecure-http refusal."""

from __future__ import annotations

import platform

import httpx
import pytest
from pydantic import SecretStr

from modelslab_transport import DEFAULT_BASE_URL, ConfigurationError, __version__
from modelslab_transport._config import resolve_config

from .conftest import KEY


def test_key_from_argument_or_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_config("arg-key").secret() == "arg-key"
    assert resolve_config(SecretStr("secret-key")).secret() == "secret-key"
    monkeypatch.setenv("MODELSLAB_API_KEY", "env-key")
    assert resolve_config().secret() == "env-key"
    assert resolve_config("arg-key").secret() == "arg-key"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_key_is_reported_at_call_time(value: str | None) -> None:
    config = resolve_config(value)  # building is fine
    with pytest.raises(ConfigurationError, match=r"api_key=.*MODELSLAB_API_KEY"):
        config.headers("/chat/completions", stream=False)


def test_key_is_a_secret_and_never_in_repr() -> None:
    config = resolve_config(KEY)
    assert isinstance(config.api_key, SecretStr)
    assert KEY not in repr(config)
    assert KEY not in str(config)


@pytest.mark.parametrize(
    ("arg", "env", "expected"),
    [
        (None, None, DEFAULT_BASE_URL),
        (None, "https://env.example/api/v7/llm/", "https://env.example/api/v7/llm"),
        ("https://arg.example/x//", "https://env.example", "https://arg.example/x"),
        ("http://127.0.0.1:8000/api/v7/llm", None, "http://127.0.0.1:8000/api/v7/llm"),
    ],
)
def test_base_url(
    monkeypatch: pytest.MonkeyPatch, arg: str | None, env: str | None, expected: str
) -> None:
    if env:
        monkeypatch.setenv("MODELSLAB_BASE_URL", env)
    assert resolve_config(KEY, base_url=arg).base_url == expected


@pytest.mark.parametrize("url", ["modelslab.com/api", "ftp://x.example", "https://", "nonsense"])
def test_bad_base_url(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        resolve_config(KEY, base_url=url)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": 0}, "timeout"),
        ({"connect_timeout": -1}, "connect_timeout"),
        ({"max_retries": -1}, "max_retries"),
    ],
)
def test_bad_numbers(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        resolve_config(KEY, **kwargs)  # type: ignore[arg-type]


def test_timeouts() -> None:
    default = resolve_config(KEY).timeout
    assert (default.read, default.connect) == (120.0, 10.0)
    custom = resolve_config(KEY, timeout=30, connect_timeout=2).timeout
    assert custom == httpx.Timeout(30.0, connect=2.0, write=30.0, pool=2.0)
    per_call = resolve_config(KEY, timeout=30, connect_timeout=2).call_timeout(5)
    assert (per_call.read, per_call.write, per_call.connect) == (5, 5, 2.0)
    assert resolve_config(KEY).call_timeout(None) == default


@pytest.mark.parametrize(
    ("path", "x_api_key", "anthropic_version"),
    [
        ("/chat/completions", False, False),
        ("/v1/messages", True, True),
        ("/v1/messages/count_tokens", True, True),
        ("/v1/models", True, False),
        ("/models", False, False),
    ],
)
def test_auth_headers_per_endpoint(path: str, x_api_key: bool, anthropic_version: bool) -> None:
    headers = resolve_config(KEY).headers(path, stream=False)
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert (headers.get("x-api-key") == KEY) is x_api_key
    assert (headers.get("anthropic-version") == "2023-06-01") is anthropic_version


def test_user_agent_accept_and_default_headers() -> None:
    config = resolve_config(KEY, default_headers={"X-Team": "a", "Authorization": "Bearer evil"})
    headers = config.headers("/chat/completions", stream=True)
    python = ".".join(platform.python_version_tuple()[:2])
    assert headers["User-Agent"] == (
        f"modelslab-integrations/{__version__} python/{python} httpx/{httpx.__version__}"
    )
    assert headers["Accept"] == "text/event-stream"
    assert headers["X-Team"] == "a"
    assert headers["Authorization"] == f"Bearer {KEY}"  # ours wins
    assert config.headers("/chat/completions", stream=False)["Accept"] == "application/json"


def test_key_in_body_is_opt_in_and_mirrors_model_id() -> None:
    body = {"model": "m", "messages": []}
    assert resolve_config(KEY).finish_body(body) == body
    legacy = resolve_config(KEY, key_in_body=True).finish_body(body)
    assert legacy == {"model": "m", "messages": [], "key": KEY, "model_id": "m"}
    assert "key" not in body  # the call's body is not mutated


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://modelslab.com/api/v7/llm", True),
        ("http://127.0.0.1:9/api", True),
        ("http://127.8.9.10/api", True),
        ("http://localhost:8080/api", True),
        ("http://[::1]:8080/api", True),
        ("http://api.localhost/api", True),
        ("http://modelslab.com/api/v7/llm", False),
        ("http://10.0.0.5/api", False),
        ("http://localhost.evil.example/api", False),
        ("http://[::2]/api", False),
    ],
)
def test_key_is_never_sent_in_clear_text_to_remote_hosts(url: str, allowed: bool) -> None:
    config = resolve_config(KEY, base_url=url)
    if allowed:
        assert config.headers("/chat/completions", stream=False)["Authorization"]
    else:
        with pytest.raises(ConfigurationError, match="allow_insecure_http") as info:
            config.headers("/chat/completions", stream=False)
        assert KEY not in str(info.value)
        opted_in = resolve_config(KEY, base_url=url, allow_insecure_http=True)
        assert opted_in.headers("/chat/completions", stream=False)["Authorization"]
