"""A list's answer inside the envelope its declaration names: the records under ``data``,
and the paging fields beside them or in a ``pagination`` object, each holding what
``fields`` says (``total``, ``page``, ``page_size``, ``offset``, ``count``, ``has_more``, or
``none`` for a cursor with nowhere to go); EDM's four when it says nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EDM = {k: k for k in ("page", "page_size", "total", "has_more")}


def wrap(
    envelope: Mapping[str, Any],
    items: list[Any],
    *,
    page: int,
    size: int,
    total: int,
    start: int,
) -> dict[str, Any]:
    values = {
        "page": page,
        "page_size": size,
        "offset": start,
        "total": total,
        "count": len(items),
        "has_more": start + len(items) < total,
        "none": None,
    }
    paging = {name: values[source] for name, source in (envelope.get("fields") or EDM).items()}
    body: dict[str, Any] = {envelope["data"]: items}
    if envelope.get("pagination"):
        body[envelope["pagination"]] = paging
    else:
        body.update(paging)
    return body
