"""LangChain integration for ModelsLab's LLM API.

``ChatModelsLab`` is a LangChain chat model on the shared ``modelslab_transport`` httpx
client; ``get_modelslab_callback`` totals tokens and dollars over a block of code.
"""

from __future__ import annotations

from modelslab_transport import __version__

from ._callback import ModelsLabCallbackHandler, get_modelslab_callback
from ._convert import UnsupportedContentError
from .chat_models import ChatModelsLab

__all__ = [
    "ChatModelsLab",
    "ModelsLabCallbackHandler",
    "UnsupportedContentError",
    "__version__",
    "get_modelslab_callback",
]
