"""Fixtures for the documentation tests: the notebook builder, a local server, an example runner."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
RunExample = Callable[[str, str], "subprocess.CompletedProcess[str]"]


def load_builder() -> ModuleType:
    """``notebooks/build.py`` as a module (it is a script, not part of a package)."""
    spec = importlib.util.spec_from_file_location(
        "notebooks_build", ROOT / "notebooks" / "build.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def builder() -> ModuleType:
    return load_builder()


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """The local ModelsLab-compatible server, on a free loopback port."""
    from modelslab_local import start_server

    with start_server() as handle:
        yield handle


@pytest.fixture(scope="module")
def run_example(server: Any, tmp_path_factory: pytest.TempPathFactory) -> RunExample:
    """Run example code as a user would: a fresh interpreter in an empty folder, configured for
    the local server only through ``MODELSLAB_API_KEY`` and ``MODELSLAB_BASE_URL``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELSLAB_")}
    env.update(MODELSLAB_API_KEY=server.api_key, MODELSLAB_BASE_URL=server.base_url)
    # pytest creates its base temp folder on first use, unguarded: create it here, before
    # examples run in threads and race to create it.
    tmp_path_factory.getbasetemp()

    def run(name: str, code: str) -> subprocess.CompletedProcess[str]:
        folder = tmp_path_factory.mktemp(name)
        (folder / "example.py").write_text(code, encoding="utf-8")
        return subprocess.run(
            [sys.executable, "example.py"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )

    return run
