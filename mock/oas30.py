"""A user's spec as connexion should read it.

OpenAPI 3.0 says a required ``readOnly`` property is required in responses only, a required
``writeOnly`` one in requests only; connexion 3.3 requires both on both sides, so a create
that (rightly) leaves out the server's ``id`` is refused and a user with a write-only
``password`` can never be answered. The served copy gives every component schema a request
twin and a response twin (``Planet.request``, ``Planet.response``), each dropping the other
side's properties from ``required``; request bodies point at the request twins, responses
at the response twins. The bindings and the harness read the spec as written.
"""

from __future__ import annotations

import copy
from typing import Any

from understudy import specs

SIDES = {"request": "readOnly", "response": "writeOnly"}  # side → what it does not require
PREFIX = "#/components/schemas/"


def served(spec: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(spec)
    schemas = out.get("components", {}).get("schemas", {})
    if not _one_sided(out, schemas):
        return out
    for name, schema in list(schemas.items()):
        for side, other in SIDES.items():
            schemas[f"{name}.{side}"] = _sided(out, schema, side, other)
    for _, _, op in specs.operations(out):
        body = op.get("requestBody")
        if isinstance(body, dict):
            body = op["requestBody"] = copy.deepcopy(specs.resolve(out, body))
            _point(body.get("content", {}), out, "request")
        for status, response in list(op.get("responses", {}).items()):
            response = op["responses"][status] = copy.deepcopy(specs.resolve(out, response))
            _point(response.get("content", {}), out, "response")
    return out


def _one_sided(spec: dict[str, Any], node: Any) -> bool:
    """Whether any schema marks a property readOnly or writeOnly (else: nothing to do)."""
    if isinstance(node, dict):
        if node.get("readOnly") or node.get("writeOnly"):
            return True
        return any(_one_sided(spec, v) for k, v in node.items() if k not in ("example", "enum"))
    if isinstance(node, list):
        return any(_one_sided(spec, v) for v in node)
    return False


def _point(content: dict[str, Any], spec: dict[str, Any], side: str) -> None:
    for entry in content.values():
        if "schema" in entry:
            entry["schema"] = _sided(spec, entry["schema"], side, SIDES[side])


def _sided(spec: dict[str, Any], node: Any, side: str, other: str) -> Any:
    """A copy of ``node`` whose references point at ``side`` twins and whose objects do not
    require properties marked ``other``."""
    if isinstance(node, list):
        return [_sided(spec, item, side, other) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(PREFIX):
            out[key] = f"{value}.{side}"
        elif key in ("example", "examples", "enum", "default", "x-understudy"):
            out[key] = value
        elif key == "properties" and isinstance(value, dict):
            out[key] = {k: _sided(spec, v, side, other) for k, v in value.items()}
        else:
            out[key] = _sided(spec, value, side, other)
    props = node.get("properties")
    if isinstance(props, dict) and isinstance(node.get("required"), list):
        dropped = {n for n, p in props.items() if specs.resolve(spec, p).get(other)}
        out["required"] = [r for r in node["required"] if r not in dropped]
        if not out["required"]:
            del out["required"]
    return out
