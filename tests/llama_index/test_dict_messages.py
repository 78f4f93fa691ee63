"""``chat`` takes the dict messages LlamaIndex users write."""

from __future__ import annotations

from collections.abc import Callable

from llama_index_modelslab import ModelsLabLLM


def test_chat_accepts_dict_messages(make_llm: Callable[..., ModelsLabLLM]) -> None:
    llm = make_llm()
    answer = llm.chat([{"role": "user", "content": "hi"}])  # type: ignore[list-item]
    assert answer.message.content


async def test_astream_chat_accepts_dict_messages(make_llm: Callable[..., ModelsLabLLM]) -> None:
    llm = make_llm()
    stream = await llm.astream_chat([{"role": "user", "content": "hi"}])  # type: ignore[list-item]
    texts = [r.message.content async for r in stream]
    assert texts
    assert texts[-1]
