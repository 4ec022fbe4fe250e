"""Nova's extra-spec matching: ``match(value, requirement)``.

A requirement without an operator is string equality. Operators: ``=`` (numeric >=),
``==`` ``!=`` ``>=`` ``<=`` (numeric), ``s==`` ``s!=`` ``s<`` ``s<=`` ``s>`` ``s>=`` (string),
``<in>`` (substring), ``<all-in>`` (every word a substring) and ``<or>`` (one of the words):
``"<or> ssd <or> nvme"``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
}
_STRING: dict[str, Callable[[str, str], bool]] = {
    "s==": operator.eq,
    "s!=": operator.ne,
    "s<": operator.lt,
    "s<=": operator.le,
    "s>": operator.gt,
    "s>=": operator.ge,
}


def match(value: str, requirement: str) -> bool:
    words = requirement.split()
    op = words.pop(0) if words else ""
    if op == "<or>":
        return value in words[::2]
    if op == "<in>":
        return bool(words) and words[0] in value
    if op == "<all-in>":
        return bool(words) and all(word in value for word in words)
    if op in _STRING:
        return bool(words) and _STRING[op](value, words[0])
    if op in _NUMERIC:
        if not words:
            return False
        try:
            return _NUMERIC[op](float(value), float(words[0]))
        except ValueError:
            return False
    return value == requirement
