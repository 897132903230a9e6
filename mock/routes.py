"""Which methods a request path allows, as OpenAPI matches paths, found without a scan.

Every request asks (the guard answers a 405 before connexion routes), so the work that
depends only on the spec's paths is done once: templates are grouped by their number of
segments and by their last segment (a literal, or any value when it holds a parameter), each
group ordered by how many parameters a template has. A request then tries only the few
templates of its group, concrete ones first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_Route = tuple[int, re.Pattern[str], frozenset[str]]  # parameters, regex, methods


class RouteIndex:
    def __init__(self, routes: Iterable[tuple[str, frozenset[str]]]) -> None:
        """``routes``: each path template (prefix included) with its methods."""
        by_last: dict[tuple[int, str], list[_Route]] = {}
        open_last: dict[int, list[_Route]] = {}
        for template, methods in routes:
            route = (template.count("{"), _template_regex(template), methods)
            depth, last = template.count("/"), template.rsplit("/", 1)[-1]
            if "{" in last:
                open_last.setdefault(depth, []).append(route)
            else:
                by_last.setdefault((depth, last), []).append(route)
        self._open = {depth: sorted(group, key=_holes) for depth, group in open_last.items()}
        self._literal = {
            key: sorted(group + open_last.get(key[0], []), key=_holes)
            for key, group in by_last.items()
        }

    def allowed(self, path: str) -> frozenset[str]:
        """The methods of the path item ``path`` matches; empty when none does.

        A concrete path wins over a templated one: PUT on ``/expenses/categories`` is a 405
        there, not a PUT of expense "categories". Templates with as few parameters as the
        best match all count (their methods are united).
        """
        depth, last = path.count("/"), path.rsplit("/", 1)[-1]
        candidates = self._literal.get((depth, last)) or self._open.get(depth) or []
        found: list[frozenset[str]] = []
        fewest = None
        for holes, regex, methods in candidates:
            if fewest is not None and holes > fewest:
                break
            if regex.fullmatch(path):
                fewest = holes
                found.append(methods)
        return frozenset().union(*found)


def _holes(route: _Route) -> int:
    return route[0]


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"({[^}]+})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))
