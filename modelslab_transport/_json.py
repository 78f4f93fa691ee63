"""Reading JSON a server sent: the one decoder for bodies and stream events.

``json.loads`` alone lets through what later code cannot handle: ``NaN``, ``Infinity`` and
``1e999`` (infinity as a float, then ``OverflowError`` wherever a count is made an ``int``),
and nesting deep enough that any recursive walk (key redaction, ``copy.deepcopy`` in the
frameworks) overflows the stack. Both are a ``ValueError`` here, like any text that is not
JSON, which every caller already turns into a typed error (or, for tool arguments, into an
invalid tool call): no server data reaches the rest of the package in a shape that makes it
raise something else.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ._constants import MAX_DEPTH

__all__ = ["MAX_DEPTH", "parse_json"]


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# Built once: ``json.loads`` with any keyword builds a new decoder on every call, which
# costs more than decoding a typical stream event (see bench/).
_DECODERS = {
    strict: json.JSONDecoder(
        parse_float=_finite, parse_constant=_no_constants, strict=strict
    ).decode
    for strict in (True, False)
}


def parse_json(data: str | bytes, *, strict: bool = True) -> Any:
    """Parse JSON a server sent: finite numbers only, at most :data:`MAX_DEPTH` levels deep.

    Args:
        data: The text, or bytes in any of the UTF encodings JSON allows.
        strict: As ``json.loads``'s: ``False`` allows control characters inside strings.

    Raises:
        ValueError: Not JSON, a number that is not finite, or nesting that is too deep.
    """
    if isinstance(data, str):
        text = data
    elif isinstance(data, bytes | bytearray):  # as json.loads: UTF-8, -16 or -32 by BOM/zeros
        text = data.decode(json.detect_encoding(data), "surrogatepass")
    else:
        raise TypeError(f"JSON must be str or bytes, not {type(data).__name__}")
    try:
        value = _DECODERS[strict](text)
    except RecursionError:
        raise _too_deep() from None
    # Cheap first: a document with few brackets cannot be deep, so most answers skip the walk.
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth_exceeds(value, MAX_DEPTH):
        raise _too_deep()
    return value


def _too_deep() -> ValueError:
    return ValueError(f"JSON nested more than {MAX_DEPTH} levels deep (no answer is)")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers more than ``limit`` deep (iterative: no recursion)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend(
                (child, depth + 1) for child in node.values() if isinstance(child, dict | list)
            )
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, dict | list))
    return False
