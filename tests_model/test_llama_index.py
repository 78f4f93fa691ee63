"""``ModelsLabLLM`` against llama.cpp's own server: shape and protocol, never wording."""

from __future__ import annotations

import json

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool

from llama_index_modelslab import HashEmbedding, ModelsLabLLM

DOCUMENTS = [
    "The Eiffel Tower in Paris is 330 metres tall and was completed in 1889.",
    "ModelsLab serves its LLM catalog through an OpenAI-compatible chat completions endpoint.",
    "Cats sleep for twelve to sixteen hours a day.",
]


def get_weather(city: str) -> str:
    """Return the current weather for a city."""
    return f"It is 18 °C and sunny in {city}."


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_vector_index_query(index_llm: ModelsLabLLM, mode: str) -> None:
    index = VectorStoreIndex.from_documents(
        [Document(text=t) for t in DOCUMENTS], embed_model=HashEmbedding()
    )
    engine = index.as_query_engine(llm=index_llm, similarity_top_k=1)
    question = "How tall is the Eiffel Tower?"
    response = engine.query(question) if mode == "sync" else await engine.aquery(question)
    assert str(response).strip()
    assert [n.node.get_content() for n in response.source_nodes] == [DOCUMENTS[0]]


def test_stream_chat(index_llm: ModelsLabLLM) -> None:
    """No usage chunk arrives from this server; the stream still ends cleanly (see LangChain)."""
    messages = [ChatMessage(role="user", content="Name three colours.")]
    responses = list(index_llm.stream_chat(messages))
    deltas = [r.delta for r in responses if r.delta]
    assert len(deltas) > 1
    assert responses[-1].message.content == "".join(deltas)
    assert responses[-1].message.content.strip()


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
def test_forced_tool_call(index_llm: ModelsLabLLM, stream: bool) -> None:
    """A tool forced by name; streamed fragments repeat the name (tolerated, see LangChain)."""
    tool = FunctionTool.from_defaults(fn=get_weather)
    kwargs = {"user_msg": "What is the weather in Paris?", "tool_choice": "get_weather"}
    if stream:
        response = list(index_llm.stream_chat_with_tools([tool], **kwargs))[-1]
    else:
        response = index_llm.chat_with_tools([tool], **kwargs)
    selections = index_llm.get_tool_calls_from_response(response, error_on_no_tool_call=True)
    assert [s.tool_name for s in selections] == ["get_weather"]
    assert set(selections[0].tool_kwargs) == {"city"}
    assert isinstance(selections[0].tool_kwargs["city"], str)
    assert selections[0].tool_id
    json.dumps(selections[0].tool_kwargs)  # plain JSON values, ready to send back
