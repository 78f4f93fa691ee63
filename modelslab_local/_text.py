"""Small language helpers for the deterministic engine: words, numbers, quotes, phrases."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    """a an the is are was were be been being am do does did of to in on at for from by with
    about as into and or but if then so than that this these those it its it's i me my we our
    you your he she they them their what which who whom whose when where why how can could
    would should will shall may might must please tell give show let us use using used tool
    tools function value s t just any some all also not no yes up out there here get""".split()  # noqa: SIM905
)

# Verbs so common in tool names that matching them says nothing about intent.
_GENERIC = """get set fetch retrieve find lookup look call run do make create tool function func fn
    api data info value result query handle process compute calculate"""
GENERIC_NAME_WORDS = frozenset(_GENERIC.split())

# Symbols and words that mean the same operation as words found in tool names.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "+": ("add", "sum", "plus", "addition"),
    "plus": ("add", "sum"),
    "sum": ("add",),
    "-": ("subtract", "minus", "difference"),
    "minus": ("subtract",),
    "*": ("multiply", "times", "product"),
    "x": ("multiply",),
    "times": ("multiply",),
    "product": ("multiply",),
    "/": ("divide", "division", "quotient"),
    "divided": ("divide",),
    "temperature": ("weather",),
    "forecast": ("weather",),
    "sunny": ("weather",),
    "rain": ("weather",),
    "clock": ("time",),
}

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_QUOTED = re.compile(
    r"(?<![\w])'([^'\n]+?)'(?![\w])|\"([^\"\n]+?)\"|“([^”\n]+?)”|‘([^’\n]+?)’|「([^」\n]+?)」"
)
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|\n+")
_CAPITALIZED = re.compile(r"\b[A-Z][\w'-]*(?:(?:\s+|,\s*)(?:[A-Z][\w'-]*|[A-Z]{2}))*")
_PLACE = re.compile(
    r"\b(?:in|at|near|for|of|to|from)\s+((?:the\s+)?[A-Z][\w.'-]*(?:(?:\s+|,\s*)[A-Z][\w.'-]*)*)"
)
_TOPIC = re.compile(r"\b(?:about|on|regarding|of)\s+([^.?!,;\n]+)", re.IGNORECASE)


def stem(word: str) -> str:
    """Crude English stemming, enough to match ``cats``/``cat`` and ``adds``/``add``."""
    if len(word) > 5 and word.endswith(("ied", "ies")):
        return word[:-3] + "y"
    for suffix in ("ing", "es", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def identifier_words(name: str) -> list[str]:
    """Split ``snake_case``, ``kebab-case`` and ``camelCase`` identifiers into words."""
    spaced = _CAMEL.sub(" ", name).replace("_", " ").replace("-", " ")
    return [w.lower() for w in _WORD.findall(spaced)]


def words(text: str) -> list[str]:
    """Return the lower-cased words of ``text`` (identifiers split into words)."""
    out: list[str] = []
    for piece in re.findall(r"[\w-]+|[+*/]", text):
        out.extend([piece] if piece in ("+", "*", "/") else identifier_words(piece))
    return out


def content_words(text: str) -> set[str]:
    """Stemmed words of ``text`` without stopwords, with operator/keyword synonyms added."""
    found: set[str] = set()
    for word in words(text) + re.findall(r"(?<=\d)\s*([+*/x-])\s*(?=\d)", text):
        if word in STOPWORDS:
            continue
        found.add(stem(word))
        found.update(stem(s) for s in SYNONYMS.get(word, ()))
    return found


def numbers(text: str) -> list[int | float]:
    """Numbers in order of appearance; integers stay ``int``."""
    found: list[int | float] = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0)
        found.append(float(raw) if "." in raw else int(raw))
    return found


def quoted(text: str) -> list[str]:
    """Quoted phrases in order of appearance (ASCII, typographic and CJK quotes)."""
    return [next(g for g in m.groups() if g) for m in _QUOTED.finditer(text)]


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences (and lines)."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def place(text: str) -> str | None:
    """A capitalized place-like phrase after ``in``/``at``/``for``... (``San Francisco, CA``)."""
    match = _PLACE.search(text)
    return match.group(1).strip(" ,") if match else None


def capitalized_phrases(text: str) -> list[str]:
    """Capitalized phrases that do not start a sentence (names, places, styles...)."""
    found: list[str] = []
    for sentence in sentences(text):
        first = re.match(r"\s*\S+", sentence)
        for match in _CAPITALIZED.finditer(sentence, first.end() if first else 0):
            phrase = match.group(0).strip(" ,'")
            if phrase and phrase.lower() not in STOPWORDS:
                found.append(phrase)
    return found


_SUBJECT = re.compile(
    r"(?:^|[.!?:]\s+)([A-Z][a-z]+(?:\s[A-Z][a-z]+)*)\s+(?:is|was|has|had|lives|works|likes)\b"
)


def subjects(text: str) -> list[str]:
    """Capitalized names a statement opens with: ``Alice is 30 years old`` -> ``Alice``."""
    return [m.group(1) for m in _SUBJECT.finditer(text) if m.group(1).lower() not in STOPWORDS]


def capitalized(text: str) -> str | None:
    """The first capitalized phrase that does not start a sentence (a name, a style...)."""
    phrases = capitalized_phrases(text)
    return phrases[0] if phrases else None


def topic(text: str) -> str | None:
    """The phrase after ``about``/``on``/``regarding`` (``a joke about cats`` -> ``cats``)."""
    match = _TOPIC.search(text)
    if not match:
        return None
    phrase = re.split(r"\b(?:and|but|,)\b", match.group(1))[0].strip()
    return phrase or None


def aside(text: str) -> str | None:
    """A descriptive aside: the text after `` - `` or inside parentheses."""
    match = re.search(r"\s[-–—]\s+(.+?)\s*$", text)
    if match:
        return match.group(1).rstrip(".")
    match = re.search(r"\(([^)]+)\)", text)
    return match.group(1) if match else None


def overlap(a: set[str], b: set[str]) -> int:
    """Number of shared words."""
    return len(a & b)


def shorten(text: str, limit: int = 80) -> str:
    """One line, at most ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
