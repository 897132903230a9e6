"""What of a request body a write keeps, before the engine reads it field by field: only the
fields the operation's body declares (``accept``, where it names fewer than the record has)
and never a write-only property (``hide``: ``password``, ``creator.password``) — a team's
own spec, read by ``understudy.infer``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def kept(
    body: Mapping[str, Any], accept: Iterable[str] | None, hide: Iterable[str]
) -> Mapping[str, Any]:
    if accept is not None:
        allowed = set(accept)
        body = {k: v for k, v in body.items() if k in allowed}
    for path in hide:
        body = _without(body, path.split("."))
    return body


def _without(value: Any, path: list[str]) -> Any:
    """``value`` with the property at ``path`` removed (through nested objects)."""
    if not isinstance(value, Mapping) or path[0] not in value:
        return value
    if len(path) == 1:
        return {k: v for k, v in value.items() if k != path[0]}
    return {**value, path[0]: _without(value[path[0]], path[1:])}
