"""What a client learnt from ``GET /v1/models`` about context lengths. No I/O here.

A model id the catalog does not list (a new route, a fine-tune, a local server's model) may
have its context length reported by the server. Each client asks once (the sync and async
clients' ``reported_context_window``), within the deadline of the call that asks, and keeps
the answer, or the failure, so that no later call or metadata read waits on it again.
"""

from __future__ import annotations

from ._call import contexts_by_id
from ._types import ModelEntry

__all__ = ["ContextLookup"]


class ContextLookup:
    """The lookup's memory, shared by both clients (see ``BaseClient``)."""

    # Context lengths by model id; ``None``: not asked yet.
    _reported_contexts: dict[str, int] | None = None

    @property
    def context_lookup_done(self) -> bool:
        """Whether this client already asked ``GET /v1/models`` (answered or not)."""
        return self._reported_contexts is not None

    def known_context_window(self, model: str) -> int | None:
        """What the lookup learnt for ``model``, without asking (no I/O)."""
        return (self._reported_contexts or {}).get(model)

    def _remember_contexts(self, entries: list[ModelEntry]) -> None:
        """Keep what a lookup learnt (nothing, after a failure): it is asked once."""
        self._reported_contexts = contexts_by_id(entries)
