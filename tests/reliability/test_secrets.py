"""The API key never leaks: not in reprs, serialized or pickled models, logs, errors,
tracebacks or request bodies, and never over plain http to a host that is not loopback."""

from __future__ import annotations

import json
import logging
import pickle
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.exceptions import ModelError
from langchain_core.load import dumps

import modelslab_transport as mt
from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_local import LocalServer, start_server

from .harness import FRAMEWORKS, MODES, ask, check_sum, make_model

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

SECRET = "sk-live-7f3a9c1e5b2d4f6a8c0e"
MODEL = "google-gemini-2.5-flash"


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[LocalServer]:
    """A local server whose accepted key is :data:`SECRET`."""
    with start_server(api_key=SECRET) as handle:
        yield handle


def _models() -> list[Any]:
    return [
        ChatModelsLab(api_key=SECRET, default_headers={"x-team": "a"}),
        ModelsLabLLM(api_key=SECRET, default_headers={"x-team": "a"}),
    ]


def _surfaces(model: Any) -> dict[str, str]:
    """The ways a model is shown or serialized that the invariant harness does not read.

    Its ``serialization`` surface (``invariants/surfaces.py``) checks ``repr``, ``pickle``
    (and the unpickled model's ``repr``), LangChain's ``dumps`` and LlamaIndex's ``to_dict``
    and ``to_json`` under every generated setting; these are the rest.
    """
    out = {
        "str": str(model),
        "model_dump": str(model.model_dump()),
        "model_dump_json": model.model_dump_json(),
    }
    if isinstance(model, ChatModelsLab):
        out["to_json"] = str(model.to_json())
    else:
        out["payload"] = str(model.to_payload())
    return out


@pytest.mark.parametrize("model", _models(), ids=FRAMEWORKS)
def test_key_is_never_in_reprs_or_serialized_models(model: Any) -> None:
    for surface, text in _surfaces(model).items():
        assert SECRET not in text, surface
    assert model.api_key.get_secret_value() == SECRET  # still usable


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_unpickled_model_takes_the_key_from_its_environment(
    framework: str, keyed_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls: Any = ChatModelsLab if framework == "langchain" else ModelsLabLLM
    model = cls(api_key=SECRET, base_url=keyed_server.base_url, model=MODEL)
    shipped = pickle.dumps(model)
    assert SECRET.encode() not in shipped
    monkeypatch.setenv("MODELSLAB_API_KEY", "sk-some-other-key")
    elsewhere = pickle.loads(shipped)
    with pytest.raises(mt.AuthenticationError):  # it really uses the environment's key
        await ask(elsewhere, "invoke", "What is 2 + 3?")
    monkeypatch.setenv("MODELSLAB_API_KEY", SECRET)
    worker = pickle.loads(shipped)
    check_sum(await ask(worker, "invoke", "What is 2 + 3?"), 2, 3)
    for made in (model, elsewhere, worker):
        made.close()


async def test_transport_clients_never_show_the_key() -> None:
    async with mt.AsyncModelsLabClient(SECRET) as aclient:
        with mt.ModelsLabClient(SECRET) as client:
            for shown in (client, aclient, client._config, aclient._config):
                assert SECRET not in repr(shown)
                assert SECRET not in str(shown)


# ----------------------------------------------------------- errors, tracebacks, logs


def _echo(request: httpx.Request) -> httpx.Response:
    """A hostile server: every error message and body echoes the credentials it received."""
    creds = request.headers.get("authorization", "")
    body = json.loads(request.content)
    if body.get("stream"):
        events = [
            {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]},
            {"error": {"message": f"upstream rejected {creds}", "code": 500}},
        ]
        sse = "".join(f"data: {json.dumps(e)}\n\n" for e in events)
        return httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})
    error = {"message": f"Invalid key {creds}", "type": "authentication_error", "key": SECRET}
    return httpx.Response(401, json={"error": error})


def _leaks(exc: BaseException) -> list[str]:
    """Where ``exc`` shows the key: message, repr, traceback (with its chain), attributes."""
    views = {
        "str": str(exc),
        "repr": repr(exc),
        "traceback": "".join(traceback.format_exception(exc)),
        "args": repr(exc.args),
        "body": repr(getattr(exc, "body", None)),
        "message": str(getattr(exc, "message", "")),
    }
    return [name for name, text in views.items() if SECRET in text]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_errors_from_a_server_that_echoes_the_key_are_redacted(
    framework: str, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    http = httpx.Client(transport=httpx.MockTransport(_echo))
    ahttp = httpx.AsyncClient(transport=httpx.MockTransport(_echo))
    model = make_model(
        framework, http, ahttp, api_key=SECRET, base_url="https://api.test/v7", model=MODEL
    )
    with pytest.raises(mt.APIError) as info:
        await ask(model, mode, "What is 2 + 3?")
    await _close((http, ahttp))
    assert _leaks(info.value) == []
    assert "***" in str(info.value)  # the server's words are kept, the key is masked
    _assert_logs_clean(caplog)


def _assert_logs_clean(caplog: pytest.LogCaptureFixture) -> None:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for record in caplog.records:
        shown = formatter.format(record) + repr(record.args)
        assert SECRET not in shown, f"{record.name}: {record.getMessage()}"


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_logs_at_every_level_never_show_the_key(
    keyed_server: LocalServer,
    framework: str,
    fault_id: str,
    wired: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A full sequence of failing, retried and succeeding calls, logged at DEBUG."""
    caplog.set_level(logging.DEBUG)
    steps: list[tuple[str | None, str, bool]] = [
        (None, mode, True)
        for mode in MODES  # plain successes
    ] + [
        (f"429:0*1@{fault_id}-429", "invoke", True),  # retried (logged), then success
        (f"reset*1@{fault_id}-reset", "ainvoke", True),
        ("401", "invoke", False),
        ("stream-error", "astream", False),
        ("stream-drop", "stream", False),
    ]
    for fault, mode, succeeds in steps:
        base = keyed_server.fault_base_url(fault) if fault else keyed_server.base_url
        model, _ = wired(framework, api_key=SECRET, base_url=base, model=MODEL)
        if succeeds:
            check_sum(await ask(model, mode, "What is 2 + 3?"), 2, 3)
            continue
        with pytest.raises(mt.APIError) as info:
            await ask(model, mode, "What is 2 + 3?")
        assert _leaks(info.value) == []
    assert any(r.levelno == logging.INFO and "Retrying" in r.getMessage() for r in caplog.records)
    _assert_logs_clean(caplog)


# ------------------------------------------------------------------ what is sent


class _Recorder:
    """A MockTransport handler answering a valid completion and keeping every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        choice = {"index": 0, "message": {"role": "assistant", "content": "2 + 3 = 5."}}
        return httpx.Response(200, json={"id": "c", "model": MODEL, "choices": [choice]})


def _recorded(framework: str, base_url: str, **kwargs: Any) -> tuple[Any, _Recorder, Any]:
    recorder = _Recorder()
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    ahttp = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    kwargs.setdefault("model", MODEL)
    model = make_model(framework, http, ahttp, api_key=SECRET, base_url=base_url, **kwargs)
    return model, recorder, (http, ahttp)


async def _close(clients: Any) -> None:
    clients[0].close()
    await clients[1].aclose()


def _bodies(requests: list[httpx.Request]) -> list[dict[str, Any]]:
    return [json.loads(request.content) for request in requests]


async def _every_mode(
    wired: Any, framework: str, server: LocalServer, api_format: str, **settings: Any
) -> tuple[Any, Any]:
    """A model on ``server`` with the key, asked once in each call mode; its model and tally."""
    model, tally = wired(
        framework,
        api_key=SECRET,
        base_url=server.base_url,
        model=MODEL,
        api_format=api_format,
        **settings,
    )
    for mode in MODES:
        check_sum(await ask(model, mode, "What is 2 + 3?"), 2, 3)
    return model, tally


@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_key_travels_in_headers_only(
    keyed_server: LocalServer, wired: Any, framework: str, api_format: str
) -> None:
    """Every call mode, streams included, against a server that checks the key."""
    model, tally = await _every_mode(wired, framework, keyed_server, api_format)
    sent = [False, False, True, True]  # whether each request asked for a stream
    if isinstance(model, ChatModelsLab):
        model.get_num_tokens("hello")  # the count_tokens endpoint
        sent.append(False)
    assert [body.get("stream", False) for body in _bodies(tally.requests)] == sent
    for request, body in zip(tally.requests, _bodies(tally.requests), strict=True):
        assert SECRET not in str(request.url)
        assert SECRET.encode() not in request.content
        assert "key" not in body
        assert request.headers["authorization"] == f"Bearer {SECRET}"


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("api_format", ["openai", "anthropic"])
async def test_key_in_body_only_with_the_legacy_option(
    keyed_server: LocalServer, wired: Any, api_format: str, framework: str
) -> None:
    """``key_in_body=True`` adds it to every body, streams included."""
    _, tally = await _every_mode(wired, framework, keyed_server, api_format, key_in_body=True)
    bodies = _bodies(tally.requests)
    assert [body.get("stream", False) for body in bodies] == [False, False, True, True]
    assert [body["key"] for body in bodies] == [SECRET] * 4


INSECURE = [
    "http://api.example.test/api/v7/llm",
    "http://[::ffff:10.0.0.8]/v7",  # IPv4-mapped, but not loopback
    "http://10.0.0.8:8080/v7",
    "http://0.0.0.0:8765/api/v7/llm",
    "http://127.0.0.1.nip.io/api/v7/llm",
    "http://localhost.example.test/v7",
]
LOOPBACK = [
    "http://127.0.0.1:8765/api/v7/llm",
    "http://127.8.9.10/v7",
    "http://localhost:8765/v7",
    "http://LOCALHOST/v7",
    "http://[::1]:8765/v7",
    "http://[::ffff:7f00:1]/v7",  # IPv4-mapped 127.0.0.1: loopback on every Python version
    "http://[::ffff:127.0.0.1]:8765/v7",
    "http://api.localhost/v7",
    "https://api.example.test/v7",
]
# Credentials in the URL: refused whatever the host (httpx would send them as Basic auth in
# place of the key, and the password would show in reprs and logs).
WITH_CREDENTIALS = [
    "http://127.0.0.1@evil.example.test/v7",
    "http://127.0.0.1:80@evil.example.test/v7",
    "http://evil.example.test@127.0.0.1/v7",
    "https://user:hunter2-password@api.example.test/v7",
]


@pytest.mark.parametrize("base_url", WITH_CREDENTIALS)
def test_credentials_in_the_base_url_are_refused_at_construction(base_url: str) -> None:
    """Refused by every class before anything is sent, or shown in a repr."""
    makers: list[Any] = [
        lambda: ChatModelsLab(api_key=SECRET, base_url=base_url),
        lambda: ModelsLabLLM(api_key=SECRET, base_url=base_url),
        lambda: mt.ModelsLabClient(SECRET, base_url=base_url),
        lambda: mt.AsyncModelsLabClient(SECRET, base_url=base_url),
    ]
    for make in makers:
        with pytest.raises(mt.ConfigurationError, match="user name or password") as info:
            make()
        assert "hunter2" not in str(info.value)
        assert SECRET not in str(info.value)
    model = ChatModelsLab(api_key=SECRET)
    with pytest.raises(mt.ConfigurationError, match="user name or password"):
        model.base_url = base_url  # assignment is checked before it takes effect
    assert model.base_url != base_url


@pytest.mark.parametrize("cls", [ChatModelsLab, ModelsLabLLM])
def test_a_validation_error_does_not_print_the_key(cls: Any) -> None:
    with pytest.raises(ValueError, match="temperature") as info:
        cls(api_key=SECRET, temperature="very hot")
    assert SECRET[:8] not in str(info.value)
    assert SECRET[:8] not in repr(info.value)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("base_url", INSECURE)
async def test_plain_http_to_a_remote_host_is_refused_before_sending(
    framework: str, mode: str, base_url: str
) -> None:
    model, recorder, clients = _recorded(framework, base_url)
    with pytest.raises(mt.ConfigurationError, match="plain http") as info:
        await ask(model, mode, "What is 2 + 3?")
    await _close(clients)
    assert recorder.requests == []
    if framework == "langchain":
        assert isinstance(info.value, ModelError)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("base_url", LOOPBACK)
async def test_loopback_and_https_are_allowed(framework: str, base_url: str) -> None:
    model, recorder, clients = _recorded(framework, base_url)
    await ask(model, "ainvoke", "What is 2 + 3?")
    await _close(clients)
    (request,) = recorder.requests
    # The host the request really went to is the one the check accepted.
    host = request.url.host
    assert (
        request.url.scheme == "https"
        or host in ("localhost", "::1", "::ffff:7f00:1", "::ffff:127.0.0.1")
        or (host.startswith("127.") or host.endswith(".localhost"))
    )


async def test_plain_http_needs_the_explicit_opt_in() -> None:
    model, recorder, clients = _recorded(
        "langchain", "http://proxy.internal.test/v7", allow_insecure_http=True
    )
    await ask(model, "ainvoke", "What is 2 + 3?")
    await _close(clients)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_redirects_are_not_followed(kind: str) -> None:
    """A redirect would carry the ``x-api-key`` header to a host nobody configured."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(307, headers={"location": "http://evil.example.test/v1/messages"})

    common: dict[str, Any] = {"base_url": "https://api.test/v7", "max_retries": 0}
    request: mt.ChatRequest = {"model": MODEL, "messages": [{"role": "user", "content": "x"}]}

    async def send() -> None:
        if kind == "sync":
            with mt.ModelsLabClient(SECRET, transport=httpx.MockTransport(handler), **common) as c:
                c.chat(request, api_format="anthropic")
            return
        transport = httpx.MockTransport(handler)
        async with mt.AsyncModelsLabClient(SECRET, transport=transport, **common) as ac:
            await ac.chat(request, api_format="anthropic")

    with pytest.raises(mt.APIStatusError) as info:
        await send()
    assert info.value.status_code == 307
    assert [r.url.host for r in seen] == ["api.test"]


@pytest.mark.parametrize("cls", [ChatModelsLab, ModelsLabLLM])
def test_default_headers_stay_out_of_repr_dumps_and_pickle(cls: Any) -> None:
    token = "hdr-credential-91f3"
    model = cls(api_key=SECRET, default_headers={"X-Proxy-Auth": token})
    shown = [repr(model), str(model), pickle.dumps(model).hex(), token.encode().hex()]
    assert token not in shown[0]
    assert token not in shown[1]
    assert shown[3] not in shown[2]  # the pickle's bytes do not hold the header value
    if cls is ChatModelsLab:
        assert token not in dumps(model)
    assert pickle.loads(pickle.dumps(model)).default_headers is None
