"""Running the server: in a background thread (tests, notebooks) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn

from ._app import create_app, default_api_key
from ._deterministic import DeterministicEngine
from ._engine import Engine
from ._llama_engine import make_engine
from ._protocol import REQUEST_TIMEOUT, guarded_protocol
from ._requests import API_PREFIX

STARTUP_TIMEOUT = 10.0


class LocalServer:
    """A running local server. Stop it with :meth:`stop` or use it as a context manager.

    Example:
        ```python
        from modelslab_local import start_server
        from modelslab_transport import ModelsLabClient, RateLimitError

        with start_server() as server:
            faulty = server.fault_base_url("429:0")  # every request through it gets a 429
            with ModelsLabClient(server.api_key, base_url=faulty, max_retries=0) as client:
                try:
                    client.list_models()
                except RateLimitError as error:
                    print(error.status_code)
        ```

        ``notebooks/01_langchain_quickstart.ipynb`` starts one in its first cell; faults:
        ``docs/local-server.md``.

    Attributes:
        host: The bound host.
        port: The bound port (the real one when ``0`` was asked for).
        api_key: The key the server accepts.
        engine: The engine that answers.
    """

    def __init__(
        self, server: uvicorn.Server, sock: socket.socket, api_key: str, engine: Engine
    ) -> None:
        self._server = server
        self._socket = sock
        self.host, self.port = sock.getsockname()[:2]
        self.api_key = api_key
        self.engine = engine
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="modelslab-local", daemon=True
        )

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:8765``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL clients use, e.g. ``http://127.0.0.1:8765/api/v7/llm``."""
        return self.url + API_PREFIX

    def fault_base_url(self, spec: str) -> str:
        """A base URL whose requests all get the fault ``spec`` (``/fault/<spec>/api/v7/llm``)."""
        return f"{self.url}/fault/{spec}{API_PREFIX}"

    def _start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the local ModelsLab server failed to start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)
        self._socket.close()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalServer(base_url={self.base_url!r})"


def resolve_engine(engine: Engine | str | None) -> Engine:
    """An engine object from an engine, an engine name, or ``None`` (deterministic)."""
    if engine is None:
        return DeterministicEngine()
    return make_engine(engine) if isinstance(engine, str) else engine


def _config(
    host: str,
    port: int,
    api_key: str,
    engine: Engine,
    allow_unknown_models: bool,
    log_level: str,
    request_timeout: float = REQUEST_TIMEOUT,
) -> uvicorn.Config:
    app = create_app(api_key, engine, allow_unknown_models=allow_unknown_models)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        http=guarded_protocol(request_timeout),
        timeout_graceful_shutdown=1,
    )


def start_server(
    host: str = "127.0.0.1",
    port: int = 0,
    api_key: str | None = None,
    engine: Engine | str | None = None,
    *,
    allow_unknown_models: bool = False,
    log_level: str = "warning",
    request_timeout: float = REQUEST_TIMEOUT,
) -> LocalServer:
    """Start the server in a daemon thread and return once it accepts connections.

    Example:
        ```python
        from modelslab_local import start_server
        from modelslab_transport import ModelsLabClient

        with start_server() as server:  # a free loopback port; stopped on leaving the block
            with ModelsLabClient(server.api_key, base_url=server.base_url) as client:
                print([model["id"] for model in client.list_models()][:3])
        ```

        Every notebook starts one when ``MODELSLAB_API_KEY`` is not set, e.g.
        ``notebooks/01_langchain_quickstart.ipynb``.

    Args:
        host: Interface to bind; loopback by default.
        port: Port to bind; ``0`` picks a free one (see :attr:`LocalServer.port`).
        api_key: The accepted key; default ``$MODELSLAB_LOCAL_API_KEY`` or ``modelslab-local``.
        engine: The model behind the API: an :class:`Engine`, or a name for
            :func:`make_engine` (``"auto"``, ``"deterministic"``, ``"llama"``). The
            deterministic engine by default, so tests get the same answer every time.
        allow_unknown_models: Serve model ids the catalog does not list instead of a 404.
        log_level: uvicorn's log level.
        request_timeout: Seconds a client has to send each request whole (head and body)
            once its connection is open or its previous answer ended; a connection that
            takes longer is closed, so slow senders cannot hold connections forever.

    Returns:
        The running :class:`LocalServer`.
    """
    key = api_key or default_api_key()
    chosen = resolve_engine(engine)
    sock = _bind(host, port)
    config = _config(host, port, key, chosen, allow_unknown_models, log_level, request_timeout)
    handle = LocalServer(uvicorn.Server(config), sock, key, chosen)
    handle._start()
    return handle


def _bind(host: str, port: int) -> socket.socket:
    # Binding before uvicorn starts tells the real port at once, even for port 0.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening at once lets clients connect (and wait in the backlog) before the event
        # loop is up, so nobody sees "connection refused" during start-up.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    api_key: str | None = None,
    engine: Engine | str | None = None,
    *,
    allow_unknown_models: bool = False,
    log_level: str = "info",
    on_ready: Callable[[str], None] | None = None,
    request_timeout: float = REQUEST_TIMEOUT,
) -> None:
    """Serve in the foreground until interrupted (what ``modelslab-local serve`` runs).

    Args:
        host: Interface to bind.
        port: Port to bind; ``0`` picks a free one.
        api_key: The accepted key; default ``$MODELSLAB_LOCAL_API_KEY`` or ``modelslab-local``.
        engine: The model behind the API: an :class:`Engine` or an engine name (see
            :func:`start_server`); the deterministic engine by default.
        allow_unknown_models: Serve model ids the catalog does not list instead of a 404.
        log_level: uvicorn's log level.
        on_ready: Called with the API base URL once the port is bound.
        request_timeout: Seconds a client has to send each request whole (see
            :func:`start_server`).
    """
    key = api_key or default_api_key()
    chosen = resolve_engine(engine)
    sock = _bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    if on_ready is not None:
        on_ready(f"http://{shown}:{bound_port}{API_PREFIX}")
    config = _config(
        host, bound_port, key, chosen, allow_unknown_models, log_level, request_timeout
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
