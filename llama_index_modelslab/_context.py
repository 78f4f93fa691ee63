"""The context window LlamaIndex is told about: the catalog's, else what the server reports.

For a model id the catalog does not list, ``GET /v1/models`` may report its context length.
The lookup is made once per transport client and never hides blocking I/O from async code:

* a metadata read from sync code asks the sync client (within the model's ``deadline``);
* a metadata read from async code uses only what is already known;
* so the first async call of such a model (``achat``, ``astream_chat``, ``acomplete`` ...)
  asks with the async client first, inside that call's deadline, and hands the call what is
  left of it; later metadata reads see the answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from modelslab_transport import AsyncModelsLabClient, ClientCache, get_model_info
from modelslab_transport import context_window as catalog_context_window

__all__ = ["known_context_window", "learn_context_window"]


def _listed(model: str) -> bool:
    return get_model_info(model).known


def known_context_window(model: str, clients: ClientCache, sync_client: Any) -> int:
    """The window to report for ``model`` (no ``context_window`` override set).

    Args:
        model: The model id.
        clients: The model object's clients, for what they already learnt.
        sync_client: A callable returning the sync client (built on demand).
    """
    if _listed(model):
        return catalog_context_window(model)
    if _in_event_loop():  # a read from async code must not block the loop on a request
        reported = clients.known_context_window(model)
    else:
        reported = sync_client().reported_context_window(model)
    return reported or catalog_context_window(model)


async def learn_context_window(
    client: AsyncModelsLabClient, model: str, overridden: bool, options: dict[str, Any]
) -> dict[str, Any]:
    """Ask for ``model``'s context length before a call, once; the call's options after it.

    Nothing is asked for a listed model, an overridden window, or once the client asked.
    The lookup takes at most half of the call's deadline (``lookup_deadline``), and the call
    gets what is left, so the two together end within the call's deadline.

    Args:
        client: The async client the call is about to use.
        model: The model id.
        overridden: Whether the model object sets ``context_window`` itself.
        options: The call's transport options (``timeout``, ``deadline``, ``api_format``).
    """
    if overridden or _listed(model) or client.context_lookup_done:
        return options
    deadline = client.call_deadline(options.get("timeout"), options.get("deadline"))
    started = time.monotonic()
    await client.reported_context_window(model, deadline=deadline)
    if deadline is None:
        return options
    # A deadline must stay above zero; a spent one makes the call fail at once, unsent.
    left = max(_SPENT, deadline - (time.monotonic() - started))
    return {**options, "deadline": left}


_SPENT = 1e-3


def _in_event_loop() -> bool:
    """Whether this thread is running an event loop (the caller is async code)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
