"""JSON as every client can read it back: what the mock accepts, stores and serves.

Python's ``json`` accepts more than JSON (RFC 8259) and more than a browser's ``JSON.parse``
can read back: ``NaN``/``Infinity``, numbers beyond the double range (``1e400`` becomes
infinity, a 5,000-digit integer cannot even be converted), lone surrogate escapes
(``"\\ud800"`` parses into a ``str`` that cannot be encoded as UTF-8), and nesting deep
enough to exhaust the recursion limit. ``loads`` refuses all of that with ``NotJSON``, a
``ValueError`` whose message says what is wrong; ``check`` does the same for a value built
in Python (what the store is about to keep).
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

MAX_DEPTH = 64  # objects and arrays inside each other; no surface nests more than ~5
MAX_NUMBER_DIGITS = 309  # a longer integer is beyond the double range (~1.8e308) anyway
_DOUBLE_MAX = sys.float_info.max
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class NotJSON(ValueError):
    """Not JSON that every client can read back; the message says why."""


def _constant(name: str) -> Any:
    raise NotJSON(f"{name} is not a JSON number")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise NotJSON(f"a {len(text)}-digit integer is beyond the range of a JSON number")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotJSON(f"{text[:40]} is beyond the range of a JSON number (a double)")
    return value


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_int=_integer, parse_float=_float)


def loads(text: str) -> Any:
    """Parse ``text`` as strict JSON, or raise ``NotJSON`` saying what is wrong."""
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise NotJSON(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise NotJSON(str(exc)) from None
    # a lone surrogate can only come from an escape: skip the walk for the strings when
    # the text has none (UTF-8 itself cannot carry one, the decode before refuses it)
    check(value, strings=_SURROGATE_ESCAPE.search(text) is not None)
    return value


def check(value: Any, *, strings: bool = True) -> None:
    """Raise ``NotJSON`` unless ``value`` serialises as JSON every client can read back."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if strings and not node.isascii():
                _encodable(node)
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise NotJSON(f"{node} is not a JSON number")
        elif isinstance(node, int):
            if abs(node) > _DOUBLE_MAX:
                raise NotJSON("an integer beyond the range of a JSON number")
        elif isinstance(node, dict | list | tuple):
            if depth >= MAX_DEPTH:
                raise NotJSON(f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(node, dict):
                for key, item in node.items():
                    if not isinstance(key, str):
                        raise NotJSON(f"object key {key!r} is not a string")
                    if strings and not key.isascii():
                        _encodable(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in node)
        else:
            raise NotJSON(f"a {type(node).__name__} is not a JSON value")


def _encodable(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NotJSON(
            f"the string {text[:40]!r} holds a lone surrogate ({exc.reason}), which is not "
            "Unicode text"
        ) from None
