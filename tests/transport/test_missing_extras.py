"""Importing a package whose extra is not installed names the pip line that installs it.

Each case runs in a fresh interpreter with an import hook that makes the framework look
absent (nothing is uninstalled).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

BLOCK = """
import sys
from importlib.abc import MetaPathFinder

class Absent(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == {blocked!r} or name.startswith({blocked!r} + "."):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Absent())
try:
    import {package}
except ImportError as error:
    print(type(error).__name__, error)
"""


@pytest.mark.parametrize(
    ("package", "blocked", "extra"),
    [
        ("langchain_modelslab", "langchain_core", "langchain"),
        ("llama_index_modelslab", "llama_index", "llama-index"),
        ("modelslab_local", "starlette", "local"),
        ("modelslab_local", "uvicorn", "local"),
    ],
)
def test_a_missing_extra_is_named(package: str, blocked: str, extra: str) -> None:
    code = BLOCK.format(package=package, blocked=blocked)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ImportError "), done.stdout
    assert f'pip install "modelslab-integrations[{extra}]"' in done.stdout


def test_the_pytest_plugin_loads_without_the_local_extra() -> None:
    """pytest loads every installed plugin: ours must not need the local server to load."""
    code = BLOCK.format(package="modelslab_pytest", blocked="starlette")
    code += "\nprint('loaded', 'modelslab_local' in sys.modules)\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "loaded False"
