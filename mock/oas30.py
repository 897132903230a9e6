"""A user's spec as connexion should read it.

OpenAPI 3.0 says a required ``readOnly`` property is required in responses only, a required
``writeOnly`` one in requests only; connexion 3.3 requires both in both, so a create that
(rightly) leaves out the server's ``id`` is refused and a user with a write-only
``password`` can never be answered. The served copy drops both from ``required``; the
bindings and the harness read the spec as written.
"""

from __future__ import annotations

import copy
from typing import Any

from understudy import specs


def served(spec: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(spec)
    _relax(out, out)
    return out


def _relax(spec: dict[str, Any], node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _relax(spec, item)
        return
    if not isinstance(node, dict):
        return
    props = node.get("properties")
    if isinstance(props, dict) and isinstance(node.get("required"), list):
        one_sided = {
            name
            for name, prop in props.items()
            if isinstance(prop, dict)
            and (
                specs.resolve(spec, prop).get("readOnly")
                or specs.resolve(spec, prop).get("writeOnly")
            )
        }
        node["required"] = [r for r in node["required"] if r not in one_sided]
        if not node["required"]:
            del node["required"]
    for key, value in node.items():
        if key not in ("example", "examples", "x-understudy", "enum", "default"):
            _relax(spec, value)
