r"""A string that matches a JSON-schema ``pattern``: the shortest, most literal example. Pure.

Built from the regular expression's parse tree (``re._parser``, the parser ``re`` itself
uses), walking each node with its smallest repetition and its first alternative or class
member, so ``^[A-Z]{3}-\d{2}$`` gives ``AAA-00``. Look-arounds and back-references are
beyond this; :func:`example_for` then returns ``None`` and the caller keeps its own value.
"""

from __future__ import annotations

import re
import sys
from typing import Any

# The parser ``re`` itself uses: ``re._parser`` since 3.11, where ``sre_parse`` became its
# deprecated alias; on 3.10 ``sre_parse`` is the module itself.
if sys.version_info >= (3, 11):
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
else:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

__all__ = ["example_for"]

# Possessive repeats and atomic groups are Python 3.11 syntax: absent from 3.10's parser.
_REPEATS = tuple(
    getattr(_c, name)
    for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if hasattr(_c, name)
)
_ATOMIC_GROUP = getattr(_c, "ATOMIC_GROUP", object())

_CATEGORY_CHAR = {
    _c.CATEGORY_DIGIT: "0",
    _c.CATEGORY_WORD: "a",
    _c.CATEGORY_SPACE: " ",
    _c.CATEGORY_NOT_DIGIT: "a",
    _c.CATEGORY_NOT_WORD: "-",
    _c.CATEGORY_NOT_SPACE: "a",
}


class _Unsupported(Exception):
    pass


def example_for(pattern: str) -> str | None:
    """Return a short string matching ``pattern`` (``re.search`` semantics), or ``None``."""
    try:
        text = _walk(_p.parse(pattern))
    except (_Unsupported, re.error, RecursionError, TypeError, ValueError):
        return None
    return text if re.search(pattern, text) else None


def _walk(nodes: Any) -> str:
    return "".join(_node(op, arg) for op, arg in nodes)


def _node(op: Any, arg: Any) -> str:
    if op is _c.LITERAL:
        return chr(arg)
    if op is _c.ANY:
        return "a"
    if op is _c.IN:
        return _member(arg)
    if op is _c.AT:
        return ""  # anchors take no characters
    if op in _REPEATS:
        low, _high, item = arg
        return _walk(item) * int(low)
    if op is _c.SUBPATTERN:
        return _walk(arg[-1])
    if op is _ATOMIC_GROUP:
        return _walk(arg)
    if op is _c.BRANCH:
        return _walk(arg[1][0])
    if op is _c.NOT_LITERAL:
        return "a" if arg != ord("a") else "b"
    raise _Unsupported(op)


def _member(items: list[tuple[Any, Any]]) -> str:
    """The first character a class ``[...]`` admits (a negated class: one it does not list)."""
    if items and items[0][0] is _c.NEGATE:
        excluded = "".join(_member([item]) for item in items[1:])
        return next(c for c in "aA0-_ x" if c not in excluded)
    op, arg = items[0]
    if op is _c.LITERAL:
        return chr(arg)
    if op is _c.RANGE:
        return chr(arg[0])
    if op is _c.CATEGORY:
        return _CATEGORY_CHAR.get(arg, "a")
    raise _Unsupported(op)
