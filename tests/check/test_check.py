"""``modelslab-check`` against the local server: record, scrub, replay with the server stopped.

The battery runs against ``modelslab_local`` with a recognisable key; the recorded cassettes
are then replayed by the check itself and by vcrpy (what pytest-recording and langchain-tests
use), with the server gone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
import yaml

from modelslab_local import start_server
from modelslab_pytest import modelslab_vcr_config
from modelslab_transport import ChatRequest, ConfigurationError, ModelsLabClient
from modelslab_transport.check import CassetteRecorder, CassetteReplayer, main, run_battery

KEY = "sk-check-RECOGNISABLE-7f3a9c"
MODEL = "baidu-ernie-4.5-vl-28b-a3b"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--json", "--model", MODEL])
    return code, json.loads(capsys.readouterr().out)


def test_record_scrubs_and_replay_matches_with_server_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with start_server(api_key=KEY) as server:
        monkeypatch.setenv("MODELSLAB_API_KEY", KEY)
        monkeypatch.setenv("MODELSLAB_BASE_URL", server.base_url)
        code, live = _run(["--record", str(tmp_path)], capsys)
    assert code == 0
    assert len(live["probes"]) >= 8
    assert {p["outcome"] for p in live["probes"]} <= {"ok", "differs", "skipped"}
    files = sorted(tmp_path.iterdir())
    assert {f.stem for f in files} == {p["name"] for p in live["probes"]}
    for file in files:
        assert KEY.encode() not in file.read_bytes(), file.name

    monkeypatch.delenv("MODELSLAB_API_KEY")  # replay needs no key and, the server gone, no network
    code, replayed = _run(["--replay", str(tmp_path)], capsys)
    assert code == 0
    outcomes = [(p["name"], p["outcome"], p["detail"]) for p in live["probes"]]
    assert [(p["name"], p["outcome"], p["detail"]) for p in replayed["probes"]] == outcomes
    assert replayed["cost_usd"] == live["cost_usd"]
    assert live["cost_usd"] > 0

    # vcrpy (pytest-recording's engine) plays the same files: a chat with the server stopped.
    cassette = vcr.VCR(record_mode="none", match_on=["method", "path"])
    client = ModelsLabClient(KEY, base_url=server.base_url, max_retries=0)
    with cassette.use_cassette(str(tmp_path / "openai.chat.yaml")), client:
        answer = client.chat(
            {"model": MODEL, "messages": [{"role": "user", "content": "x"}], "max_tokens": 9}
        )
    recorded = yaml.safe_load((tmp_path / "openai.chat.yaml").read_text())
    body = json.loads(recorded["interactions"][0]["response"]["body"]["string"])
    assert answer["text"] == body["choices"][0]["message"]["content"]


def test_no_key_says_in_one_line_how_to_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODELSLAB_API_KEY", raising=False)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "MODELSLAB_API_KEY" in err
    assert "modelslab-check" in err


def test_replay_of_a_missing_directory_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="No cassette directory"):
        CassetteReplayer(tmp_path / "absent")


def test_vcr_config_keeps_the_key_out_of_cassettes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented ``vcr_config`` scrubs headers, the JSON ``key``, the query and echoes."""
    monkeypatch.setenv("MODELSLAB_API_KEY", KEY)
    path = tmp_path / "echo.yaml"
    request: ChatRequest = {
        "model": MODEL,
        "messages": [{"role": "user", "content": f"Repeat: {KEY}"}],
        "max_tokens": 9,
    }
    recorder = vcr.VCR(**modelslab_vcr_config())
    with start_server(api_key=KEY) as server, recorder.use_cassette(str(path)):
        with ModelsLabClient(KEY, base_url=server.base_url, key_in_body=True) as client:
            client.chat(request)
        httpx.get(f"{server.base_url}/v1/models", params={"key": KEY}, headers={"key": KEY})
    text = path.read_text()
    assert KEY not in text
    assert "<MODELSLAB_API_KEY>" in text


def test_recorder_scrubs_echoes_body_key_and_query(tmp_path: Path) -> None:
    """A server echoing the key in its body and headers; the key in the JSON body and query."""

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"x-echo": request.headers["x-api-key"]}, content=request.content
        )

    recorder = CassetteRecorder(tmp_path, KEY, inner=httpx.MockTransport(echo))
    recorder.start("echo")
    with httpx.Client(transport=recorder) as client:
        answer = client.post(
            "https://api.test/v1/messages",
            params={"key": KEY},
            headers={"x-api-key": KEY, "Authorization": f"Bearer {KEY}"},
            json={"key": KEY, "model": MODEL},
        )
    recorder.close()
    assert answer.json()["key"] == KEY  # the caller sees the real answer; only the file is scrubbed
    text = (tmp_path / "echo.yaml").read_text()
    assert KEY not in text
    assert text.count("<MODELSLAB_API_KEY>") == 6  # query, 2 headers, body, echoed body, header


def _plain_api(request: httpx.Request) -> httpx.Response:
    """An API that lists other models, never calls tools and puts errors in 200 answers."""
    if request.headers["authorization"] != f"Bearer {KEY}":
        return httpx.Response(200, json={"status": "error", "message": "Invalid API key"})
    if request.url.path.endswith("/models"):
        return httpx.Response(200, json={"data": [{"id": "Qwen/Qwen2.5-VL-72B-Instruct"}]})
    if json.loads(request.content)["model"] != MODEL:
        return httpx.Response(200, json={"status": "error", "message": "Model not found"})
    message = {"role": "assistant", "content": '{"name": "Paris"}'}
    return httpx.Response(
        200,
        json={
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        },
    )


def test_answers_unlike_the_docs_differ_and_name_the_point() -> None:
    transport = httpx.MockTransport(_plain_api)
    url = "https://api.test/api/v7/llm"
    with (
        ModelsLabClient(KEY, base_url=url, transport=transport, max_retries=0) as client,
        ModelsLabClient("wrong", base_url=url, transport=transport, max_retries=0) as wrong,
    ):
        report = run_battery(client, wrong, MODEL, ["openai"])
    got = {p["name"]: (p["outcome"], p["contradiction"]) for p in report["probes"]}
    assert got["models"] == ("differs", 4)
    assert got["openai.tools_auto"] == ("differs", 6)
    assert got["openai.tools_forced"] == ("differs", 6)
    assert got["error.wrong_model"] == ("differs", 7)
    assert got["error.wrong_key"] == ("differs", 7)
    assert got["openai.chat"] == ("ok", None)
    assert got["openai.json_mode"] == ("ok", None)
    assert "anthropic.count_tokens" not in got
    assert report["cost_usd"] > 0


def test_recording_without_vcrpy_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "vcr", None)  # as if the record extra were not installed
    monkeypatch.setenv("MODELSLAB_API_KEY", KEY)
    assert main(["--record", str(tmp_path)]) == 2
    assert "modelslab-integrations[record]" in capsys.readouterr().err
