"""``modelslab-check``: a live conformance battery for your key and model.

Run ``modelslab-check --model MODEL`` with ``MODELSLAB_API_KEY`` set: each probe (auth, the
model list, chat, streaming, tools, JSON, vision, reasoning, the Messages route, error shapes)
ends ``ok``, ``differs`` (naming the point of docs/modelslab-api.md §10 its answer settles),
``fails`` or ``skipped``. ``--record DIR`` keeps every exchange as vcrpy cassettes with the key
scrubbed; ``--replay DIR`` answers from them with no network. Needs only the base install
(record/replay: the ``record`` extra).
"""

from __future__ import annotations

from ._cassette import SCRUBBED, SECRET_HEADERS, CassetteRecorder, CassetteReplayer, scrub_text
from ._cli import main, run_battery

__all__ = [
    "SCRUBBED",
    "SECRET_HEADERS",
    "CassetteRecorder",
    "CassetteReplayer",
    "main",
    "run_battery",
    "scrub_text",
]
