"""A scripted engine: the server answers each request with the next reply a test queued.

For testing your own agents and chains through the real HTTP stack with no key and no model:
queue exact answers (text, tool calls, reasoning, usage), HTTP errors or broken streams, send
requests through LangChain, LlamaIndex or the raw client, then read back the request bodies
the server received. Faults are the server's own (``FAULTS``): ``"429"``, ``"500"``,
``"stream-drop"``, ``"stream-truncated"``, ... so each fails exactly as it does there.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._engine import EngineAnswer, EngineRequest, EngineToolCall, EngineUsage
from ._errors import ApiError
from ._faults import FAULTS, lookup

__all__ = ["Reply", "ScriptedEngine", "load_script"]


@dataclass(frozen=True, slots=True)
class Reply:
    """One scripted answer, or one failure.

    Attributes:
        text: The visible text (``None`` with tool calls only).
        reasoning: Reasoning text, for models that show it.
        tool_calls: ``(name, arguments)`` pairs; arguments a dict or JSON text.
        finish_reason: ``stop``, ``length`` or ``tool_calls``; inferred when ``None``.
        usage: ``(prompt_tokens, completion_tokens)``; counted from the text when ``None``.
        fault: A fault of the server's ``FAULTS`` (``"429"``, ``"500:Upstream down"``,
            ``"stream-drop"``...) applied to this request; an error fault needs no answer.

    Example:
        ```python
        from modelslab_local import Reply, ScriptedEngine

        engine = ScriptedEngine().queue(
            Reply(tool_calls=(("add", {"a": 1, "b": 2}),)),
            Reply("Then the sum: 3.", usage=(40, 5)),
            Reply(fault="429"),
        )
        print(engine.pending)
        ```

        The server these replies come from: ``notebooks/01_langchain_quickstart.ipynb``.
    """

    text: str | None = None
    reasoning: str | None = None
    tool_calls: tuple[tuple[str, Any], ...] = ()
    finish_reason: str | None = None
    usage: tuple[int, int] | None = None
    fault: str | None = None

    def __post_init__(self) -> None:
        # Checked when queued, so a bad reply fails the test line that wrote it rather than
        # becoming a server error (retried by the client) at request time.
        if self.fault is not None and lookup(self.fault.split(":")[0]) is None:
            raise ValueError(f"Unknown fault {self.fault!r}; known: {', '.join(FAULTS)}.")
        for call in self.tool_calls:
            if len(call) != 2 or not isinstance(call[0], str) or not call[0]:
                raise ValueError(f"A tool call is a (name, arguments) pair, got {call!r:.80}.")
            _arguments(call[1])
        if self.usage is not None and not (
            len(self.usage) == 2 and all(isinstance(n, int) and n >= 0 for n in self.usage)
        ):
            raise ValueError(f"usage is (prompt_tokens, completion_tokens), got {self.usage!r}.")

    def answer(self) -> EngineAnswer:
        """This reply as the engine's answer."""
        calls = [EngineToolCall(name, _arguments(args)) for name, args in self.tool_calls]
        finish = self.finish_reason or ("tool_calls" if calls else "stop")
        usage = EngineUsage(*self.usage) if self.usage else None
        return EngineAnswer(self.text, self.reasoning, calls, finish, usage=usage)


@dataclass
class ScriptedEngine:
    """Answers each request with the next queued :class:`Reply`; records what it received.

    A request with no reply left is answered with HTTP 400 ``script_exhausted`` (not retried),
    naming how many requests came: a test that makes one call too many fails at that call.

    Attributes:
        requests: The JSON bodies received, in order (chat and Messages requests).

    Example:
        ```python
        from modelslab_local import ScriptedEngine, start_server
        from modelslab_transport import ModelsLabClient

        engine = ScriptedEngine().reply("Hello from the script")
        request = {"model": "any-model", "messages": [{"role": "user", "content": "Hi"}]}
        with start_server(engine=engine, allow_unknown_models=True) as server:
            with ModelsLabClient(server.api_key, base_url=server.base_url) as client:
                print(client.chat(request)["text"])
        print(engine.requests[0]["messages"])
        ```

        In pytest, the ``modelslab_script`` fixture does this for you (README, "Testing your
        own code with a scripted server"); the local server itself is started in
        ``notebooks/01_langchain_quickstart.ipynb``.
    """

    name: str = "scripted"
    requests: list[dict[str, Any]] = field(default_factory=list)
    _replies: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def queue(self, *replies: Reply) -> ScriptedEngine:
        """Add replies to the end of the script."""
        with self._lock:
            self._replies.extend(replies)
        return self

    def reply(self, text: str | None = None, **fields: Any) -> ScriptedEngine:
        """Queue one answer: ``reply("Paris")``, ``reply(tool_calls=[("add", {"a": 1})])``."""
        if "tool_calls" in fields:
            fields["tool_calls"] = tuple(_pair(c) for c in fields["tool_calls"])
        return self.queue(Reply(text, **fields))

    def fail(self, fault: str) -> ScriptedEngine:
        """Queue one failure: ``fail("429")``, ``fail("500:Upstream down")``, ``fail("reset")``.

        A stream fault breaks the answer of the next queued :meth:`reply`'s shape: pass that
        reply's fields with ``reply(..., fault="stream-drop")`` instead to choose the text.
        """
        return self.queue(Reply("This answer is cut short by a scripted fault.", fault=fault))

    @property
    def pending(self) -> int:
        """Replies not used yet."""
        return len(self._replies)

    def next_reply(self, body: Mapping[str, Any], *, record: bool = True) -> Reply:
        """Record ``body`` and take the reply for it (the HTTP layer calls this).

        With ``n`` choices the HTTP layer takes one reply per choice, recording the body once
        (``record=False`` for the others).

        Raises:
            ApiError: The script has no reply left.
        """
        with self._lock:
            if record:
                self.requests.append(dict(body))
            if not self._replies:
                raise ApiError(
                    400,
                    f"The script has no reply left for request {len(self.requests)}: queue "
                    "one more with reply(...) or fail(...).",
                    code="script_exhausted",
                )
            return self._replies.popleft()

    def generate(self, request: EngineRequest) -> EngineAnswer:
        """Not used: the HTTP layer answers from :meth:`next_reply` (see ``Engine``)."""
        raise ApiError(500, "A scripted engine answers through next_reply.")


def _arguments(arguments: Any) -> str:
    if isinstance(arguments, str):
        return arguments
    try:
        return json.dumps(arguments)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Tool call arguments must be JSON text or JSON data: {error}") from None


def load_script(path: str | Path) -> ScriptedEngine:
    """A scripted engine from a JSON file: a list of :class:`Reply` objects' fields.

    Example file: ``[{"text": "Hello"}, {"tool_calls": [["add", {"a": 1, "b": 2}]]},
    {"fault": "429"}]``.

    Raises:
        ValueError: The file is not such a list (the message says which entry is wrong).
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of replies.")
    replies: list[Reply] = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: entry {i} is not an object.")
        try:
            replies.append(Reply(**_reply_fields(entry)))
        except (TypeError, ValueError) as error:
            raise ValueError(f"{path}: entry {i}: {error}") from None
    return ScriptedEngine().queue(*replies)


def _pair(call: Any) -> tuple[Any, ...]:
    """A tool call as given, as a tuple (``Reply`` checks that it is a name-arguments pair)."""
    return tuple(call) if isinstance(call, list | tuple) else (call,)


def _reply_fields(entry: dict[str, Any]) -> dict[str, Any]:
    fields = dict(entry)
    if "tool_calls" in fields:
        fields["tool_calls"] = tuple(_pair(c) for c in _pairs(fields["tool_calls"]))
    if "usage" in fields and fields["usage"] is not None:
        fields["usage"] = tuple(fields["usage"])
    return fields


def _pairs(calls: Iterable[Any]) -> Iterable[Any]:
    for call in calls:
        if isinstance(call, Mapping):  # {"name": ..., "arguments": ...} reads well in JSON too
            yield (call.get("name"), call.get("arguments", {}))
        else:
            yield call
