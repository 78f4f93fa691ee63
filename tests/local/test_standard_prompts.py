"""The default engine on the prompts the frameworks ship: right where it can be, honest elsewhere.

Each case is what a new user tries one step outside the README, through the framework's own
API (query engines, chat engines, structured output, JSON mode, several choices) against the
local server's default, rule-based engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.memory import ChatMemoryBuffer
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import HashEmbedding, ModelsLabLLM
from modelslab_local import LocalServer, start_server

DOCS = [
    "Mount Everest is 8,849 metres tall. It lies in the Himalayas on the border of Nepal.",
    "The Eiffel Tower is 330 metres tall. It was built in Paris for the 1889 World's Fair.",
]
# What the engine says when it has no rule: one short sentence, never filler.
CANNOT = "cannot answer this: it is not a language model"


class Album(BaseModel):
    name: str
    artist: str
    year: int


class Person(BaseModel):
    name: str
    age: int


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with start_server() as running:
        yield running


@pytest.fixture(scope="module")
def llm(server: LocalServer) -> ModelsLabLLM:
    return ModelsLabLLM(api_key=server.api_key, base_url=server.base_url)


@pytest.fixture(scope="module")
def chat(server: LocalServer) -> ChatModelsLab:
    return ChatModelsLab(api_key=server.api_key, base_url=server.base_url)


@pytest.fixture(scope="module")
def index() -> VectorStoreIndex:
    documents = [Document(text=t) for t in DOCS]
    return VectorStoreIndex.from_documents(documents, embed_model=HashEmbedding())


# ------------------------------------------------------------------------ LlamaIndex RAG
# The sync calls run inside a test event loop, as in a notebook: without a running loop,
# LlamaIndex's own ``asyncio_run`` helper leaves a new event loop open (a ResourceWarning).


@pytest.mark.parametrize("mode", ["compact", "refine", "tree_summarize", "simple_summarize"])
async def test_query_engines_answer_from_the_context(
    index: VectorStoreIndex, llm: ModelsLabLLM, mode: str
) -> None:
    engine = index.as_query_engine(llm=llm, response_mode=mode, similarity_top_k=2)
    answer = str(engine.query("How tall is Mount Everest?"))
    assert "8,849 metres" in answer
    assert len(answer) < 300  # the fact, not filler


@pytest.mark.parametrize("mode", ["context", "condense_plus_context", "condense_question"])
async def test_chat_engines_answer_from_the_context(
    index: VectorStoreIndex, llm: ModelsLabLLM, mode: str
) -> None:
    # A plain in-process memory: core's default opens an aiosqlite database per engine.
    memory = ChatMemoryBuffer.from_defaults(llm=llm)
    engine = index.as_chat_engine(chat_mode=mode, llm=llm, similarity_top_k=2, memory=memory)
    answer = str(engine.chat("How tall is the Eiffel Tower?"))
    assert "330 metres" in answer
    assert CANNOT not in answer


async def test_structured_predict_takes_field_values_from_the_prompt(llm: ModelsLabLLM) -> None:
    template = PromptTemplate("Generate an album by {artist} released in {year}, called {name}.")
    album = llm.structured_predict(Album, template, artist="Adele", year=2015, name="25")
    assert (album.name, album.artist, album.year) == ("25", "Adele", 2015)


# ----------------------------------------------------------------- LangChain structure


@pytest.mark.parametrize("method", ["function_calling", "json_schema", "json_mode"])
def test_with_structured_output_extracts_the_person(chat: ChatModelsLab, method: Any) -> None:
    prompt = "Alice is 30 years old. Extract the person."
    if method == "json_mode":
        prompt += ' Answer in JSON with "name" and "age".'
    person = chat.with_structured_output(Person, method=method).invoke(prompt)
    assert isinstance(person, Person)
    assert (person.name, person.age) == ("Alice", 30)


def test_json_mode_keys_take_values_not_instruction_words(chat: ChatModelsLab) -> None:
    model = chat.bind(response_format={"type": "json_object"})
    answer = model.invoke('Return JSON with keys "name" and "age" for: Bob is 41.')
    assert answer.content == '{"name": "Bob", "age": 41}'


def test_a_field_with_no_value_in_the_prompt_gets_a_placeholder(chat: ChatModelsLab) -> None:
    class Note(BaseModel):
        title: str
        mood: str

    note = chat.with_structured_output(Note).invoke("write down what i said earlier")
    assert note.mood == "unknown"
    assert "write down" not in note.title  # never a slice of the instruction


# -------------------------------------------------------------------- choices, honesty


def test_several_choices_are_distinct_and_deterministic(chat: ChatModelsLab) -> None:
    def texts() -> list[str]:
        result = chat.generate([[HumanMessage("Tell me a joke about cats")]], n=3)
        return [g.text for g in result.generations[0]]

    first = texts()
    assert len(first) == 3
    assert len(set(first)) == 3
    assert texts() == first


def test_a_request_without_a_rule_gets_one_honest_sentence(chat: ChatModelsLab) -> None:
    answer = chat.invoke("What should I name my startup that sells artisanal ice?")
    assert CANNOT in answer.text
    assert "MODELSLAB_API_KEY" in answer.text
    assert len(answer.text) < 300
    assert answer.response_metadata["finish_reason"] == "stop"


@pytest.mark.parametrize(
    "prompt",
    [
        "Summarize the plot of the story we discussed, in one sentence please",
        "How many paragraphs does a long article usually have?",
    ],
)
def test_long_text_only_when_asked_for(chat: ChatModelsLab, prompt: str) -> None:
    assert len(chat.invoke(prompt).text) < 300


def test_long_text_when_asked_for(chat: ChatModelsLab) -> None:
    assert len(chat.invoke("Write a long story about boats").text) > 1000
