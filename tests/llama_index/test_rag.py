"""A RAG pipeline end to end: VectorStoreIndex + query and chat engines on the local server.

Embeddings come from :class:`HashEmbedding` (deterministic, offline, no extra install); RAG
with a real embedding model (all-MiniLM-L6-v2 on CPU torch) is in the real-model tier,
``tests_model/test_real_embedding.py``.
Unlike core's ``MockEmbedding`` (one constant vector) it ranks documents by shared words, so
retrieval is meaningful and these tests can fail when it is not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.chat_engine.types import ChatMode
from llama_index.core.memory import ChatMemoryBuffer

from llama_index_modelslab import HashEmbedding

DOCS = [
    Document(text="The Eiffel Tower in Paris was completed in 1889.", doc_id="eiffel"),
    Document(text="Python is a programming language created by Guido van Rossum.", doc_id="py"),
    Document(
        text="ModelsLab offers an LLM API with streaming, tool calling and vision models.",
        doc_id="ml",
    ),
    Document(text="Mount Everest is the highest mountain above sea level.", doc_id="everest"),
]
QUESTION = "When was the Eiffel Tower completed?"


@pytest.fixture(scope="module")
def index() -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCS, embed_model=HashEmbedding())


def test_retrieval_ranks_by_content(index: VectorStoreIndex) -> None:
    retriever = index.as_retriever(similarity_top_k=4)
    for question, expected in [
        (QUESTION, "eiffel"),
        ("Who created the Python language?", "py"),
        ("Which API supports tool calling?", "ml"),
    ]:
        nodes = retriever.retrieve(question)
        assert nodes[0].node.ref_doc_id == expected, question
        assert nodes[0].score > nodes[1].score


def test_hash_embedding_is_deterministic_and_normalized() -> None:
    embed = HashEmbedding(embed_dim=64)
    a = embed.get_text_embedding("Paris tower")
    assert a == HashEmbedding(embed_dim=64).get_text_embedding("Paris tower")
    assert sum(v * v for v in a) == pytest.approx(1.0)
    assert embed.get_text_embedding("") == [0.0] * 64
    assert a != embed.get_text_embedding("Python language")


@pytest.mark.parametrize("mode", ["sync", "async", "stream"])
async def test_query_engine(index: VectorStoreIndex, llm: Any, mode: str) -> None:
    engine = index.as_query_engine(llm=llm, similarity_top_k=1, streaming=mode == "stream")
    if mode == "sync":
        answer = str(engine.query(QUESTION))
    elif mode == "async":
        answer = str(await engine.aquery(QUESTION))
    else:
        response = engine.query(QUESTION)
        answer = "".join(response.response_gen)  # type: ignore[union-attr]
    assert "1889" in answer


@pytest.mark.parametrize("mode", ["sync", "async", "stream", "astream"])
async def test_chat_engine(index: VectorStoreIndex, llm: Any, mode: str) -> None:
    # A plain in-process memory: core's default Memory opens an aiosqlite database per engine
    # and never closes it (a ResourceWarning at garbage collection).
    memory = ChatMemoryBuffer.from_defaults(llm=llm)
    engine = index.as_chat_engine(
        llm=llm, chat_mode=ChatMode.CONDENSE_PLUS_CONTEXT, similarity_top_k=1, memory=memory
    )
    if mode == "sync":
        answer = str(engine.chat(QUESTION))
    elif mode == "async":
        answer = str(await engine.achat(QUESTION))
    elif mode == "stream":
        answer = "".join(engine.stream_chat(QUESTION).response_gen)
    else:
        streaming = await engine.astream_chat(QUESTION)
        answer = "".join([token async for token in streaming.async_response_gen()])
    assert "1889" in answer
    history = engine.chat_history
    assert [m.role.value for m in history] == ["user", "assistant"]


@pytest.fixture
def global_settings(llm: Any) -> Iterator[None]:
    saved = (Settings._llm, Settings._embed_model)
    Settings.llm = llm
    Settings.embed_model = HashEmbedding()
    try:
        yield
    finally:
        Settings._llm, Settings._embed_model = saved


@pytest.mark.usefixtures("global_settings")
def test_as_settings_llm() -> None:
    index = VectorStoreIndex.from_documents(DOCS)
    assert "1889" in str(index.as_query_engine(similarity_top_k=1).query(QUESTION))
