"""Suite-wide test configuration.

Tests marked ``live`` talk to the real ModelsLab API; they run only when
``MODELSLAB_API_KEY`` is set and skip cleanly otherwise, so the default run never leaves
loopback.
"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip live tests when no API key is configured."""
    if os.environ.get("MODELSLAB_API_KEY"):
        return
    skip_live = pytest.mark.skip(reason="live test: set MODELSLAB_API_KEY to run it")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip_live)
