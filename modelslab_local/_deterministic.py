"""The default engine: a deterministic, rule-based stand-in for an instruction-following model.

It exists so that framework conformance suites and agents can run end to end offline: it calls
the tool a request asks for (arguments from the prompt and the tool's JSON schema), answers
from tool results, returns JSON valid against a requested schema, speaks the ReAct text
protocol, answers RAG prompts extractively and describes images. Same request, same answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from . import _answers, _memory, _react, _text
from ._engine import EngineAnswer, EngineRequest, EngineToolCall, ImageInfo
from ._handoff import HANDOFF_TOOL, plan_handoff
from ._schema import SchemaFiller
from ._tools import PlannedCall, Tool, follow_up, pending, plan_calls, tool_choice_mode

JSON = dict[str, Any]


def text_of(content: Any) -> str:
    """The text of an OpenAI message ``content`` (string or list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    return ""


@dataclass(frozen=True, slots=True)
class _Conversation:
    """The parts of a conversation the rules look at."""

    system: str
    question: str
    question_at: int
    after: list[JSON]
    earlier: list[str]  # the user's messages before the question, as text

    @classmethod
    def of(cls, messages: list[JSON]) -> _Conversation:
        system = "\n".join(
            text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer")
        )
        question_at = max(
            (i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1
        )
        question = text_of(messages[question_at].get("content")) if question_at >= 0 else ""
        earlier = [
            text_of(m.get("content"))
            for m in messages[: max(question_at, 0)]
            if m.get("role") == "user"
        ]
        return cls(system, question, question_at, messages[question_at + 1 :], earlier)

    def calls_made(self) -> list[tuple[str, JSON]]:
        """``(tool name, arguments)`` of the tool calls made since the question."""
        made = []
        for m in self.after:
            if m.get("role") != "assistant":
                continue
            for call in m.get("tool_calls") or []:
                function = call.get("function") or {}
                made.append((str(function.get("name")), _arguments(function.get("arguments"))))
        return made

    def evidence(self) -> str:
        """The tool results since the question as text; JSON objects as ``key: value`` lines."""
        return "\n".join(_flatten(output) for _, output in self.results())

    def results(self) -> list[tuple[str, str]]:
        """``(tool name, output)`` for the tool results since the question."""
        names = {
            call.get("id"): str(call.get("function", {}).get("name"))
            for m in self.after
            for call in m.get("tool_calls") or []
        }
        return [
            (
                names.get(m.get("tool_call_id"), str(m.get("name") or "tool")),
                text_of(m.get("content")),
            )
            for m in self.after
            if m.get("role") == "tool"
        ]


class DeterministicEngine:
    """The default engine: rules that stand in for an instruction-following model.

    It calls the tools a request asks for, answers from tool results, returns JSON valid
    against a requested schema, speaks ReAct, answers RAG prompts extractively and describes
    images. Same request, same answer. Stateless and thread-safe.

    Example:
        ```python
        from modelslab_local import DeterministicEngine, EngineRequest

        request = EngineRequest(model="any", messages=[{"role": "user", "content": "Hello"}])
        print(DeterministicEngine().generate(request).text)
        ```

        The notebooks' stored outputs come from it, e.g.
        ``notebooks/01_langchain_quickstart.ipynb``.
    """

    name = "deterministic"

    def generate(self, request: EngineRequest) -> EngineAnswer:
        """Answer ``request`` by the first rule that applies."""
        convo = _Conversation.of(request.messages)
        calls = self._tool_calls(request, convo)
        if calls:
            return EngineAnswer(
                reasoning=self._reasoning(request, convo, calls),
                tool_calls=[EngineToolCall(c.tool.name, c.arguments_json) for c in calls],
                finish_reason="tool_calls",
            )
        text = self._text(request, convo)
        if request.choice and not request.response_format:
            # One more choice of ``n``: the same rule's answer, marked so choices differ.
            text = f"Alternative {request.choice + 1}: {text}"
        return EngineAnswer(text=text, reasoning=self._reasoning(request, convo, []))

    # ----------------------------------------------------------------------- tool calls

    def _tool_calls(self, request: EngineRequest, convo: _Conversation) -> list[PlannedCall]:
        mode, forced = tool_choice_mode(request.tool_choice)
        if not request.tools or mode == "none":
            return []
        tools = [Tool.from_spec(t) for t in request.tools]
        made = convo.calls_made()
        handoff = plan_handoff(tools, convo.question, [name for name, _ in made])
        if handoff is not None and forced is None:
            return [handoff]
        tools = [t for t in tools if t.name != HANDOFF_TOOL]
        # Plan every call the question asks for, then hand out what is still missing.
        planned = plan_calls(
            tools,
            convo.question,
            forced=forced,
            required=mode == "required",
            parallel=True,
            evidence=convo.evidence(),
        )
        if forced is not None:
            return planned  # the caller named the tool: call it, whatever came before
        remaining = pending(planned, made)
        if not remaining and mode == "required":
            # Every planned call has its result, yet a call is required: move on to a tool
            # not called yet (a structured-output tool, say) instead of repeating a call.
            # When none is left, answer in text rather than loop.
            extra = follow_up(tools, convo.question, convo.evidence(), made)
            remaining = [extra] if extra is not None else []
        return remaining if request.parallel_tool_calls else remaining[:1]

    # ----------------------------------------------------------------------- text

    def _text(self, request: EngineRequest, convo: _Conversation) -> str:
        if _react.is_react(convo.system):
            turns = [(str(m.get("role")), text_of(m.get("content"))) for m in request.messages]
            turns = [t for t in turns if t[0] not in ("system", "developer")]
            return _react.react_reply(convo.system, turns, self._react_answer(request))
        schema, prompt = _requested_schema(request.response_format, convo.question)
        if schema is not None:
            return json.dumps(SchemaFiller(prompt, schema).fill(schema), ensure_ascii=False)
        return self._plain(request, convo)

    def _react_answer(self, request: EngineRequest) -> Any:
        def answer(question: str, observations: list[tuple[str, str]]) -> str:
            if observations:
                return _answers.tool_results(observations)
            return self._respond(question, question, request.model)

        return answer

    def _plain(self, request: EngineRequest, convo: _Conversation) -> str:
        images = [i for i in request.images if i.message_index >= convo.question_at]
        # A hand-off's result only says who took over: not part of the answer.
        results = [r for r in convo.results() if r[0] != HANDOFF_TOOL]
        if results:
            answer = _answers.tool_results(results)
            return f"{answer} {_answers.describe_images(images)}" if images else answer
        prompt = f"{convo.system}\n{convo.question}"
        answer = _memory.recalled_fact(convo.question, convo.earlier) or self._respond(
            prompt, convo.question, request.model
        )
        if images:
            return f"{_answers.describe_images(images)} {_image_remark(convo.question)}".strip()
        return answer

    @staticmethod
    def _respond(prompt: str, question: str, model: str) -> str:
        return (
            _memory.conversation_summary(prompt)
            or _answers.context_answer(prompt, question)
            or _answers.standalone_question(prompt)
            or _answers.small_talk(question, model)
            or _answers.arithmetic(question)
            or _answers.generative(question)
            or _answers.fallback(question)
        )

    # ----------------------------------------------------------------------- reasoning

    @staticmethod
    def _reasoning(
        request: EngineRequest, convo: _Conversation, calls: list[PlannedCall]
    ) -> str | None:
        if not request.reasoning:
            return None
        asked = _text.shorten(convo.question, 60) or "nothing yet"
        if calls:
            plan = "I should call " + ", ".join(c.tool.name for c in calls) + "."
        elif convo.results():
            plan = "The tool results are in; I can answer from them."
        else:
            plan = "I can answer this directly."
        return f'The user asked: "{asked}". {plan}'


def _arguments(raw: Any) -> JSON:
    """Tool-call arguments as a dict, whether sent as a JSON string or an object."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def _flatten(output: str) -> str:
    """A tool output as text; a JSON object becomes ``key: value`` lines (nested ones too)."""
    try:
        data = json.loads(output)
    except ValueError:
        return output.strip()
    return "\n".join(_lines(data)) if isinstance(data, dict) else output.strip()


def _lines(data: JSON) -> list[str]:
    out: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            out.extend(_lines(value))
        else:
            out.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return out


def _image_remark(question: str) -> str:
    if re.search(r"\bweather\b", question, re.I):
        return "I cannot tell the weather from the pixel data alone."
    return ""


def _requested_schema(response_format: JSON | None, prompt: str) -> tuple[JSON | None, str]:
    """The schema the answer must follow, if JSON was asked for.

    Also returns the prompt to draw values from, without the schema's own text.
    """
    kind = (response_format or {}).get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {} if response_format else {}
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return (schema if isinstance(schema, dict) else {"type": "object"}), prompt
    embedded, rest = embedded_schema(prompt)
    if kind == "json_object":
        return (embedded or _keys_schema(prompt)), rest
    if embedded is not None and re.search(r"\bJSON\b", prompt):
        return embedded, rest
    return None, prompt


def embedded_schema(prompt: str) -> tuple[JSON | None, str]:
    """The largest JSON schema (an object with ``properties``) written into the prompt.

    Also returns the prompt without it. A schema whose braces are doubled (escaped for a
    template engine) is recognized too.
    """
    found = _largest_schema(prompt)
    if found is None and "{{" in prompt:
        prompt = prompt.replace("{{", "{").replace("}}", "}")
        found = _largest_schema(prompt)
    if found is None:
        return None, prompt
    schema, start, end = found
    return schema, prompt[:start] + prompt[end:]


def _largest_schema(prompt: str) -> tuple[JSON, int, int] | None:
    decoder = json.JSONDecoder()
    best: tuple[JSON, int, int] | None = None
    for match in re.finditer(r"\{", prompt):
        try:
            value, end = decoder.raw_decode(prompt, match.start())
        except ValueError:
            continue
        is_schema = isinstance(value, dict) and isinstance(value.get("properties"), dict)
        if is_schema and (best is None or end - match.start() > best[2] - best[1]):
            best = (value, match.start(), end)
    return best


def _keys_schema(prompt: str) -> JSON:
    """A schema of string fields named in the prompt ("with 'setup' and 'punchline' keys")."""
    keys = [q for q in _text.quoted(prompt) if re.fullmatch(r"[A-Za-z_][\w-]{0,40}", q)]
    if not keys:
        return {
            "type": "object",
            "properties": {"answer": {"type": "string"}},
            "required": ["answer"],
        }
    properties = {k: {"type": _key_type(k)} for k in dict.fromkeys(keys)}
    return {"type": "object", "properties": properties, "required": list(properties)}


# Keys whose values are counts or amounts: "age", "year", "price" hold numbers, not text.
_NUMERIC_KEY = re.compile(
    r"(?:^|_)(?:age|year|years|count|number|num|quantity|qty|price|total|amount|score|rating)$",
    re.IGNORECASE,
)


def _key_type(key: str) -> str:
    return "number" if _NUMERIC_KEY.search(key) else "string"


__all__ = ["DeterministicEngine", "ImageInfo", "text_of"]
