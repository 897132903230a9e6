"""The status a user's spec documents for refusing invalid input (400, 415, 422).

A team's spec often documents no 400 for an operation (``responses: {200, 404}``). Like
Prism, the mock then refuses invalid input with the nearest status the operation does
document — 400, else 422, else 404, else its first other 4xx — so that its answers stay
within the spec; with a ``default`` response any status is documented.
"""

from __future__ import annotations

import re
from typing import Any

PREFERRED = (400, 422, 404)


def status(spec: dict[str, Any], prefix: str, method: str, path: str, wanted: int) -> int:
    """``wanted`` if the operation at ``path`` documents it (or has ``default``), else the
    nearest 4xx it documents; unchanged where no operation matches."""
    op = _operation(spec, prefix, method, path)
    if op is None:
        return wanted
    documented = {str(s) for s in op.get("responses", {})}
    if str(wanted) in documented or "default" in documented or f"{str(wanted)[0]}XX" in documented:
        return wanted
    for candidate in PREFERRED:
        if str(candidate) in documented:
            return candidate
    others = sorted(int(s) for s in documented if s.isdigit() and s.startswith("4"))
    return others[0] if others else wanted


def _operation(spec: dict[str, Any], prefix: str, method: str, path: str) -> Any:
    local = path[len(prefix) :] if prefix and path.startswith(prefix) else path
    best = None
    for template, item in spec.get("paths", {}).items():
        parts = re.split(r"({[^}]+})", template)
        pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        if re.fullmatch(pattern, local) and method.lower() in item:
            holes = template.count("{")
            if best is None or holes < best[0]:
                best = (holes, item[method.lower()])
    return best[1] if best else None
