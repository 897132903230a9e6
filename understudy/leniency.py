"""A request body read as the surface's real service reads it (its declared ``leniency``):
the mock relaxes bodies with it, the contract harness judges bad input accepted by it.

The body is relaxed in place before validation, so the schema stays as strict as the
documents make it and the handlers see what the real service would have stored: an
optional field sent as ``null`` is dropped (``null_optional: absent``), and ``"true"`` or
``"42"`` where a boolean or a number is declared becomes that value (``textual_scalars:
coerce``). Anything else — a required field set to null, ``"yes"`` for a boolean — is left
for validation to refuse.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

Resolve = Callable[[Any], Any]

_INTEGER = re.compile(r"-?\d{1,18}")
_BOOLEANS = {"true": True, "false": False}


def relax(
    value: Any,
    schema: Mapping[str, Any],
    leniency: Mapping[str, str],
    resolve: Resolve = lambda node: node,
) -> bool:
    """Relax ``value`` in place against ``schema``; whether anything changed. ``resolve``
    follows ``$ref``s where the schema still has them (the harness reads the bundled spec)."""
    schema = resolve(schema)
    if not isinstance(schema, Mapping):
        return False
    changed = False
    for part in schema.get("allOf", ()):
        changed |= relax(value, part, leniency, resolve)
    if isinstance(value, dict):
        changed |= _relax_object(value, schema, leniency, resolve)
    elif isinstance(value, list) and isinstance(resolve(schema.get("items")), Mapping):
        items = resolve(schema["items"])
        for index, item in enumerate(value):
            if isinstance(item, str) and leniency.get("textual_scalars") == "coerce":
                coerced = _coerce(item, items)
                if coerced is not item:
                    value[index], changed = coerced, True
            else:
                changed |= relax(item, items, leniency, resolve)
    return changed


def _relax_object(
    value: dict[str, Any], schema: Mapping[str, Any], leniency: Mapping[str, str], resolve: Resolve
) -> bool:
    changed = False
    required = set(schema.get("required", ()))
    for name, sub in (schema.get("properties") or {}).items():
        sub = resolve(sub)
        if name not in value or not isinstance(sub, Mapping):
            continue
        field = value[name]
        if field is None:
            if (
                leniency.get("null_optional") == "absent"
                and name not in required
                and not sub.get("nullable")
            ):
                del value[name]
                changed = True
        elif isinstance(field, str):
            if leniency.get("textual_scalars") == "coerce":
                coerced = _coerce(field, sub)
                if coerced is not field:
                    value[name], changed = coerced, True
        else:
            changed |= relax(field, sub, leniency, resolve)
    return changed


def _coerce(text: str, schema: Mapping[str, Any]) -> Any:
    """The boolean or number ``text`` spells where the schema declares one; else ``text``."""
    kind = schema.get("type")
    if kind == "boolean":
        return _BOOLEANS.get(text, text)
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        if math.isfinite(number):
            return int(number) if _INTEGER.fullmatch(text) else number
    return text


def tolerated(
    body: Any,
    schema: Mapping[str, Any],
    leniency: Mapping[str, str],
    is_valid: Callable[[Any], bool],
    resolve: Resolve,
) -> bool:
    """Whether a body its schema refuses is one the leniency reads as valid: the harness does
    not count the real service's documented tolerance as bad input accepted."""
    relaxed = copy.deepcopy(body)
    return relax(relaxed, schema, leniency, resolve) and is_valid(relaxed)
