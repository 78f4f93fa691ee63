"""Suite-wide test configuration.

Every test may connect only to loopback (``--allow-hosts`` in ``pyproject.toml``, enforced by
pytest-socket). Tests marked ``live`` talk to the real ModelsLab API: they run only when
``MODELSLAB_API_KEY`` is set and the base URL in use is ModelsLab's (or ``MODELSLAB_LIVE=1``
asks for another host on purpose), with the network open to them alone, and skip cleanly
otherwise, so the default run never leaves loopback. The summary says how many were skipped
and why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest


def _live_skip_reason() -> str | None:
    """Why live tests cannot run here, or ``None`` when they can."""
    if not os.environ.get("MODELSLAB_API_KEY"):
        return "MODELSLAB_API_KEY is not set (run: MODELSLAB_API_KEY=... pytest -m live)"
    url = os.environ.get("MODELSLAB_BASE_URL") or "https://modelslab.com/api/v7/llm"
    host = urlsplit(url).hostname or ""
    ours = host == "modelslab.com" or host.endswith(".modelslab.com")
    if not ours and os.environ.get("MODELSLAB_LIVE") != "1":
        return f"MODELSLAB_BASE_URL points at {host}, not ModelsLab (MODELSLAB_LIVE=1 to run)"
    return None


_LIVE_SKIPPED: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Open the network to live tests when they can reach ModelsLab, else skip them."""
    live = [item for item in items if "live" in item.keywords]
    reason = _live_skip_reason()
    if reason is None:
        for item in live:
            item.add_marker(pytest.mark.enable_socket)
            # Recorded with the key scrubbed (see vcr_config): a first live run leaves cassettes.
            item.add_marker(pytest.mark.vcr)
        return
    skip_live = pytest.mark.skip(reason=f"live test: {reason}")
    for item in live:
        item.add_marker(skip_live)
    if live:
        _LIVE_SKIPPED[:] = [f"{len(live)} live tests skipped: {reason}."]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many tests against the real API were skipped, and why."""
    for line in _LIVE_SKIPPED:
        terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def vcr_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """pytest-recording's configuration for live tests: the key scrubbed from every cassette.

    A live run records what it does not have yet (``once``; ``--record-mode`` overrides), in
    ``cassettes/<module>/`` beside the test file.
    """
    from modelslab_pytest import modelslab_vcr_config

    mode = request.config.getoption("--record-mode", default=None) or "none"
    return {**modelslab_vcr_config(), "record_mode": "once" if mode == "none" else mode}


@pytest.fixture
def restore_catalog() -> Iterator[None]:
    """Put back every entry a test replaces or adds: the process-wide catalog stays as shipped."""
    from modelslab_transport import _catalog, list_catalog, register_model

    before = {m.id: m for m in list_catalog()}
    yield
    for info in list_catalog():
        if info.id in before:
            register_model(before[info.id])
        else:  # the public API has no removal: a catalog only grows in a user's process
            with _catalog._lock:
                del _catalog._registry[info.id]
