"""Log probabilities, when asked for, reach both frameworks in their own shapes (and only then).

LangChain: ``response_metadata["logprobs"] = {"content": [...]}`` as ChatOpenAI's, merged
across streamed chunks. LlamaIndex: ``ChatResponse.logprobs``, one ``LogProb`` list per token.
Against the local server over loopback, whose engine returns deterministic log probabilities.
"""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, LogProb

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_local import LocalServer

PROMPT = "Count to 3."


def _settings(server: LocalServer) -> dict[str, Any]:
    return {"api_key": server.api_key, "base_url": server.base_url}


def test_langchain_invoke_and_stream_carry_logprobs(server: LocalServer) -> None:
    with ChatModelsLab(**_settings(server)) as model:
        message = model.invoke(PROMPT, logprobs=True, top_logprobs=2)
        content = message.response_metadata["logprobs"]["content"]
        assert "".join(entry["token"] for entry in content) == message.text
        assert all(len(entry["top_logprobs"]) == 2 for entry in content)
        merged: Any = None
        for chunk in model.stream(PROMPT, logprobs=True, top_logprobs=2):
            merged = chunk if merged is None else merged + chunk
        assert merged.response_metadata["logprobs"]["content"] == content
        assert "logprobs" not in model.invoke(PROMPT).response_metadata


@pytest.mark.parametrize("stream", [False, True])
def test_llama_index_chat_response_has_logprobs(server: LocalServer, stream: bool) -> None:
    messages = [ChatMessage(role="user", content=PROMPT)]
    with ModelsLabLLM(**_settings(server)) as llm:
        if stream:
            response = list(llm.stream_chat(messages, logprobs=True, top_logprobs=2))[-1]
        else:
            response = llm.chat(messages, logprobs=True, top_logprobs=2)
        assert response.logprobs is not None
        assert all(isinstance(p, LogProb) for token in response.logprobs for p in token)
        assert "".join(token[0].token for token in response.logprobs) == response.message.content
        assert all(len(token) == 2 for token in response.logprobs)
        assert llm.chat(messages).logprobs is None
