"""How each public entry point is called and its answer read, for ``surfaces.py``'s table.

Each function takes an :class:`~.env.Env`, makes one call through one public entry point and
returns the answer as text that a correct server makes :data:`~.behaviours.TEXT` (or the
surface's own ``expect``). Tool calls carry :data:`~.behaviours.TEXT` as their arguments (see
``behaviours.forced_tool``), so a tool-call reader answers with the same text.
"""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import contextmanager
from typing import Any

from langchain_core.load import dumps
from langchain_core.messages import HumanMessage
from langchain_core.messages.utils import count_tokens_approximately
from langchain_core.utils.function_calling import convert_to_openai_tool
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel, SecretStr

import modelslab_transport as mt
from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import HashEmbedding, ModelsLabLLM
from modelslab_transport.check import run_battery
from modelslab_transport.check._probes import probes_for  # the battery, to bound its time

from .behaviours import KEY, MODEL, TEXT, TOKENS
from .env import Env


class Answer(BaseModel):
    """A structured-output target, and the tool a forced tool call names."""

    answer: str


def answer_tool(answer: str) -> str:
    """Give the answer."""
    return answer


# ------------------------------------------------------------------ LangChain


def _parsed(result: Any) -> str:
    """A structured result's answer; ``include_raw``'s parsing error is raised as the error."""
    if isinstance(result, dict) and "parsing_error" in result:
        if result["parsing_error"] is not None:
            raise result["parsing_error"]
        result = result["parsed"]
    return result.answer if isinstance(result, Answer) else f"not an Answer: {result!r}"


def lc_structured(method: str, include_raw: bool = False) -> Callable[[Env], str]:
    def run(env: Env) -> str:
        runnable = env.lc().with_structured_output(Answer, method=method, include_raw=include_raw)
        return _parsed(runnable.invoke(env.prompt, **env.adapter_kwargs()))

    return run


def _tool_args(chunks: Iterable[Any]) -> str:
    """The arguments of the one tool call streamed in ``chunks``, joined."""
    total = None
    for chunk in chunks:
        total = chunk if total is None else total + chunk
    calls = [] if total is None else total.tool_call_chunks
    return "".join(c.get("args") or "" for c in calls) if calls else "no tool call"


def lc_tool_stream(env: Env) -> str:
    model = env.lc().bind_tools([Answer], tool_choice="Answer")
    return _tool_args(model.stream(env.prompt, **env.adapter_kwargs()))


async def lc_tool_astream(env: Env) -> str:
    model = env.lc().bind_tools([Answer], tool_choice="any")
    return _tool_args([c async for c in model.astream(env.prompt)])


async def lc_events(env: Env) -> str:
    pieces = []
    async for event in env.lc().astream_events(env.prompt, version="v2", **env.adapter_kwargs()):
        if event["event"] == "on_chat_model_stream":
            pieces.append(event["data"]["chunk"].text)
    return "".join(pieces)


def _counted(count: int, messages: list[Any], tools: list[Any] | None = None) -> str:
    """The server's count, or the local estimate the docs promise when it cannot count."""
    estimate = count_tokens_approximately(messages, tools=tools)
    return str(TOKENS) if count in (TOKENS, estimate) else str(count)


def lc_tokens(env: Env) -> str:
    return _counted(env.lc().get_num_tokens(env.prompt), [HumanMessage(env.prompt)])


def lc_tokens_from_messages(env: Env) -> str:
    messages = [HumanMessage(env.prompt)]
    count = env.lc().get_num_tokens_from_messages(messages, tools=[Answer])
    return _counted(count, messages, [convert_to_openai_tool(Answer)])


def lc_profile(env: Env) -> str:
    profile = env.lc().profile or {}
    return TEXT if profile.get("max_input_tokens", 0) > 0 else f"profile {profile!r}"


# ------------------------------------------------------------------ LlamaIndex

_TOOL = FunctionTool.from_defaults(fn=answer_tool)


def _li_tool_args(env: Env, response: Any) -> str:
    calls = env.li().get_tool_calls_from_response(response)
    return json.dumps(calls[0].tool_kwargs) if calls else "no tool call"


def li_chat_with_tools(env: Env) -> str:
    response = env.li().chat_with_tools([_TOOL], env.prompt, tool_required=True)
    return _li_tool_args(env, response)


async def li_achat_with_tools(env: Env) -> str:
    response = await env.li().achat_with_tools([_TOOL], env.prompt, tool_required=True)
    return _li_tool_args(env, response)


def li_stream_chat_with_tools(env: Env) -> str:
    responses = list(env.li().stream_chat_with_tools([_TOOL], env.prompt, tool_required=True))
    return _li_tool_args(env, responses[-1]) if responses else "no response"


def li_predict_and_call(env: Env) -> str:
    return str(env.li().predict_and_call([_TOOL], env.prompt, tool_required=True).response)


async def li_apredict_and_call(env: Env) -> str:
    result = await env.li().apredict_and_call([_TOOL], env.prompt, tool_required=True)
    return str(result.response)


def _with_method(env: Env, method: str | None) -> ModelsLabLLM:
    if method is not None:
        env.settings = {"structured_output_method": method, **env.settings}
    return env.li()


_PROMPT = PromptTemplate("{q}")


def li_structured(method: str) -> Callable[[Env], str]:
    def run(env: Env) -> str:
        return str(
            _with_method(env, method).structured_predict(Answer, _PROMPT, q=env.prompt).answer
        )

    return run


async def li_astructured(env: Env) -> str:
    return str((await env.li().astructured_predict(Answer, _PROMPT, q=env.prompt)).answer)


def _last_answer(results: list[Any]) -> str:
    return str(getattr(results[-1], "answer", results[-1])) if results else "no result"


def li_stream_structured(env: Env) -> str:
    return _last_answer(list(env.li().stream_structured_predict(Answer, _PROMPT, q=env.prompt)))


async def li_astream_structured(env: Env) -> str:
    stream = await env.li().astream_structured_predict(Answer, _PROMPT, q=env.prompt)
    return _last_answer([r async for r in stream])


def li_embedding(env: Env) -> str:
    """The public embedding class: local (no HTTP), so any text must give a finite vector."""
    vector = HashEmbedding(embed_dim=64).get_text_embedding(env.prompt)
    return TEXT if len(vector) == 64 and all(map(math.isfinite, vector)) else f"bad {vector}"


# ------------------------------------------------------------------ transport


ROUTED = "https://routed.test/api/v7/llm"
# Nothing listens on port 9 of loopback (discard): a request sent there fails at once.
CLOSED_PORT = "http://127.0.0.1:9/api/v7/llm"


def routed(run: Callable[[Env], Awaitable[str]]) -> Callable[[Env], Awaitable[str]]:
    """``run`` while a request route is active: every request must go to the route's URL.

    On real sockets (``env.route_url`` set) the models' own base URL is a closed port for the
    run, so a request that ignored the route fails instead of reaching the server.
    """

    async def inside(env: Env) -> str:
        target = env.route_url or ROUTED
        own = env.settings.get("base_url")
        if env.route_url is not None:
            env.settings["base_url"] = CLOSED_PORT
        try:
            with mt.route_requests(mt.RequestRoute(target, SecretStr(KEY), owner="the harness")):
                answer = await run(env)
        finally:
            if env.route_url is not None:
                env.settings["base_url"] = own
        stray = [str(r.url) for r in env.sent if not str(r.url).startswith(target)]
        return f"sent outside the route: {stray}" if stray else answer

    return inside


# One call per probe (a correct server gets one request each), each bounded by the deadline:
# a server failing every call, retried to the deadline, costs the battery that much.
BATTERY_CALLS = len(probes_for(["openai", "anthropic"]))


def check_battery(env: Env) -> str:
    """``modelslab-check``'s probes through the run's raw client: a report, whatever the server."""
    raw = env.raw()
    wrong = mt.ModelsLabClient(
        "wrong-key", base_url=raw.base_url, http_client=env.http, max_retries=0, deadline=5
    )
    report = run_battery(raw, wrong, MODEL, ["openai", "anthropic"])
    outcomes = {p["outcome"] for p in report["probes"]}
    if KEY in json.dumps(report, default=str):
        return "key in the report"
    return TEXT if outcomes <= {"ok", "differs", "fails", "skipped"} else f"outcomes {outcomes}"


# ------------------------------------------------------------------ serialization


@contextmanager
def _refused(what: str, found: list[str]) -> Any:
    try:
        yield
    except mt.ConfigurationError as error:
        found.append(str(error))
    else:
        found.append(f"{what} was shipped")


def serialized(env: Env) -> str:
    """repr, pickle, copies and dumps / to_dict of each model, those holding the run's
    injected HTTP clients included: none may carry the key, and every copy must unpickle.
    The raw clients refuse pickle with a ``ConfigurationError``."""
    settings = env._common()
    models: list[Any] = [
        env.lc(),
        env.li(),
        ChatModelsLab(model=MODEL, **settings),
        ModelsLabLLM(model=MODEL, **settings),
    ]
    texts = [repr(env.raw()), dumps(models[0]), str(models[1].to_dict()), models[1].to_json()]
    for model in models:
        data = pickle.dumps(model)
        texts += [repr(model), str(data), repr(pickle.loads(data)), repr(model.model_copy())]
    refusals: list[str] = []
    for client in (env.raw(), env.araw()):
        with _refused(type(client).__name__, refusals):
            pickle.dumps(client)
    texts += refusals
    if KEY in "".join(texts):
        return f"key in {texts}"
    return TEXT if all("cannot be pickled" in r for r in refusals) else f"refusals {refusals}"


async def ajoined(stream: AsyncIterator[Any]) -> str:
    return "".join([p.get("text", "") async for p in stream])
