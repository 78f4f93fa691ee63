"""The rule-based engine's vocabulary: which words make a field a place, a name, a query...

Kept apart from the filler (``_schema.py``) so the rules read as a table: a reader can scan
what each field name means to the engine without reading the code that applies it.
"""

from __future__ import annotations

import re

__all__ = [
    "CUES",
    "DESC_WORDS",
    "FORMATS",
    "NAME_WORDS",
    "PLACE_WORDS",
    "PUNCHLINE_WORDS",
    "QUERY_WORDS",
    "SETUP_WORDS",
    "joke",
]

PLACE_WORDS = {"location", "city", "place", "address", "country", "region", "destination"}
NAME_WORDS = {
    "name",
    "title",
    "customer",
    "person",
    "company",
    "user",
    "author",
    "label",
    "artist",
    "owner",
    "creator",
    "band",
    "brand",
    "organization",
    "organisation",
    "team",
}
# Fields a relation in the prompt names: "an album by Adele" (artist), "called 25" (name).
CUES: tuple[tuple[frozenset[str], re.Pattern[str]], ...] = (
    (
        frozenset({"artist", "author", "creator", "band", "composer", "writer", "singer"}),
        re.compile(r"\bby\s+([A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*)*)"),
    ),
    (
        frozenset({"name", "title"}),
        re.compile(
            r"\b(?:called|named|titled|entitled)\s+[\"']?([^\"',;\n]+?)[\"']?(?=[,;\n]|\.\s|\.?$)"
        ),
    ),
)
# Fields that carry the request itself (a query-engine tool's ``input``, a search ``query``).
QUERY_WORDS = {"input", "query", "question", "search", "prompt", "request", "q"}
DESC_WORDS = {"description", "details", "detail", "summary", "notes", "note", "comment"}
SETUP_WORDS = {"setup", "question", "premise"}
PUNCHLINE_WORDS = {"punchline", "punch", "answer", "resolution"}
FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def joke(subject: str | None) -> tuple[str, str]:
    """A deterministic two-line joke about ``subject``."""
    thing = (subject or "computer").strip().rstrip(".!?")
    if " " not in thing and thing.endswith("s") and not thing.endswith("ss"):
        thing = thing[:-1]
    return (
        f"Why did the {thing} sit on the keyboard?",
        f"Because the {thing} wanted to keep an eye on the mouse!",
    )
