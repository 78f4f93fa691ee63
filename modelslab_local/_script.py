"""A scripted engine: the server answers each request with the next reply a test queued.

For testing your own agents and chains through the real HTTP stack with no key and no model:
queue exact answers (text, tool calls, reasoning, usage), HTTP errors or broken streams, send
requests through LangChain, LlamaIndex or the raw client, then read back the request bodies
the server received. Faults are the server's own (``FAULTS``): ``"429"``, ``"500"``,
``"stream-drop"``, ``"stream-truncated"``, ... so each fails exactly as it does there.
"""

from __future__ import annotations

import difflib
import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ._engine import EngineAnswer, EngineRequest, EngineToolCall, EngineUsage
from ._errors import ApiError
from ._faults import FAULTS, lookup

__all__ = ["Reply", "ScriptError", "ScriptedEngine", "load_script"]

# What a reply may say as its finish reason (the OpenAI format's values; the Messages format's
# are mapped from them by the server).
FINISH_REASONS = ("stop", "length", "tool_calls", "content_filter")


class ScriptError(ValueError):
    """A scripted reply (or a script file's entry) that the server could not send.

    Raised when the reply is queued, so the test line that wrote it fails, not a later
    request (which would become a server error, retried by the client, and then a misleading
    "no reply left").
    """


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
        _text_field("text", self.text)
        _text_field("reasoning", self.reasoning)
        if self.finish_reason is not None and self.finish_reason not in FINISH_REASONS:
            raise ScriptError(
                f"finish_reason must be one of {', '.join(FINISH_REASONS)} or None, "
                f"got {self.finish_reason!r:.80}."
            )
        if self.fault is not None:
            if not isinstance(self.fault, str) or lookup(self.fault.split(":")[0]) is None:
                raise ScriptError(f"Unknown fault {self.fault!r:.80}; known: {', '.join(FAULTS)}.")
            _text_field("fault", self.fault)
        _check_tool_calls(self.tool_calls)
        usage = self.usage
        if usage is not None and not (
            isinstance(usage, tuple)
            and len(usage) == 2
            and all(type(n) is int and n >= 0 for n in usage)
        ):
            raise ScriptError(f"usage is (prompt_tokens, completion_tokens), got {usage!r:.80}.")

    def describe(self) -> str:
        """The fields this reply sets, in one line (for reports of unused replies)."""
        shown = [
            f"{f.name}={getattr(self, f.name)!r:.60}"
            for f in fields(self)
            if getattr(self, f.name) != f.default
        ]
        return f"Reply({', '.join(shown)})"

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
    # The script file the replies came from (``load_script``): errors then speak its language.
    source: str | None = None
    _replies: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def queue(self, *replies: Reply) -> ScriptedEngine:
        """Add replies to the end of the script."""
        with self._lock:
            self._replies.extend(replies)
        return self

    def reply(self, text: str | None = None, **fields: Any) -> ScriptedEngine:
        """Queue one answer: ``reply("Paris")``, ``reply(tool_calls=[("add", {"a": 1})])``.

        Raises:
            ScriptError: A field ``Reply`` does not have (the message lists the valid ones),
                or a value the server could not send.
        """
        _check_names(fields, "reply()")
        if "tool_calls" in fields:
            calls = fields["tool_calls"]
            if not isinstance(calls, list | tuple):
                raise ScriptError(f"tool_calls is a list of (name, arguments), got {calls!r:.60}.")
            fields["tool_calls"] = tuple(_pair(c) for c in calls)
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

    def unused(self) -> list[Reply]:
        """The replies not used yet, in script order."""
        with self._lock:
            return list(self._replies)

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
                raise ApiError(400, self._exhausted(), code="script_exhausted")
            return self._replies.popleft()

    def _exhausted(self) -> str:
        count = len(self.requests)
        if self.source is not None:
            return (
                f"The script file {self.source} has no entry left for request {count}: add "
                'one more object to its list, such as {"text": "..."} or {"fault": "429"}.'
            )
        return (
            f"The script has no reply left for request {count}: queue one more with "
            "reply(...) or fail(...)."
        )

    def generate(self, request: EngineRequest) -> EngineAnswer:
        """Not used: the HTTP layer answers from :meth:`next_reply` (see ``Engine``)."""
        raise ApiError(500, "A scripted engine answers through next_reply.")


def _arguments(arguments: Any) -> str:
    if isinstance(arguments, str):
        _text_field("tool call arguments", arguments)
        return arguments
    try:
        return json.dumps(arguments, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as error:
        raise ScriptError(f"Tool call arguments must be JSON text or JSON data: {error}") from None


def _check_tool_calls(calls: Any) -> None:
    if not isinstance(calls, tuple):
        raise ScriptError(f"tool_calls is a list of (name, arguments), got {calls!r:.80}.")
    for call in calls:
        if not (isinstance(call, tuple) and len(call) == 2 and isinstance(call[0], str)):
            raise ScriptError(f"A tool call is a (name, arguments) pair, got {call!r:.80}.")
        if not call[0]:
            raise ScriptError("A tool call needs a name, got an empty one.")
        _text_field("a tool name", call[0])
        _arguments(call[1])


def _text_field(name: str, value: Any) -> None:
    """``value`` is ``None`` or text the server can send as UTF-8 (no lone surrogate)."""
    if value is None:
        return
    if not isinstance(value, str):
        raise ScriptError(f"{name} must be text or None, got {type(value).__name__} {value!r:.60}.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ScriptError(
            f"{name} holds a lone surrogate ({value!r:.60}), which no server can send as UTF-8."
        ) from None


_REPLY_FIELDS = ("text", "reasoning", "tool_calls", "finish_reason", "usage", "fault")


def _check_names(given: Mapping[str, Any], where: str, noun: str = "field") -> None:
    unknown = [name for name in given if name not in _REPLY_FIELDS]
    if not unknown:
        return
    name = unknown[0]
    near = difflib.get_close_matches(name, _REPLY_FIELDS, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    raise ScriptError(
        f"{where} has no {noun} {name!r}{hint}; the {noun}s are: {', '.join(_REPLY_FIELDS)}."
    )


def load_script(path: str | Path) -> ScriptedEngine:
    """A scripted engine from a JSON file: a list of :class:`Reply` objects' fields.

    Example file: ``[{"text": "Hello"}, {"tool_calls": [["add", {"a": 1, "b": 2}]]},
    {"fault": "429"}]``.

    Raises:
        ScriptError: The file is not such a list (the message says which entry is wrong and
            why, in the file's terms: its keys and values).
        OSError: The file cannot be read.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ScriptError(f"{path}: not a JSON file ({error}).") from None
    except RecursionError:  # nested deeper than the parser can follow: no reply looks so
        raise ScriptError(f"{path}: nested too deeply to be a list of replies.") from None
    if not isinstance(data, list):
        raise ScriptError(f"{path}: expected a JSON list of replies, got {type(data).__name__}.")
    replies: list[Reply] = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            raise ScriptError(f"{path}: entry {i} is not an object: {entry!r:.60}.")
        try:
            _check_names(entry, f"entry {i}", noun="key")
            replies.append(Reply(**_reply_fields(entry)))
        except (TypeError, ValueError) as error:
            raise ScriptError(f"{path}: entry {i}: {error}") from None
    return ScriptedEngine(source=str(path)).queue(*replies)


def _pair(call: Any) -> tuple[Any, ...]:
    """A tool call as given, as a tuple (``Reply`` checks that it is a name-arguments pair)."""
    return tuple(call) if isinstance(call, list | tuple) else (call,)


def _reply_fields(entry: dict[str, Any]) -> dict[str, Any]:
    given = dict(entry)
    if "tool_calls" in given:
        calls = given["tool_calls"]
        if not isinstance(calls, list):
            raise ScriptError(f'"tool_calls" is a list of [name, arguments], got {calls!r:.60}.')
        given["tool_calls"] = tuple(_pair(c) for c in _pairs(calls))
    if isinstance(given.get("usage"), list):
        given["usage"] = tuple(given["usage"])
    return given


def _pairs(calls: Iterable[Any]) -> Iterable[Any]:
    for call in calls:
        if isinstance(call, Mapping):  # {"name": ..., "arguments": ...} reads well in JSON too
            yield (call.get("name"), call.get("arguments", {}))
        else:
            yield call
