"""Suite-wide test configuration.

Every test may connect only to loopback (``--allow-hosts`` in ``pyproject.toml``, enforced by
pytest-socket). Tests marked ``live`` talk to the real ModelsLab API: they run only when
``MODELSLAB_API_KEY`` is set, with the network open to them alone, and skip cleanly otherwise,
so the default run never leaves loopback.
"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Open the network to live tests when an API key is configured, else skip them."""
    live = [item for item in items if "live" in item.keywords]
    if os.environ.get("MODELSLAB_API_KEY"):
        for item in live:
            item.add_marker(pytest.mark.enable_socket)
        return
    skip_live = pytest.mark.skip(reason="live test: set MODELSLAB_API_KEY to run it")
    for item in live:
        item.add_marker(skip_live)
