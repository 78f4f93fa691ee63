"""The scripted engine and the ``modelslab_script`` fixture: exact replies through real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from local_helpers import run_pytest

import modelslab_transport as mt
from modelslab_local import Reply, ScriptedEngine, load_script
from modelslab_pytest import ScriptedServer

ROOT = Path(__file__).resolve().parents[2]
REQUEST: mt.ChatRequest = {"model": "any-model", "messages": [{"role": "user", "content": "Hi"}]}


def client(server: ScriptedServer, **options: Any) -> mt.ModelsLabClient:
    return mt.ModelsLabClient(server.api_key, base_url=server.base_url, **options)


def test_replies_come_in_order_and_requests_are_recorded(modelslab_script: ScriptedServer) -> None:
    modelslab_script.reply("first", usage=(11, 2))
    modelslab_script.reply(tool_calls=[("add", {"a": 1, "b": 2})], reasoning="adding")
    with client(modelslab_script) as api:
        one = api.chat(REQUEST)
        two = api.chat({**REQUEST, "tools": [{"type": "function", "function": {"name": "add"}}]})
    assert (one["text"], one["finish_reason"], one["usage"]["input_tokens"]) == (
        "first",
        "stop",
        11,
    )
    assert two["tool_calls"][0]["name"] == "add"
    assert json.loads(two["tool_calls"][0]["arguments"]) == {"a": 1, "b": 2}
    assert (two["reasoning"], two["finish_reason"]) == ("adding", "tool_calls")
    assert [r["messages"][0]["content"] for r in modelslab_script.requests] == ["Hi", "Hi"]
    assert modelslab_script.requests[1]["tools"][0]["function"]["name"] == "add"
    assert modelslab_script.pending == 0


def test_a_scripted_rate_limit_is_retried_into_the_next_reply(
    modelslab_script: ScriptedServer,
) -> None:
    modelslab_script.fail("429:0")  # retry_after 0 s
    modelslab_script.reply("after the wait")
    with client(modelslab_script, max_retries=1) as api:
        assert api.chat(REQUEST)["text"] == "after the wait"
    assert len(modelslab_script.requests) == 2


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("500:Upstream down", mt.InternalServerError),
        ("401", mt.AuthenticationError),
        ("200-messege", mt.APIStatusError),
        ("malformed-json", mt.MalformedResponseError),
    ],
)
def test_a_scripted_error_fails_as_the_server_would(
    modelslab_script: ScriptedServer, fault: str, error: type[Exception]
) -> None:
    modelslab_script.fail(fault)
    with client(modelslab_script, max_retries=0) as api, pytest.raises(error):
        api.chat(REQUEST)


def test_a_scripted_broken_stream_raises_after_its_first_events(
    modelslab_script: ScriptedServer,
) -> None:
    modelslab_script.reply("one two three four five six seven eight", fault="stream-truncated")
    seen: list[str] = []

    def read_all() -> None:
        with client(modelslab_script) as api, api.stream_chat(REQUEST) as stream:
            seen.extend(delta.get("text", "") for delta in stream)

    with pytest.raises(mt.StreamTruncatedError):
        read_all()
    assert "".join(seen)  # some text came before the break


def test_one_call_too_many_fails_at_that_call(modelslab_script: ScriptedServer) -> None:
    modelslab_script.reply("only one")
    with client(modelslab_script) as api:
        api.chat(REQUEST)
        with pytest.raises(mt.BadRequestError, match="no reply left for request 2"):
            api.chat(REQUEST)


def test_the_fixture_points_the_environment_at_the_server(
    modelslab_script: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    assert os.environ["MODELSLAB_BASE_URL"] == modelslab_script.base_url
    assert os.environ["MODELSLAB_API_KEY"] == modelslab_script.api_key


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"fault": "nope"}, "Unknown fault 'nope'"),
        ({"tool_calls": (("add", {"x": object()}),)}, "JSON text or JSON data"),
        ({"tool_calls": (("add",),)}, "a .name, arguments. pair"),
        ({"usage": (3,)}, "prompt_tokens, completion_tokens"),
    ],
)
def test_a_bad_reply_is_refused_when_queued(fields: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        Reply(**fields)


def test_a_script_file(tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text(
        json.dumps(
            [
                {"text": "Hello"},
                {"tool_calls": [{"name": "add", "arguments": {"a": 1}}]},
                {"fault": "429"},
            ]
        ),
        encoding="utf-8",
    )
    engine = load_script(path)
    assert engine.pending == 3
    path.write_text('[{"colour": "red"}]', encoding="utf-8")
    with pytest.raises(ValueError, match="entry 0"):
        load_script(path)
    path.write_text('{"text": "x"}', encoding="utf-8")
    with pytest.raises(ValueError, match="list of replies"):
        load_script(path)


def test_a_careless_reply_call_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="pair"):
        ScriptedEngine().reply(tool_calls=[5])
    with pytest.raises(ValueError, match="pair"):
        ScriptedEngine().reply(tool_calls=["add"])


def test_the_scripted_engine_is_an_engine() -> None:
    from modelslab_local import Engine

    assert isinstance(ScriptedEngine(), Engine)


# ----------------------------------------------------------- the README's examples

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_tests() -> str:
    """The README's python blocks that use the fixture, as one test module."""
    blocks = README.split("```python\n")[1:]
    code = [b.split("```", 1)[0] for b in blocks]
    return "\n\n".join(c for c in code if "modelslab_script" in c and "def test_" in c)


def test_the_readme_examples_run_as_tests(tmp_path: Path) -> None:
    source = readme_tests()
    assert source.count("def test_") >= 2  # a LangChain and a LlamaIndex example
    (tmp_path / "test_readme_examples.py").write_text(source, encoding="utf-8")
    # A fresh pytest run finds the fixture through the installed entry point alone.
    result = run_pytest(tmp_path, "-q")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout or "3 passed" in result.stdout
