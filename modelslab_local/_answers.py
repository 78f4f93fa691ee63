"""Plain-text answers of the deterministic engine: small talk, arithmetic, jokes, RAG, images."""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable
from typing import Any

from . import _text
from ._engine import ImageInfo
from ._vocabulary import joke

JSON = dict[str, Any]

_FACTS: tuple[tuple[str, str], ...] = (
    (r"capital of france", "The capital of France is Paris."),
    (r"capital of germany", "The capital of Germany is Berlin."),
    (r"capital of (?:japan|tokyo)", "The capital of Japan is Tokyo."),
    (r"capital of italy", "The capital of Italy is Rome."),
    (
        r"capital of (?:the )?(?:united states|usa|us)\b",
        "The capital of the United States is Washington, D.C.",
    ),
    (r"colou?r (?:is|of) the sky", "The sky is blue on a clear day."),
    (r"boiling point of water", "Water boils at 100 °C (212 °F) at sea level."),
    (r"largest planet", "Jupiter is the largest planet in the Solar System."),
)
_OPS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
_WORD_OPS = (
    (r"\bmultiplied by\b|\btimes\b|×", "*"),
    (r"\bdivided by\b|÷", "/"),
    (r"\bplus\b", "+"),
    (r"\bminus\b", "-"),
    (r"(?<=\d)\s*x\s*(?=\d)", "*"),
    (r"\^", "**"),
)
# Long text only for a request to write it ("Write a long story about boats"), never for a
# prompt that merely mentions stories or paragraphs (a RAG template, a pasted document).
_LONG_FORM = re.compile(
    r"^\s*(?:please\s+|can you\s+|could you\s+)?(?:write|tell|compose|create|generate|draft)\b"
    r"[^.?!\n]{0,60}\b(?:story|essay|poem|article|paragraphs?|long)\b"
)
_LOREM = (
    "The river bends gently past the old mill, where the water turns a wheel that has "
    "turned for a hundred years. Children run along the bank and count the boats that "
    "drift by, one after another, until the evening light fades and the lamps come on. "
)


def format_number(value: float) -> str:
    """Render ``3.0`` as ``3`` and keep real fractions short."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def arithmetic(text: str) -> str | None:
    """Evaluate the first arithmetic expression in ``text`` (``What is 1 + 2`` -> ``1 + 2 = 3``)."""
    spoken = text
    for pattern, symbol in _WORD_OPS:
        spoken = re.sub(pattern, f" {symbol} ", spoken, flags=re.IGNORECASE)
    for candidate in re.findall(r"[\d.\s()+\-*/%]+", spoken):
        expression = candidate.strip()
        if len(_text.numbers(expression)) < 2 or not re.search(r"\d\s*[-+*/%]", expression):
            continue
        try:
            value = _evaluate(ast.parse(expression, mode="eval").body)
        except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
            continue
        pretty = " ".join(expression.replace("**", "^").split())
        return f"{pretty} = {format_number(value)}."
    return None


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        right = _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        return float(_OPS[type(node.op)](_evaluate(node.left), right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return float(_OPS[type(node.op)](_evaluate(node.operand)))
    raise ValueError("not arithmetic")


def describe_images(images: list[ImageInfo]) -> str:
    """Describe images, e.g. ``I see 1 image: a 64x48 PNG image (1,234 bytes).``."""
    parts = []
    for image in images:
        kind = image.format or "image of unknown format"
        size = f"{image.width}x{image.height} " if image.width and image.height else ""
        where = "" if image.source == "base64" else f" from {image.source}"
        nbytes = f" ({image.size_bytes:,} bytes)" if image.size_bytes else ""
        noun = "" if kind.startswith("image") else " image"
        parts.append(f"a {size}{kind}{noun}{where}{nbytes}")
    noun = "image" if len(images) == 1 else "images"
    return f"I see {len(images)} {noun}: " + "; ".join(parts) + "."


def context_answer(prompt: str, question: str) -> str | None:
    """Extractive RAG: the context sentences that best match the question, or ``None``.

    Recognizes the usual "Context information is below" / "relevant documents" prompts and the
    "refine the original answer" prompt.
    """
    context, query, existing = _split_context(prompt)
    if context is None:
        return None
    query = query or question
    best = _best_sentences(context, query)
    if existing and (not best or _score(existing, query) >= _score(" ".join(best), query)):
        return existing.strip()
    if not best:
        return "I don't know: the context does not say."
    return " ".join(best)


def _split_context(prompt: str) -> tuple[str | None, str | None, str | None]:
    """``(context, query, existing answer)`` of a RAG prompt; ``None`` for what it lacks."""
    for template in _TEMPLATES:
        match = template.search(prompt)
        if match:
            found = match.groupdict()
            return found["context"], found.get("query"), found.get("existing")
    return None, None, None


# The RAG prompts the frameworks ship, by their structure (most specific first): LlamaIndex's
# chat refine ("Rewrite an original answer ..."), its completion refine, its text-QA and
# tree-summarize ("Context information [from multiple sources] is below"), its context chat
# engine ("Use the context information below"), and the condense-plus-context system prompt.
_TEMPLATES = (
    re.compile(
        r"New Context:\s*(?P<context>.*?)\nQuery:\s*(?P<query>.*?)\n"
        r"Original Answer:\s*(?P<existing>.*?)\nNew Answer:",
        re.S,
    ),
    re.compile(
        r"original query is as follows:\s*(?P<query>.*?)\n.*?existing answer:\s*(?P<existing>.*?)"
        r"\n.*?-{3,}\n(?P<context>.*?)\n-{3,}",
        re.S,
    ),
    re.compile(
        r"context information[^\n]*?below[^\n]*\n-{3,}\n(?P<context>.*?)\n-{3,}"
        r"(?:.*?Query:\s*(?P<query>.*?)\s*(?:\nAnswer:|$))?",
        re.S | re.I,
    ),
    re.compile(r"relevant documents for the context:\s*(?P<context>.*?)\n\s*Instruction:", re.S),
)


def _score(sentence: str, query: str) -> int:
    return _text.overlap(_text.content_words(sentence), _text.content_words(query))


def _best_sentences(context: str, query: str) -> list[str]:
    lines = [ln for ln in context.splitlines() if not re.match(r"^\s*[a-z_]+:\s", ln)]
    candidates = _text.sentences("\n".join(lines))
    scored = [(_score(s, query), i, s) for i, s in enumerate(candidates)]
    top = max((s for s, _, _ in scored), default=0)
    if top == 0:
        return []
    keep = sorted((i, s) for score, i, s in scored if score >= max(1, top * 0.6))
    return [s for _, s in keep[:2]]


def standalone_question(prompt: str) -> str | None:
    """The follow-up message of a "rewrite as a standalone question" prompt."""
    match = re.search(r"<Follow Up Message>\s*(.*?)\s*<Standalone question>", prompt, re.S)
    if match:
        return match.group(1).strip()
    match = re.search(
        r"Follow Up (?:Input|Message):\s*(.*?)\s*\n\s*Standalone question:", prompt, re.S
    )
    return match.group(1).strip() if match else None


def tool_results(results: list[tuple[str, str]]) -> str:
    """Answer from tool outputs: ``(tool name, output text)`` pairs."""
    sentences = []
    for name, output in results:
        value = _plain_value(output)
        if value.lower().startswith("error"):
            sentences.append(f"The {name} tool reported an error: {value}")
        elif re.fullmatch(r"-?\d+(?:\.\d+)?", value):
            sentences.append(f"The result of {name} is {value}.")
        else:
            sentences.append(f"According to {name}: {value}")
    return " ".join(sentences) if sentences else "Done."


def _plain_value(output: str) -> str:
    try:
        data = json.loads(output)
    except ValueError:
        return output.strip()
    if isinstance(data, dict) and len(data) == 1:
        data = next(iter(data.values()))
    if isinstance(data, float):
        return format_number(data)
    return data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)


def small_talk(text: str, model: str) -> str | None:
    """Greetings, identity and a few well-known facts."""
    lower = text.lower().strip()
    bare = re.sub(r"[^\w\s']", "", lower).strip()
    if re.fullmatch(
        r"(hello|hi|hey|hiya|good (morning|afternoon|evening)|greetings)( there)?", bare
    ):
        return "Hello! How can I help you today?"
    if re.search(r"\bhow are you\b", lower):
        return "I'm doing well, thank you for asking! How can I help you today?"
    if re.search(r"\bwho are you\b|\byour name\b|\bwhat are you\b", lower):
        return f"I am {model}, served by a local ModelsLab-compatible server."
    if re.fullmatch(r"(thanks|thank you|thx)( very much| a lot)?", bare):
        return "You're welcome!"
    for pattern, fact in _FACTS:
        if re.search(pattern, lower):
            return fact
    return None


def generative(text: str) -> str | None:
    """Jokes, counting, repeating, long-form writing and summaries."""
    lower = text.lower()
    if "joke" in lower:
        setup, punchline = joke(_text.topic(text))
        return f"{setup} {punchline}"
    count = re.search(r"\bcount (?:from (-?\d+) )?(?:up )?to (-?\d+)", lower)
    if count:
        start, end = int(count.group(1) or 1), int(count.group(2))
        end = max(min(end, start + 999), start)
        return ", ".join(str(n) for n in range(start, end + 1))
    repeat = re.search(
        r"(?:^|[.!?]\s+)(?:please\s+)?(?:repeat(?: after me)?|say|echo)\b[:,]?\s+(.+)",
        text,
        re.I | re.S,
    )
    if repeat:
        quotes = _text.quoted(repeat.group(1))
        return quotes[0] if quotes else repeat.group(1).strip().strip("\"'")
    if _LONG_FORM.search(lower):
        subject = _text.topic(text)
        opening = f"Here is a piece about {subject}. " if subject else ""
        return opening + _LOREM * 8
    summary = re.search(r"\bsummari[sz]e\b[^:\n]*[:\n]\s*(.+)", text, re.I | re.S)
    if summary:
        return " ".join(_text.sentences(summary.group(1))[:2])
    return None


FALLBACK = (
    "The local server's rule-based engine cannot answer this: it is not a language model. "
    "For a real answer, set MODELSLAB_API_KEY to use ModelsLab, or start the server with "
    "--engine llama (the local-model extra) for a small local model."
)


def fallback(text: str) -> str:
    """What the engine says when no rule applies: that it cannot answer, never filler."""
    if not text.strip():
        return "Hello! How can I help you today?"
    return FALLBACK
