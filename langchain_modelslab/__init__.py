"""LangChain integration for ModelsLab's LLM API.

``ChatModelsLab`` is a LangChain chat model on the shared ``modelslab_transport`` httpx
client; ``get_modelslab_callback`` totals tokens and dollars over a block of code.
"""

from __future__ import annotations

try:
    import langchain_core  # noqa: F401 - checked first, to name the missing extra
except ModuleNotFoundError as missing:
    raise ImportError(
        'langchain_modelslab needs langchain-core: pip install "modelslab-integrations[langchain]"'
    ) from missing

from modelslab_transport import __version__

from ._callback import ModelsLabCallbackHandler, get_modelslab_callback
from ._errors import UnsupportedContentError
from .chat_models import ChatModelsLab

__all__ = [
    "ChatModelsLab",
    "ModelsLabCallbackHandler",
    "UnsupportedContentError",
    "__version__",
    "get_modelslab_callback",
]
