"""What the notebooks import is installed by `pip install "modelslab-integrations[notebooks]"`."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
OURS = {"modelslab_transport", "langchain_modelslab", "llama_index_modelslab", "modelslab_local"}


def _imported_top_levels() -> set[str]:
    names: set[str] = set()
    for source in (ROOT / "notebooks" / "src").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - OURS


def _closure(extra: str) -> set[str]:
    """Distribution names the extra installs, following requirements transitively."""
    todo = [f"modelslab-integrations[{extra}]"]
    seen: set[str] = set()
    while todo:
        requirement = Requirement(todo.pop())
        name = requirement.name.lower().replace("_", "-")
        extras = requirement.extras
        key = f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for line in requires(name) or []:
            dep = Requirement(line)
            wanted = extras or {""}
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in wanted):
                todo.append(str(dep).split(";")[0])
    return {key.split("[")[0] for key in seen}


def test_the_notebooks_extra_installs_what_the_notebooks_import() -> None:
    installed = _closure("notebooks")
    owners = packages_distributions()
    missing = {
        module: owners.get(module)
        for module in _imported_top_levels()
        if not {d.lower().replace("_", "-") for d in owners.get(module, [])} & installed
    }
    assert not missing, f"imported by a notebook, not installed by the extra: {missing}"
