"""The ``modelslab_script`` pytest fixture: a local ModelsLab server that says what you script.

Installed with the package (a ``pytest11`` entry point), so a test only names the fixture.
It lives outside ``modelslab_local`` so that loading the plugin never imports the local
server: a suite installed without the ``local`` extra loads it and runs as before, and only a
test that asks for the fixture needs the extra (the error then names it)::

    def test_my_agent(modelslab_script):
        modelslab_script.reply("Paris")
        ...  # call ChatModelsLab / ModelsLabLLM: MODELSLAB_BASE_URL and the key are set
        assert modelslab_script.requests[0]["messages"][-1]["content"] == "Capital of France?"

The server runs on loopback for the one test, with the scripted engine
(``modelslab_local.ScriptedEngine``), any model id allowed; ``MODELSLAB_BASE_URL`` and
``MODELSLAB_API_KEY`` point at it for the test's duration. Nothing is imported until a test
asks for the fixture, so the plugin costs nothing to a suite that does not use it (and needs
the ``local`` extra only then).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ._vcr import modelslab_vcr_config

if TYPE_CHECKING:
    from modelslab_local import ScriptedEngine

__all__ = ["ScriptedServer", "modelslab_script", "modelslab_vcr_config"]


class ScriptedServer:
    """What the fixture gives a test: the script to fill and where the server listens.

    Attributes:
        base_url: The API base URL (also in ``MODELSLAB_BASE_URL`` during the test).
        api_key: The key the server accepts (also in ``MODELSLAB_API_KEY``).
        engine: The :class:`~modelslab_local.ScriptedEngine`: ``reply``, ``fail``, ``queue``.
    """

    def __init__(self, base_url: str, api_key: str, engine: ScriptedEngine) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.engine = engine
        self.reply = engine.reply
        self.fail = engine.fail
        self.queue = engine.queue

    @property
    def requests(self) -> list[dict[str, object]]:
        """The JSON bodies the server received, in order."""
        return self.engine.requests

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        return self.engine.pending


@pytest.fixture
def modelslab_script(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    """A loopback ModelsLab server answering with the replies the test queues."""
    from modelslab_local import ScriptedEngine, start_server

    engine = ScriptedEngine()
    with start_server(engine=engine, allow_unknown_models=True) as server:
        monkeypatch.setenv("MODELSLAB_BASE_URL", server.base_url)
        monkeypatch.setenv("MODELSLAB_API_KEY", server.api_key)
        yield ScriptedServer(server.base_url, server.api_key, engine)
