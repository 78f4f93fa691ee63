"""A local, ModelsLab-compatible LLM server for tests, demos and offline development.

It speaks ModelsLab's v7 LLM API on loopback (Chat Completions, Messages, count_tokens,
models), with ModelsLab's auth and error shapes, realistic SSE streaming, selectable faults,
and a deterministic engine that behaves like a small instruction-following model::

    from modelslab_local import start_server

    with start_server() as server:
        print(server.base_url, server.api_key)

With the ``local-model`` extra installed, ``start_server(engine="auto")`` answers with a real
small model (SmolLM2-135M through llama.cpp) where it can; see :class:`LlamaEngine`.
"""

from __future__ import annotations

try:
    import starlette  # noqa: F401 - checked first, to name the missing extra
    import uvicorn  # noqa: F401
except ModuleNotFoundError as missing:
    raise ImportError(
        f'modelslab_local needs {missing.name}: pip install "modelslab-integrations[local]"'
    ) from missing

from ._app import DEFAULT_API_KEY, create_app
from ._deterministic import DeterministicEngine
from ._engine import (
    Engine,
    EngineAnswer,
    EngineRequest,
    EngineToolCall,
    EngineUsage,
    ImageInfo,
)
from ._faults import FAULT_HEADER, FAULTS, ID_HEADER, TIMES_HEADER
from ._llama_engine import ENGINE_ENV, LlamaEngine, describe_engine, llama_available, make_engine
from ._requests import API_PREFIX
from ._script import Reply, ScriptedEngine, ScriptError, load_script
from ._server import LocalServer, serve, start_server

__all__ = [
    "API_PREFIX",
    "DEFAULT_API_KEY",
    "ENGINE_ENV",
    "FAULTS",
    "FAULT_HEADER",
    "ID_HEADER",
    "TIMES_HEADER",
    "DeterministicEngine",
    "Engine",
    "EngineAnswer",
    "EngineRequest",
    "EngineToolCall",
    "EngineUsage",
    "ImageInfo",
    "LlamaEngine",
    "LocalServer",
    "Reply",
    "ScriptError",
    "ScriptedEngine",
    "create_app",
    "describe_engine",
    "llama_available",
    "load_script",
    "make_engine",
    "serve",
    "start_server",
]
