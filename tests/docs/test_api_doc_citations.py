"""Comments cite what is in the repository: every ``modelslab-api.md §N`` names a real section."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "modelslab-api.md"
CODE = [
    "modelslab_transport",
    "langchain_modelslab",
    "llama_index_modelslab",
    "modelslab_local",
    "tests",
]
# "§3.2, §3.3" and "§3.2 and §3.3" cite two sections after one mention of the file.
_CITATION = re.compile(r"modelslab-api\.md(?:``)?\s*((?:§[\d.]*\d(?:,\s*|\s+and\s+)?)+)")


def sections() -> set[str]:
    """``"3"``, ``"3.2"`` from the headings; ``"10.1"`` ... from section 10's numbered list."""
    found: set[str] = set()
    in_ten = False
    for line in DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#{2,3} (\d+(?:\.\d+)?)\.? ", line)
        if heading:
            found.add(heading.group(1))
            in_ten = heading.group(1) == "10"
        item = re.match(r"(\d+)\. \*\*", line)
        if in_ten and item:
            found.add(f"10.{item.group(1)}")
    return found


def citations() -> list[tuple[str, str]]:
    """``(file:line, section)`` for every citation of the API page in code and tests."""
    out = []
    for package in CODE:
        for path in sorted((ROOT / package).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for match in _CITATION.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                for number in re.findall(r"§([\d.]*\d)", match.group(1)):
                    out.append((f"{path.relative_to(ROOT)}:{line}", number))
    return out


def test_the_api_page_has_its_sections() -> None:
    assert {"1", "2", "3.3", "4.3", "8.1", "10"} <= sections()
    assert {f"10.{n}" for n in range(1, 15)} <= sections()  # every documented disagreement


def test_every_citation_names_a_section() -> None:
    found = citations()
    assert len(found) >= 10  # the checker sees the citations that exist
    known = sections()
    assert [(where, n) for where, n in found if n not in known] == []


def test_no_comment_points_at_notes_outside_the_repository() -> None:
    stale = re.compile(r"research notes|contradiction \d", re.IGNORECASE)
    hits = [
        f"{path.relative_to(ROOT)}"
        for package in CODE
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != Path(__file__).name and stale.search(path.read_text(encoding="utf-8"))
    ]
    assert hits == []
