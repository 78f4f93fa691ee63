"""Public docstrings: one short ``Example:`` that runs, and a pointer to a notebook.

The classes come from each package's ``__all__``, so a new public class without an example
fails here. Exempt, each with its reason (see :func:`exemption`): errors, TypedDicts and the
data records of the local server's engine interface. Public functions that have an
``Example:`` are checked too. Examples run like the README's: a fresh interpreter, configured
for the local server only through ``MODELSLAB_API_KEY`` and ``MODELSLAB_BASE_URL``.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typing_extensions import is_typeddict  # knows both kinds of TypedDict

import langchain_modelslab
import llama_index_modelslab
import modelslab_local
import modelslab_transport

ROOT = Path(__file__).resolve().parents[2]
PACKAGES: tuple[ModuleType, ...] = (
    modelslab_transport,
    langchain_modelslab,
    llama_index_modelslab,
    modelslab_local,
)
# Field-only records of the Engine protocol (``modelslab_local``): the Engine and
# DeterministicEngine examples build and read them; docs/local-server.md lists their fields.
ENGINE_RECORDS = {"EngineRequest", "EngineAnswer", "EngineToolCall", "EngineUsage", "ImageInfo"}
MAX_EXAMPLE_LINES = 15  # non-blank: an example, not a tutorial (the notebooks are those)

_EXAMPLE = re.compile(r"^Example:\n(.*?)(?=^\S|\Z)", re.M | re.S)
_CODE = re.compile(r"```python\n(.*?)```", re.S)
_NOTEBOOK = re.compile(r"notebooks/[\w.-]+\.ipynb")


def public() -> list[Any]:
    """Every object in the packages' ``__all__`` that is defined in them.

    Re-exported aliases are left out: ``FinishReason`` is ``str``, ``JSON`` a ``dict`` alias.
    """
    found = []
    for package in PACKAGES:
        for name in package.__all__:
            obj = getattr(package, name)
            module = getattr(obj, "__module__", None) or ""
            if module.split(".")[0] == package.__name__:
                found.append(obj)
    return found


def exemption(cls: type) -> str | None:
    """Why ``cls`` needs no example, or ``None`` when it needs one."""
    if issubclass(cls, BaseException):
        return "an error: raised, not used directly (the README's Errors section lists them)"
    if is_typeddict(cls):
        return "a TypedDict: a data shape that the clients' examples send and print"
    if cls.__name__ in ENGINE_RECORDS:
        return "a data record of the Engine protocol, built in Engine's example"
    return None


CLASSES = [obj for obj in public() if inspect.isclass(obj)]
EXEMPT = {cls: reason for cls in CLASSES if (reason := exemption(cls)) is not None}
DOCUMENTED = [cls for cls in CLASSES if cls not in EXEMPT] + [
    obj for obj in public() if inspect.isfunction(obj) and "Example:" in (inspect.getdoc(obj) or "")
]


def name(obj: Any) -> str:
    return str(obj.__name__)


def skip_reason(obj: Any) -> str | None:
    """Why ``obj``'s example cannot run here, or ``None``."""
    if obj is modelslab_local.LlamaEngine and not modelslab_local.llama_available():
        return "LlamaEngine needs the optional real model (make local-model): not installed"
    return None


def example(obj: Any) -> str | None:
    """The code of ``obj``'s only ``Example:`` section, or ``None`` when it has none."""
    sections = _EXAMPLE.findall(inspect.getdoc(obj) or "")
    blocks = _CODE.findall(sections[0]) if len(sections) == 1 else []
    return textwrap.dedent(blocks[0]) if len(blocks) == 1 else None


def test_the_public_classes_are_collected() -> None:
    names = {name(o) for o in DOCUMENTED}
    assert len(names) == len(DOCUMENTED), "two documented objects share a name"
    assert {"ModelsLabClient", "ChatModelsLab", "ModelsLabLLM", "LocalServer"} <= names
    assert {"start_server", "get_modelslab_callback"} <= names  # functions with an example
    stale = ENGINE_RECORDS - {name(c) for c in EXEMPT}
    assert not stale, f"exempted but not public: {stale}"


@pytest.mark.parametrize("cls", list(EXEMPT), ids=name)
def test_exempt_class_is_documented(cls: type) -> None:
    """Exempt from the example only (:func:`exemption` says why), not from the docstring."""
    assert EXEMPT[cls]
    assert inspect.getdoc(cls), f"{name(cls)}: exempt from an example, not from a docstring"


@pytest.mark.parametrize("obj", DOCUMENTED, ids=name)
def test_docstring_has_one_short_example(obj: Any) -> None:
    code = example(obj)
    assert code is not None, f"{name(obj)}: give it one 'Example:' with one ```python block"
    lines = [line for line in code.splitlines() if line.strip()]
    assert len(lines) <= MAX_EXAMPLE_LINES, f"{name(obj)}: {len(lines)} lines; shorten it"
    assert "print(" in code, f"{name(obj)}: the example should show something"


@pytest.mark.parametrize("obj", DOCUMENTED, ids=name)
def test_docstring_points_to_a_notebook(obj: Any) -> None:
    notebooks = _NOTEBOOK.findall(inspect.getdoc(obj) or "")
    assert notebooks, f"{name(obj)}: say which notebook (notebooks/NN_*.ipynb) shows more"
    for notebook in notebooks:
        assert (ROOT / notebook).is_file(), f"{name(obj)}: {notebook} does not exist"


@pytest.fixture(scope="module")
def runs(run_example: Any) -> dict[str, Any]:
    """Every runnable example, run concurrently, each in its own interpreter and folder."""
    todo = [(name(o), code) for o in DOCUMENTED if not skip_reason(o) and (code := example(o))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda job: run_example(f"doc-{job[0]}", job[1]), todo)
        return {job[0]: result for job, result in zip(todo, results, strict=True)}


@pytest.mark.parametrize("obj", DOCUMENTED, ids=name)
def test_docstring_example_runs(obj: Any, runs: dict[str, Any]) -> None:
    reason = skip_reason(obj)
    if reason is not None:
        pytest.skip(reason)
    result = runs.get(name(obj))
    assert result is not None, f"{name(obj)}: no example to run"
    assert result.returncode == 0, f"{name(obj)}:\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), f"{name(obj)}: the example should show something"
