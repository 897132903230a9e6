"""Response validation's fast path: each response schema compiled once to jsonschema-rs.

jsonschema walks a list of projects in pure Python at every response; the same schema
compiled to jsonschema-rs (Rust, in the tree through schemathesis) checks it in a few
microseconds. The fast check only ever says "valid": a body it doubts goes to connexion's
jsonschema validator, which gives the verdict and the message, so what response validation
rejects, and how it says so, stays exactly what it was. That needs the fast check never to
pass what jsonschema refuses, hence the translation:

- OpenAPI 3.0's ``nullable`` (and ``x-nullable``), which connexion honours in ``type`` and
  ``enum`` only, becomes ``"null"`` in the type and ``None`` in the enum, nothing more;
- a schema carrying ``writeOnly`` fails whatever it is given, as connexion's response
  validator makes it (``{"not": {}}``);
- where Rust and Python may disagree, Python decides, as jsonschema does, through one custom
  keyword called from Rust: a pattern that is not plain (a plain one — ASCII literals and
  classes, groups, quantifiers, anchors; every id in the specs — stays in Rust, where it
  never matches more than ``re.search``), a format jsonschema's checker knows, ``multipleOf``
  (floats), ``uniqueItems``, bounds and enums holding numbers beyond 2**53 or floats (Rust
  compares them as doubles);
- a schema it cannot mirror exactly (``$ref``, ``$schema``, ``patternProperties``, a cycle,
  one Rust will not compile) has no fast path: jsonschema checks it alone, as before.

Rust does not read NaN and the infinities as numbers (an infinity passes its ``maximum``), and
garbles a lone surrogate: a body holding one is not for the fast check (``parse`` says so).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from jsonschema.protocols import Validator

FastCheck = Callable[[Any], bool]

_KEYWORD = "x-understudy-python"  # the custom keyword: {keyword: value} checked in Python
_UNSUPPORTED = ("$ref", "id", "$id", "$schema", "patternProperties", _KEYWORD)
_SUBSCHEMA_MAPS = ("properties", "dependencies")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SUBSCHEMAS = ("items", "additionalProperties", "additionalItems", "not")
_ALWAYS_FAILS: dict[str, Any] = {"not": {}}
_EXACT = 2**53  # every integer up to it is also exactly a double
_EXCLUSIVE = {"maximum": "exclusiveMaximum", "minimum": "exclusiveMinimum"}
# read by the Python keywords from the schema they sit in
_RIDING = (*_EXCLUSIVE.values(), "nullable", "x-nullable")


class Unsupported(Exception):
    """The schema uses something the fast path cannot mirror exactly."""


def compile_fast(schema: Any, reference: Validator) -> FastCheck | None:
    """A check that is True only for bodies ``reference`` (connexion's jsonschema validator
    of this response) accepts, or None where there is no such check."""
    import jsonschema_rs  # only with --validate-responses: nothing at start-up

    try:
        translated = _translate(schema, reference, frozenset())
        validator = jsonschema_rs.Draft4Validator(
            translated, validate_formats=False, keywords={_KEYWORD: _python_keyword(reference)}
        )
    except Exception:  # Unsupported, or a schema Rust refuses: jsonschema alone, as before
        return None

    def check(body: Any) -> bool:
        try:
            return bool(validator.is_valid(body))
        except Exception:  # a value Rust cannot hold: jsonschema decides
            return False

    return check


# a \uD800-\uDFFF escape that is not half of a pair: JSON for a lone surrogate
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def parse(text: str) -> tuple[Any, bool]:
    """The JSON body, and whether Rust reads it as Python does: not where a number is not
    finite (NaN, Infinity and 1e999 are numbers to Python's json, not to Rust) or a string
    holds a lone surrogate (valid to Python, unreadable or garbled to Rust)."""
    same = "\\u" not in text or not _LONE_SURROGATE.search(text)

    def number(literal: str) -> float:
        nonlocal same
        value = float(literal)
        same = same and math.isfinite(value)
        return value

    def constant(name: str) -> float:
        nonlocal same
        same = False
        return float(name)

    body = json.loads(text, parse_float=number, parse_constant=constant)
    return body, same


def _translate(schema: Any, reference: Validator, seen: frozenset[int]) -> Any:
    if not isinstance(schema, dict):
        raise Unsupported(f"a schema that is not an object: {schema!r}")
    if id(schema) in seen:
        raise Unsupported("a recursive schema")
    if any(key in schema for key in _UNSUPPORTED):
        raise Unsupported(f"one of {_UNSUPPORTED}")
    if "writeOnly" in schema or "x-writeOnly" in schema:
        return _ALWAYS_FAILS
    seen = seen | {id(schema)}
    out: dict[str, Any] = {}
    python: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SUBSCHEMA_MAPS:
            out[key] = {
                name: sub if isinstance(sub, list) else _translate(sub, reference, seen)
                for name, sub in _items(value)
            }
        elif key in _SUBSCHEMA_LISTS or (key == "items" and isinstance(value, list)):
            out[key] = [_translate(sub, reference, seen) for sub in _list(value)]
        elif key in _SUBSCHEMAS:
            out[key] = value if isinstance(value, bool) else _translate(value, reference, seen)
        elif key not in reference.VALIDATORS:
            # a word jsonschema does not apply (an exclusive bound goes with its bound;
            # `components`, which connexion hangs on every response schema, stays out)
            continue
        elif _in_python(key, value, reference):
            python[key] = value
        elif key == "pattern":
            out[key] = rust_pattern(value)
        elif key != "format":  # one jsonschema's checker does not know passes anything
            out[key] = value
    for bound, exclusive in _EXCLUSIVE.items():
        if bound in out and exclusive in schema:
            out[exclusive] = schema[exclusive]
    if schema.get("x-nullable") is True or schema.get("nullable"):
        # connexion lets null through `type` and `enum` here, no further (an enum checked
        # in Python reads `nullable` itself)
        if "type" in out:
            out["type"] = [*(out["type"] if isinstance(out["type"], list) else [out["type"]])]
            out["type"].append("null")
        if isinstance(out.get("enum"), list):
            out["enum"] = [*out["enum"], None]
    if python:
        out[_KEYWORD] = python | {key: schema[key] for key in _RIDING if key in schema}
    return out


def _in_python(key: str, value: Any, reference: Validator) -> bool:
    """Whether ``key: value`` is checked by Python (see the module's docstring)."""
    if key == "pattern":
        return not isinstance(value, str) or rust_pattern(value) is None
    if key == "format":
        checker = reference.format_checker
        return checker is not None and value in checker.checkers
    if key in ("multipleOf", "uniqueItems"):
        return True
    if key in ("maximum", "minimum"):
        return not _exact_number(value)
    if key == "enum":
        return not isinstance(value, list) or not all(map(_exact_member, value))
    return False


def _exact_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _EXACT


def _exact_member(value: Any) -> bool:
    return value is None or isinstance(value, str | bool) or _exact_number(value)


def _items(value: Any) -> list[tuple[str, Any]]:
    if not isinstance(value, dict):
        raise Unsupported(f"not a map of schemas: {value!r}")
    return list(value.items())


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Unsupported(f"not a list of schemas: {value!r}")
    return value


# the regex tokens that Rust's regex engine matches as Python's does, or more narrowly: `$`
# is the end (Python's also takes a final newline), `\d` becomes ASCII digits (Python's also
# takes other scripts'), a class holds ASCII members only (no Rust set operations `&&`, `--`,
# `~~`, no nested class); no `(?` flags, lookarounds or names; a quantifier follows an atom,
# lazy at most (Python reads `a*+` as possessive)
_PLAIN_TOKEN = re.compile(
    r"""(?P<atom>
        \\[.\-+*?()\[\]{}|^$\\/]                                # an escaped metacharacter
      | \\d                                                     # a digit
      | \[\^?(?:[A-Za-z0-9_.:\#@/,\ ]|-(?!-)|\\[.\-\]\[\\^])+\]  # an ASCII class
      | [A-Za-z0-9_:\#@/,=\ '"!%<>\-.]                          # a literal, or any character
    )
    | (?P<open>\((?:\?:)?(?!\?)) | (?P<close>\)) | (?P<bar>\|) | (?P<anchor>[\^$])
    | (?P<quantifier>(?:[*+?]|\{\d+(?:,\d*)?\})\??)""",
    re.VERBOSE,
)


def rust_pattern(pattern: str) -> str | None:
    """``pattern`` for the Rust validator where it is plain, else None (Python checks it)."""
    out = []
    position, after_atom = 0, False
    while position < len(pattern):
        token = _PLAIN_TOKEN.match(pattern, position)
        if token is None or (token.lastgroup == "quantifier" and not after_atom):
            return None
        out.append("[0-9]" if token.group() == r"\d" else token.group())
        after_atom = token.lastgroup in ("atom", "close")
        position = token.end()
    return "".join(out)


def _python_keyword(reference: Validator) -> type:
    """The custom keyword: jsonschema's own functions for the keywords given to Python, with
    ``pattern`` and ``format`` called as those functions call them (``re.search``, the
    format checker), which is most of the calls."""
    checker = reference.format_checker
    functions = reference.VALIDATORS

    class PythonKeywords:
        def __init__(self, parent: Any, value: dict[str, Any], schema_path: Any) -> None:
            self._schema = value
            self._pattern = re.compile(value["pattern"]) if "pattern" in value else None
            # (function, exceptions meaning "no"): FormatChecker.conforms without its calls
            self._format = checker.checkers[value["format"]] if "format" in value else None
            self._others = [
                (functions[key], value[key])
                for key in value
                if key in functions and key not in ("pattern", "format", *_RIDING)
            ]

        def validate(self, instance: Any) -> None:
            pattern, format_ = self._pattern, self._format
            if pattern and isinstance(instance, str) and not pattern.search(instance):
                raise ValueError(f"{instance!r} does not match {pattern.pattern!r}")
            if format_ is not None:
                function, raises = format_
                try:
                    conforms = function(instance)
                except raises:
                    conforms = False
                if not conforms:
                    raise ValueError(f"{instance!r} is not a {self._schema['format']!r}")
            for function, argument in self._others:
                for error in function(reference, argument, instance, self._schema):
                    raise ValueError(error.message)

    return PythonKeywords
