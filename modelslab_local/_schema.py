"""Build a value that validates against a JSON schema, drawing the values from a prompt.

Used for tool-call arguments, ``json_schema`` structured output and JSON mode. The rules are
generic: numbers come from numbers in the prompt (in order), strings from quoted text, a named
value (``b is 4``), or a phrase that suits the field (a place for ``location``, the aside for
``description``), enums by matching, and objects and arrays recursively. Evidence (tool results)
adds values after the prompt's, and free-text fields take the evidence sentence that suits them.
"""

from __future__ import annotations

import math
import re
from collections import deque
from typing import Any

from . import _text
from ._vocabulary import (
    CUES,
    DESC_WORDS,
    FORMATS,
    NAME_WORDS,
    PLACE_WORDS,
    PUNCHLINE_WORDS,
    QUERY_WORDS,
    SETUP_WORDS,
    joke,
)

JSON = dict[str, Any]


class SchemaFiller:
    """Fills one schema from one prompt; each number or quote in the prompt is used once.

    ``evidence`` (tool results, as text) is read after the prompt; a free-text field with no
    better source takes the evidence sentence closest to the field's name and description.
    """

    def __init__(self, prompt: str, root: JSON | None = None, evidence: str = "") -> None:
        # Quoted text is the user's; quotes in results are mostly JSON strings, reached by name.
        self._quotes: deque[str] = deque(_text.quoted(prompt))
        self._is_joke = "joke" in prompt.lower()
        prompt = f"{prompt}\n{evidence}" if evidence else prompt
        self.prompt = prompt
        self.root = root or {}
        self._evidence = _text.sentences(evidence)
        self._numbers: deque[int | float] = deque(_text.numbers(prompt))
        self._lower = prompt.lower()
        self._used: set[str] = set()

    def fill(self, schema: JSON) -> Any:
        """Return a value for ``schema`` (the root schema of this filler)."""
        self.root = self.root or schema
        names = set(_property_names(self.resolve(schema)))
        # Quoted key names ("with 'setup' and 'punchline' keys") are not values.
        self._quotes = deque(q for q in self._quotes if q not in names)
        return self.value(schema, "", "")

    def resolve(self, schema: JSON) -> JSON:
        """Follow ``$ref`` and merge ``allOf``; pick the first non-null ``anyOf``/``oneOf``."""
        for _ in range(32):
            ref = schema.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                target: Any = self.root
                for part in ref[2:].split("/"):
                    target = target.get(part, {}) if isinstance(target, dict) else {}
                schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
                continue
            if "allOf" in schema:
                merged = {k: v for k, v in schema.items() if k != "allOf"}
                for sub in schema["allOf"]:
                    merged = _merge(merged, self.resolve(sub))
                schema = merged
                continue
            options = schema.get("anyOf") or schema.get("oneOf")
            if options:
                chosen = next((o for o in options if o.get("type") != "null"), options[0])
                rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
                schema = {**rest, **chosen}
                continue
            return schema
        return schema

    def value(self, schema: JSON, name: str, description: str) -> Any:
        """Return a value for a (sub)schema of a field called ``name``."""
        schema = self.resolve(schema)
        description = str(schema.get("description") or description)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return self._enum(list(schema["enum"]), name)
        kind = _type_of(schema)
        if kind == "object":
            return self._object(schema)
        if kind == "array":
            return self._array(schema, name, description)
        if kind in ("integer", "number"):
            return self._number(schema, name, integer=kind == "integer")
        if kind == "boolean":
            return self._boolean(name)
        if kind == "null":
            return None
        return self._string(schema, name, description)

    # ------------------------------------------------------------------ composite values

    def _object(self, schema: JSON) -> JSON:
        properties: JSON = schema.get("properties") or {}
        required = set(schema.get("required") or [])
        result: JSON = {}
        for key, sub in properties.items():
            if key not in required and not self._wanted(key, sub):
                continue
            sub_schema = sub if isinstance(sub, dict) else {}
            result[key] = self.value(sub_schema, key, str(sub_schema.get("description", "")))
        self._more_properties(schema, result)
        return result

    def _more_properties(self, schema: JSON, result: JSON) -> None:
        """Reach ``minProperties``: optional properties first, then made-up keys if allowed."""
        wanted = int(schema.get("minProperties", 0))
        properties: JSON = schema.get("properties") or {}
        for key, sub in properties.items():
            if len(result) >= wanted:
                return
            if key not in result:
                sub_schema = sub if isinstance(sub, dict) else {}
                result[key] = self.value(sub_schema, key, str(sub_schema.get("description", "")))
        extra = schema.get("additionalProperties")
        extra_schema: JSON = extra if isinstance(extra, dict) else {}
        while len(result) < wanted and extra is not False:
            key = f"key_{len(result) + 1}"
            result[key] = self.value(extra_schema, key, "")

    def _array(self, schema: JSON, name: str, description: str) -> list[Any]:
        items = schema.get("items")
        item_schema: JSON = items if isinstance(items, dict) else {}
        count = max(int(schema.get("minItems", 1)), 1)
        if _type_of(self.resolve(item_schema)) == "string" and "enum" not in item_schema:
            listed = self._listed_phrases()
            if len(listed) > 1:
                return listed[: schema.get("maxItems", len(listed))]
        unique = bool(schema.get("uniqueItems"))
        options = self.resolve(item_schema).get("enum")
        if unique and isinstance(options, list) and len(options) >= count:
            return list(options[:count])  # distinct by construction
        values = [self.value(item_schema, name, description) for _ in range(count)]
        return _distinct(values) if unique else values

    def _wanted(self, key: str, sub: Any) -> bool:
        """Whether an optional property should be filled: mentioned and not negated."""
        spoken = " ".join(_text.identifier_words(key))
        if re.search(
            rf"\b(?:no|without|not|skip)\s+(?:the\s+|a\s+)?{re.escape(spoken)}", self._lower
        ):
            return False
        if self._named(key) is not None or spoken in self._lower:
            return True
        key_words = set(_text.identifier_words(key))
        return self._is_joke and bool(key_words & (SETUP_WORDS | PUNCHLINE_WORDS))

    # ------------------------------------------------------------------ scalar values

    def _named(self, name: str) -> str | None:
        """A value given by name in the prompt: ``b is 4``, ``unit=celsius``, ``name: 'Ann'``."""
        if not name:
            return None
        spoken = r"[\s_-]*".join(re.escape(w) for w in _text.identifier_words(name))
        value = r"(\"[^\"]*\"|'[^']*'|-?\d+(?:\.\d+)?|\w+)"
        pattern = rf"\b{spoken}\b\s*(?:=|:|\bis\b|\bof\b|\bequals\b)\s*{value}"
        match = re.search(pattern, self.prompt, re.IGNORECASE)
        if not match:
            return None
        return match.group(1).strip("'\"")

    def _number(self, schema: JSON, name: str, *, integer: bool) -> int | float:
        named = self._named(name)
        picked: float | None = None
        if named is not None and _text.numbers(named):
            picked = _text.numbers(named)[0]
        elif self._numbers:
            picked = self._numbers.popleft()
        value = picked if picked is not None else schema.get("default", 0)
        value = _clip(float(value), schema, integer=integer)
        return round(value) if integer or float(value).is_integer() else value

    def _boolean(self, name: str) -> bool:
        spoken = " ".join(_text.identifier_words(name))
        if not spoken or spoken not in self._lower:
            return False
        return not re.search(
            rf"\b(?:not|no|don't|without)\s+(?:\w+\s+)?{re.escape(spoken)}", self._lower
        )

    def _enum(self, options: list[Any], name: str) -> Any:
        named = self._named(name)
        for option in options:
            if named is not None and str(option).lower() == named.lower():
                return option
        for option in options:
            if re.search(rf"\b{re.escape(str(option).lower())}\b", self._lower):
                return option
        return options[0] if options else None

    def _string(self, schema: JSON, name: str, description: str) -> str:
        fmt = schema.get("format")
        if isinstance(fmt, str) and fmt in FORMATS:
            return FORMATS[fmt]
        value = self._named(name) if name and _named_ok(name) else None
        value = value or self._cue(name) or self._semantic(name, description)
        if value is None and self._quotes:
            value = self._quotes.popleft()
        value = value or self._from_evidence(name, description) or self._fallback()
        self._used.add(value)
        min_len = int(schema.get("minLength", 0))
        value = value.ljust(min_len, ".") if len(value) < min_len else value
        max_len = schema.get("maxLength")
        # A ``pattern`` the prompt's words do not fit is left unmet: the engine does not
        # invent text to satisfy a regular expression (the client's validation says so).
        return value[: int(max_len)] if isinstance(max_len, int) else value

    def _semantic(self, name: str, description: str) -> str | None:
        """A phrase that suits what the field is about, judged from its name and description."""
        name_words = set(_text.identifier_words(name))
        about = name_words | set(_text.words(description))
        if self._is_joke and name_words & SETUP_WORDS:
            return joke(_text.topic(self.prompt))[0]
        if self._is_joke and name_words & PUNCHLINE_WORDS:
            return joke(_text.topic(self.prompt))[1]
        if name_words & PLACE_WORDS or (not name_words and about & PLACE_WORDS):
            return self._take_quote() or _text.place(self.prompt) or _text.capitalized(self.prompt)
        if name_words & NAME_WORDS:
            return self._take_quote() or self._fresh_capitalized()
        if name_words & DESC_WORDS:
            return _text.aside(self.prompt)
        if name_words & QUERY_WORDS:
            return _text.shorten(self.prompt.strip().rstrip("?.!"), 200) or None
        return None

    def _cue(self, name: str) -> str | None:
        """The value a relation in the prompt gives this field (``by Adele`` for ``artist``)."""
        words = set(_text.identifier_words(name))
        for fields, pattern in CUES:
            match = pattern.search(self.prompt) if words & fields else None
            if match and match.group(1).strip() not in self._used:
                return match.group(1).strip()
        return None

    def _take_quote(self) -> str | None:
        return self._quotes.popleft() if self._quotes else None

    def _fresh_capitalized(self) -> str | None:
        """The first name-like phrase no other field has used yet.

        Capitalized phrases inside sentences first (acronyms such as ``JSON`` are format
        words, not names), then the subject a sentence opens with (``Alice is 30``).
        """
        phrases = [p for p in _text.capitalized_phrases(self.prompt) if not p.isupper()]
        fresh = [p for p in [*phrases, *_text.subjects(self.prompt)] if p not in self._used]
        return fresh[0] if fresh else None

    def _from_evidence(self, name: str, description: str) -> str | None:
        """The evidence sentence sharing most words with the field (the first on a tie)."""
        if not self._evidence:
            return None
        about = _text.content_words(f"{' '.join(_text.identifier_words(name))} {description}")
        ranked = [
            (_text.overlap(about, _text.content_words(s)), -i) for i, s in enumerate(self._evidence)
        ]
        return self._evidence[-max(ranked)[1]]

    def _fallback(self) -> str:
        # A value that is in the prompt, else a plain placeholder: never a slice of the
        # instruction passed off as a value.
        return (
            self._fresh_capitalized()
            or _text.topic(self.prompt)
            or _short_value(self.prompt)
            or "unknown"
        )

    def _listed_phrases(self) -> list[str]:
        """Items of an inline list: ``apples, pears and plums``."""
        match = re.search(
            r"((?:[\w'-]+(?:\s[\w'-]+)?,\s*)+[\w'-]+(?:\s[\w'-]+)?\s+and\s+[\w'-]+)", self.prompt
        )
        if not match:
            return list(self._quotes)
        parts = re.split(r",\s*|\s+and\s+", match.group(1))
        return [p.strip() for p in parts if p.strip()]


def _short_value(prompt: str) -> str | None:
    """A prompt that is itself a value (``and Paris``, one clause of a request), else ``None``."""
    words = re.sub(r"^(?:and|or|then|also)\s+", "", prompt.strip().strip("?.!,"), flags=re.I)
    return words if words and len(words.split()) <= 3 else None


def _named_ok(name: str) -> bool:
    # A one-letter field ("a", "b") is only safe to look up next to an operator like "=".
    return len(name) > 1


def _type_of(schema: JSON) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _clip(value: float, schema: JSON, *, integer: bool) -> float:
    step = 1.0 if integer else 0.001
    if "minimum" in schema:
        value = max(value, float(schema["minimum"]))
    if "maximum" in schema:
        value = min(value, float(schema["maximum"]))
    if "exclusiveMinimum" in schema and value <= float(schema["exclusiveMinimum"]):
        value = float(schema["exclusiveMinimum"]) + step
    if "exclusiveMaximum" in schema and value >= float(schema["exclusiveMaximum"]):
        value = float(schema["exclusiveMaximum"]) - step
    step_of = schema.get("multipleOf")
    if isinstance(step_of, int | float) and step_of > 0:
        # The nearest multiple inside the bounds: up from the value, else down.
        up = math.ceil(value / step_of) * step_of
        value = (
            up
            if "maximum" not in schema or up <= float(schema["maximum"])
            else (math.floor(value / step_of) * step_of)
        )
        value = round(value, 10)  # 0.1 * 3 is 0.30000000000000004
    return value


def _distinct(values: list[Any]) -> list[Any]:
    """Make repeated items distinct (``uniqueItems``): numbers count up, strings get a suffix."""
    out: list[Any] = []
    for value in values:
        candidate, n = value, 1
        while candidate in out:
            n += 1
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                break  # nothing sensible to vary: keep the repeat
            candidate = value + n - 1 if not isinstance(value, str) else f"{value} {n}"
        out.append(candidate)
    return out


def _merge(a: JSON, b: JSON) -> JSON:
    merged = {**a, **b}
    if "properties" in a and "properties" in b:
        merged["properties"] = {**a["properties"], **b["properties"]}
    if "required" in a and "required" in b:
        merged["required"] = [*a["required"], *b["required"]]
    return merged


def _property_names(schema: JSON) -> list[str]:
    properties = schema.get("properties")
    return list(properties) if isinstance(properties, dict) else []


def fill_schema(schema: JSON, prompt: str, evidence: str = "") -> Any:
    """Return a value valid against ``schema``, drawn from ``prompt`` and then ``evidence``."""
    return SchemaFiller(prompt, schema, evidence).fill(schema)
