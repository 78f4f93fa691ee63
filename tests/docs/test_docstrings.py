"""The public classes' docstrings: each has one ``Example:`` that runs, and points to the notebooks.

The example runs like the README's: a fresh interpreter, configured for the local server only
through ``MODELSLAB_API_KEY`` and ``MODELSLAB_BASE_URL``.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from langchain_modelslab import ChatModelsLab
from llama_index_modelslab import ModelsLabLLM
from modelslab_local import start_server
from modelslab_transport import AsyncModelsLabClient, ModelsLabClient

DOCUMENTED = [ChatModelsLab, ModelsLabLLM, ModelsLabClient, AsyncModelsLabClient, start_server]
_EXAMPLE = re.compile(r"^Example:\n(.*?)(?=^\S|\Z)", re.M | re.S)
_CODE = re.compile(r"```python\n(.*?)```", re.S)


def example(obj: Any) -> str:
    """The code of ``obj``'s ``Example:`` section."""
    doc = inspect.getdoc(obj) or ""
    section = _EXAMPLE.search(doc)
    assert section, f"{obj.__name__} has no 'Example:' section"
    code = _CODE.search(section.group(1))
    assert code, f"{obj.__name__}: the example is not a ```python block"
    return textwrap.dedent(code.group(1))


@pytest.mark.parametrize("obj", DOCUMENTED, ids=lambda o: o.__name__)
def test_docstring_points_to_the_notebooks(obj: Any) -> None:
    doc = inspect.getdoc(obj) or ""
    assert "notebooks/" in doc, f"{obj.__name__}: say which notebook shows more"


@pytest.fixture(scope="module")
def runs(run_example: Any) -> dict[str, Any]:
    """Every example, run concurrently, each in its own interpreter and folder."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda o: run_example(f"doc-{o.__name__}", example(o)), DOCUMENTED)
        return {o.__name__: r for o, r in zip(DOCUMENTED, results, strict=True)}


@pytest.mark.parametrize("obj", DOCUMENTED, ids=lambda o: o.__name__)
def test_docstring_example_runs(obj: Any, runs: dict[str, Any]) -> None:
    result = runs[obj.__name__]
    assert result.returncode == 0, f"{obj.__name__}:\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), f"{obj.__name__}: the example should show something"
