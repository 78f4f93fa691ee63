"""What the ``modelslab_script`` fixture guarantees, tried as a user's own suite would.

A user's test module builds its models at import time with whatever the shell names (here a
second local server standing in for the real API, with a "real" key). Its tests use the
fixture. The run must reach the script only: the stand-in receives nothing, whatever the
call style, copy or pickle. Unused replies fail the test unless it opts out, and a failing
test's report lists the requests the script received.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_helpers import run_pytest

from modelslab_local import Reply, ScriptedEngine, ScriptError, load_script, start_server

SHELL_KEY = "sk-shell-key-must-never-be-used"

USER_MODULE = """
import asyncio
import copy
import pickle

import pytest
from langchain_modelslab import ChatModelsLab
from llama_index.core.llms import ChatMessage
from llama_index_modelslab import ModelsLabLLM

MODEL = "baidu-ernie-4.5-vl-28b-a3b"
CHAT = ChatModelsLab(model=MODEL, api_key=SHELL_KEY, base_url=SHELL_URL, max_retries=0)
LLM = ModelsLabLLM(model=MODEL, api_key=SHELL_KEY, base_url=SHELL_URL, max_retries=0)
HI = [ChatMessage(role="user", content="hi")]


@pytest.fixture(scope="module")
def wide_chat():
    return ChatModelsLab(model=MODEL, api_key=SHELL_KEY, base_url=SHELL_URL, max_retries=0)


def test_langchain_module_level(modelslab_script, wide_chat):
    for text in ("one", "two", "three", "four"):
        modelslab_script.reply(text)
    assert CHAT.invoke("hi").content == "one"
    assert "".join(c.content for c in CHAT.stream("hi")) == "two"
    assert asyncio.run(CHAT.ainvoke("hi")).content == "three"
    assert wide_chat.invoke("hi").content == "four"


def test_langchain_copies(modelslab_script):
    modelslab_script.reply("copied")
    modelslab_script.reply("pickled")
    assert CHAT.model_copy(update={"temperature": 0.1}).invoke("hi").content == "copied"
    assert pickle.loads(pickle.dumps(CHAT)).invoke("hi").content == "pickled"


def test_llama_index_module_level(modelslab_script):
    for text in ("one", "two", "three"):
        modelslab_script.reply(text)
    assert LLM.chat(HI).message.content == "one"
    assert [r.delta for r in LLM.stream_chat(HI)][-1] is not None
    assert asyncio.run(LLM.achat(HI)).message.content == "three"
    assert copy.deepcopy(LLM) is not None


def test_unused_replies_fail(modelslab_script):
    modelslab_script.reply("used")
    modelslab_script.reply("left over", usage=(3, 2))
    CHAT.invoke("hi")


@pytest.mark.modelslab_script(assert_all_replies_used=False)
def test_unused_replies_allowed(modelslab_script):
    modelslab_script.reply("used")
    modelslab_script.reply("left over")
    CHAT.invoke("hi")


def test_failure_lists_requests(modelslab_script):
    modelslab_script.reply("Paris")
    CHAT.invoke("What is the capital of France?")
    assert False, "the user's own assertion"
"""


@pytest.fixture(scope="module")
def user_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ScriptedEngine]]:
    """The user's module run once by a fresh pytest, with the shell's server standing by."""
    shell = ScriptedEngine()
    folder = tmp_path_factory.mktemp("user_suite")
    with start_server(engine=shell, allow_unknown_models=True) as server:
        header = f"SHELL_URL = {server.base_url!r}\nSHELL_KEY = {SHELL_KEY!r}\n"
        (folder / "test_user.py").write_text(header + USER_MODULE, encoding="utf-8")
        result = run_pytest(folder, "-rA")
        yield result.stdout + result.stderr, shell


def outcome(output: str, name: str) -> set[str]:
    """The short-summary outcomes pytest printed for test ``name`` (PASSED, FAILED, ERROR)."""
    target = f"test_user.py::{name}"
    return {
        words[0]
        for words in map(str.split, output.splitlines())
        if len(words) > 1 and words[0] in ("PASSED", "FAILED", "ERROR") and words[1] == target
    }


@pytest.mark.parametrize(
    "name",
    ["test_langchain_module_level", "test_langchain_copies", "test_llama_index_module_level"],
)
def test_models_built_before_the_fixture_talk_to_the_script(
    user_run: tuple[str, ScriptedEngine], name: str
) -> None:
    output, shell = user_run
    assert outcome(output, name) == {"PASSED"}, output[-3000:]
    assert shell.requests == []  # nothing reached the server the shell names


def test_replies_never_used_fail_the_test_and_are_listed(
    user_run: tuple[str, ScriptedEngine],
) -> None:
    output, _ = user_run
    assert outcome(output, "test_unused_replies_fail") == {"PASSED", "ERROR"}, output[-3000:]
    assert "1 scripted reply was never used" in output
    assert "Reply(text='left over', usage=(3, 2))" in output
    assert "assert_all_replies_used=False" in output
    assert outcome(output, "test_unused_replies_allowed") == {"PASSED"}


def test_a_failing_test_shows_the_requests_the_script_received(
    user_run: tuple[str, ScriptedEngine],
) -> None:
    output, _ = user_run
    assert outcome(output, "test_failure_lists_requests") == {"FAILED"}
    section = output.split("modelslab_script requests", 1)[1]
    assert "The script received 1 request(s):" in section
    assert "user: What is the capital of France?" in section
    # The unused-replies check does not pile onto a test that already failed.
    assert "never used" not in section.split("short test summary", 1)[0]


# ------------------------------------------------------------------ replies checked when queued


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"text": 123}, "text must be text or None, got int"),
        ({"reasoning": ["a", "b"]}, "reasoning must be text or None, got list"),
        ({"text": "half \ud800 a pair"}, "lone surrogate"),
        ({"finish_reason": "done"}, "finish_reason must be one of"),
        ({"fault": 5}, "Unknown fault 5"),
        ({"usage": (True, 2)}, "prompt_tokens, completion_tokens"),
        ({"tool_calls": (("add", {"x": float("nan")}),)}, "JSON text or JSON data"),
    ],
)
def test_a_reply_the_server_could_not_send_is_refused_when_queued(
    fields: dict[str, object], needle: str
) -> None:
    with pytest.raises(ScriptError, match=needle):
        ScriptedEngine().queue(Reply(**fields))  # type: ignore[arg-type]


def test_a_misspelt_reply_field_lists_the_valid_ones() -> None:
    with pytest.raises(ScriptError, match=r"no field 'txt' \(did you mean 'text'\?\); the fields"):
        ScriptedEngine().reply(txt="Paris")


def test_a_script_file_speaks_its_own_language(tmp_path: Path) -> None:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps([{"fault": 5}]), encoding="utf-8")
    with pytest.raises(ScriptError, match=r"entry 0: Unknown fault 5"):
        load_script(path)
    path.write_text(json.dumps([{"txt": "Hello"}]), encoding="utf-8")
    with pytest.raises(ScriptError, match=r"entry 0 has no key 'txt' \(did you mean 'text'\?\)"):
        load_script(path)
    path.write_text(json.dumps([{"text": "Hello"}]), encoding="utf-8")
    engine = load_script(path)
    engine.next_reply({"messages": []})
    with pytest.raises(Exception, match=r"script file .*replies.json has no entry left") as error:
        engine.next_reply({"messages": []})
    assert "reply(" not in str(error.value)  # the file's terms, not the Python API's


def test_serve_with_a_bad_script_prints_one_line(tmp_path: Path) -> None:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps([{"fault": 5}]), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "modelslab_local", "serve", "--script", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "entry 0: Unknown fault 5" in result.stderr
