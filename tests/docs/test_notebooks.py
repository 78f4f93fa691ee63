"""The notebooks: each runs from a clean kernel against the local server, and is stored current.

The kernel is this interpreter (see ``notebooks/build.py``) with ``MODELSLAB_API_KEY`` and
``MODELSLAB_BASE_URL`` removed from its environment, so every notebook takes its local-server
branch whatever the developer's shell has set.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "notebooks" / "src").glob("*.py"))
# Outputs a reader would rather look at than read: the picture sent to the vision model, the
# cost chart.
IMAGES = {"01_langchain_quickstart": 1, "02_llama_index_quickstart": 0, "03_usage_and_cost": 1}


def _images(nb: object) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells  # type: ignore[attr-defined]
        for output in cell.get("outputs", [])
    )


def _texts(nb: object) -> list[list[str]]:
    """Each code cell's text outputs (images left out: their bytes vary with the platform)."""
    cells = []
    for cell in nb.cells:  # type: ignore[attr-defined]
        if cell.cell_type == "code":
            texts = [o.get("text", "") for o in cell.outputs]
            data = [sorted(o.get("data", {}).items()) for o in cell.outputs]
            texts += [v for items in data for k, v in items if k.startswith("text/")]
            cells.append(texts)
    return cells


def test_the_three_notebooks_exist() -> None:
    assert {s.stem for s in SOURCES} >= set(IMAGES)


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_stored_notebook_is_built_from_its_source(builder: ModuleType, source: Path) -> None:
    assert builder.check(source) == [], "run `make notebooks`"
    stored = builder.nbformat.read(builder.target(source), as_version=4)
    assert _images(stored) == IMAGES.get(source.stem, 0)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_notebook_runs_on_the_local_server(builder: ModuleType, source: Path) -> None:
    env = builder.kernel_env(live=False)
    assert "MODELSLAB_API_KEY" not in env
    nb = builder.tidy(builder.run(builder.build(source), env))  # raises on a failing cell
    assert builder.problems(nb, env) == []
    first = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert first.startswith("Backend: the local ModelsLab-compatible server")
    assert _images(nb) == IMAGES.get(source.stem, 0)
    stored = builder.nbformat.read(builder.target(source), as_version=4)
    assert _texts(nb) == _texts(stored), "the stored outputs are stale: run `make notebooks`"
