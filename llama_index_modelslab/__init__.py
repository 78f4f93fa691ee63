"""ModelsLab's LLM API for LlamaIndex.

``ModelsLabLLM`` is a ``FunctionCallingLLM`` over the shared ``modelslab_transport``: use it as
``Settings.llm``, in query and chat engines, and in agents. ``HashEmbedding`` is an offline,
deterministic embedding for demos and tests.
"""

from __future__ import annotations

try:
    import llama_index.core  # noqa: F401 - checked first, to name the missing extra
except ModuleNotFoundError as missing:
    raise ImportError(
        "llama_index_modelslab needs llama-index-core: "
        'pip install "modelslab-integrations[llama-index]"'
    ) from missing

from ._llm import ModelsLabLLM
from ._tools import NoToolCallError
from .embeddings import HashEmbedding

__all__ = ["HashEmbedding", "ModelsLabLLM", "NoToolCallError"]
