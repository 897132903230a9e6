"""OpenAPI 3.1 → 3.0.3, as far as 3.0 can say the same thing.

connexion 3.3 loads 3.0.x only. A 3.1 document differs mostly in its schemas (full JSON
Schema 2020-12): ``type: [string, "null"]`` is 3.0's ``nullable: true``, ``const`` an
``enum`` of one, ``examples: [..]`` an ``example``, numeric ``exclusiveMinimum`` a
``minimum`` plus a boolean. What has no 3.0 equivalent (``prefixItems``, ``if``/``then``,
``$defs`` references, ...) is reported in one line rather than silently loosened.
"""

from __future__ import annotations

import copy
from typing import Any

from understudy.specs import SpecError

# 3.1's ``type: "null"``: null and nothing else. A choice (``oneOf: [.., {type: "null"}]``)
# keeps it as a choice: 3.0.3's ``nullable`` adds null only to a ``type`` beside it, and
# connexion accepts no null for a ``nullable`` beside ``oneOf``
NULL = {"nullable": True, "enum": [None]}
# keywords whose meaning 3.0 cannot express; dropping them would accept what the spec refuses
UNCONVERTIBLE = (
    "prefixItems",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "patternProperties",
    "propertyNames",
    "contains",
    "$dynamicRef",
)
# keywords 3.0 does not know and that only annotate: dropped
ANNOTATIONS = (
    "$schema",
    "$id",
    "$anchor",
    "$comment",
    "$vocabulary",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
)


class ConversionError(SpecError):
    """A 3.1 document uses what 3.0 cannot express."""


def is_31(doc: dict[str, Any]) -> bool:
    return str(doc.get("openapi", "")).startswith("3.1")


def to_30(doc: dict[str, Any], source: str = "the spec") -> dict[str, Any]:
    """A 3.0.3 copy of a 3.1 document; raises ``ConversionError`` naming every place that
    cannot be converted."""
    out = copy.deepcopy(doc)
    out["openapi"] = "3.0.3"
    for key in ("webhooks", "jsonSchemaDialect"):
        out.pop(key, None)
    out.setdefault("paths", {})
    info = out.get("info", {})
    info.pop("summary", None)
    if isinstance(info.get("license"), dict):
        info["license"].pop("identifier", None)
        info["license"].setdefault("name", "unnamed")
    components = out.get("components", {})
    components.pop("pathItems", None)
    for scheme in components.get("securitySchemes", {}).values():
        if scheme.get("type") == "mutualTLS":
            raise ConversionError(f"{source}: cannot convert OpenAPI 3.1 to 3.0: mutualTLS")
    problems: list[str] = []
    _walk(out, "#", problems, in_schema=False)
    if problems:
        shown = ", ".join(problems[:5]) + (f" and {len(problems) - 5} more" if problems[5:] else "")
        raise ConversionError(
            f"{source}: cannot convert OpenAPI 3.1 to the 3.0 the mock serves: {shown}"
        )
    return out


_SCHEMA_KEYS = ("schema", "items", "additionalProperties", "not")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def _walk(node: Any, where: str, problems: list[str], *, in_schema: bool) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, f"{where}/{i}", problems, in_schema=in_schema)
        return
    if not isinstance(node, dict):
        return
    if in_schema:
        _schema(node, where, problems)
    for key, value in list(node.items()):
        here = f"{where}/{key}"
        if key in ("example", "examples") and not in_schema:
            continue  # example values are data, not schemas
        if key == "properties" and in_schema and isinstance(value, dict):
            for name, prop in value.items():
                _walk(prop, f"{here}/{name}", problems, in_schema=True)
        elif key in _SCHEMA_KEYS or key in _SCHEMA_LISTS:
            _walk(value, here, problems, in_schema=True)
        elif key == "schemas" and where.endswith("/components") and isinstance(value, dict):
            for name, schema in value.items():
                _walk(schema, f"{here}/{name}", problems, in_schema=True)
        elif key in ("default", "enum", "const", "x-understudy"):
            continue
        else:
            _walk(value, here, problems, in_schema=in_schema and key.startswith("$defs"))


def _schema(node: dict[str, Any], where: str, problems: list[str]) -> None:
    """Rewrite one schema object in place (its children are walked by the caller)."""
    for key in UNCONVERTIBLE:
        if key in node:
            problems.append(f"{key} at {where}")
    ref = node.get("$ref")
    if isinstance(ref, str) and "/$defs/" in ref:
        problems.append(f"$ref into $defs at {where}")
    if "$defs" in node:
        problems.append(f"$defs at {where}")
    for key in ANNOTATIONS:
        node.pop(key, None)
    if isinstance(ref, str) and len(node) > 1:  # 3.0 ignores a $ref's siblings: keep them
        kept = ("description", "nullable", "readOnly", "writeOnly", "deprecated", "default")
        siblings = {k: node.pop(k) for k in list(node) if k != "$ref"}
        node["allOf"] = [{"$ref": node.pop("$ref")}]
        node.update({k: v for k, v in siblings.items() if k in kept})
        rest = {k: v for k, v in siblings.items() if k not in kept and k != "summary"}
        if rest:
            node["allOf"].append(rest)
            _schema(rest, where, problems)
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        nullable = len(kinds) < len(kind)
        if len(kinds) == 1:
            node["type"] = kinds[0]
            if nullable:
                node["nullable"] = True
        elif not kinds:
            del node["type"]
            node.update(copy.deepcopy(NULL))
        else:
            del node["type"]
            node["anyOf"] = [{"type": k} for k in kinds]
            if nullable:
                node["anyOf"].append(copy.deepcopy(NULL))
    elif kind == "null":
        del node["type"]
        node.update(copy.deepcopy(NULL))
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if "examples" in node:
        examples = node.pop("examples")
        if isinstance(examples, list) and examples and "example" not in node:
            node["example"] = examples[0]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = node.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            node[plain] = value
            node[bound] = True
    if node.get("type") == "array" and "items" not in node:
        node["items"] = {}
