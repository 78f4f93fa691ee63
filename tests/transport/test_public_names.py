"""Packages talk through public names: nothing outside the transport imports its ``_`` modules.

The adapters and the local server depend on ``modelslab_transport``'s ``__all__`` only, so the
transport can move its internals without breaking them (tests may reach inside).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import modelslab_transport

ROOT = Path(__file__).resolve().parents[2]
CONSUMERS = [
    "langchain_modelslab",
    "llama_index_modelslab",
    "modelslab_local",
    "modelslab_pytest",
    "examples",
    "bench",
]


def private_uses(source: str, where: str) -> list[str]:
    """``where:line name`` for each import of a private transport module or name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            names = [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            module, names = "", [a.name for a in node.names]
        else:
            continue
        for full in [module, *(f"{module}.{n}" if module else n for n in names)]:
            parts = full.split(".")
            private = [p for p in parts[1:] if p.startswith("_") and not p.startswith("__")]
            if parts[0] == "modelslab_transport" and private:
                found.append(f"{where}:{node.lineno} {full}")
                break
    return found


@pytest.mark.parametrize("package", CONSUMERS)
def test_only_public_transport_names_are_imported(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no Python files"
    uses = [
        use
        for path in files
        for use in private_uses(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert uses == []


def test_every_imported_name_is_exported() -> None:
    """``from modelslab_transport import X`` names only what ``__all__`` lists."""
    exported = set(modelslab_transport.__all__)
    missing = []
    for package in CONSUMERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "modelslab_transport":
                    missing += [a.name for a in node.names if a.name not in exported]
    assert missing == []


def test_the_checker_sees_a_private_import() -> None:
    source = (
        "from modelslab_transport._types import WireToolCall\n"
        "import modelslab_transport._catalog\n"
        "from modelslab_transport import _openai, ChatRequest\n"
        "from modelslab_transport import ChatRequest, __version__\n"
    )
    assert private_uses(source, "probe.py") == [
        "probe.py:1 modelslab_transport._types",
        "probe.py:2 modelslab_transport._catalog",
        "probe.py:3 modelslab_transport._openai",
    ]
