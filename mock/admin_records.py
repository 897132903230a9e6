"""What the admin API lets into a store: records of the surface's own collections, in the
spec's types, carrying the scope that makes them some tenant's — so that no record added by a
script can break a list or a snapshot afterwards.

A record may leave out fields its schema requires (scripts add minimal records; the mock
serves what it was given), but every field it has must be of the schema's type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from understudy import specs
from understudy.mock import strict_json

if TYPE_CHECKING:
    from understudy.mock.app import Mock

MAX_LISTED = 20  # problems named in one answer; the rest are counted


class Checker:
    """The record rules of every served surface, compiled on first use."""

    def __init__(self, mock: Mock) -> None:
        self._mock = mock
        self._validators: dict[tuple[str, str], Any] = {}

    def problems(self, surface: str, collections: Any, *, internal: bool = False) -> list[str]:
        """What is wrong with ``{collection: [records]}`` for ``surface``; empty when nothing.

        ``internal`` admits collections the spec does not declare (the mock's own
        bookkeeping: ``_audit``, receipts, webhook logs), which a snapshot carries; their
        records are checked as JSON only.
        """
        if not isinstance(collections, dict):
            return [f"{surface}: 'collections' must map collection names to lists of records"]
        mounts = [m for m in self._mock.mounted if m.mount.surface == surface]
        declared = {n: (m, c) for m in mounts for n, c in m.surface.collections.items()}
        own = {m.surface.auth.get("collection") for m in mounts} - {None}
        found: list[str] = []
        for name, records in collections.items():
            where = f"{surface}.{name}"
            if not isinstance(records, list):
                found.append(f"{where}: must be a list of records")
                continue
            if name not in declared and name not in own and not internal:
                known = ", ".join(sorted(declared))
                found.append(f"{where}: no such collection (known: {known})")
                continue
            for index, record in enumerate(records):
                found += [f"{where}[{index}]: {p}" for p in self._record(name, record, declared)]
            if len(found) > MAX_LISTED:
                break
        if len(found) > MAX_LISTED:
            found[MAX_LISTED:] = [f"... and {len(found) - MAX_LISTED} more"]
        return found

    def _record(self, name: str, record: Any, declared: dict[str, Any]) -> list[str]:
        if not isinstance(record, dict):
            return ["must be an object"]
        if not isinstance(record.get("id"), str) or not record["id"]:
            return ["needs a string 'id'"]
        try:
            strict_json.check(record)
        except strict_json.NotJSON as exc:
            return [str(exc)]
        if name not in declared:
            return []
        mounted, collection = declared[name]
        found = [
            f"{record['id']}: has no {field!r}, so no tenant could see it"
            for field in _scope_fields(mounted.surface, collection.name)
            if not isinstance(record.get(field), str)
        ]
        validator = self._validator(mounted, collection.schema)
        for error in validator.iter_errors(record):
            if error.validator == "required" and not error.path:
                continue  # a minimal record is served as given
            at = "/".join(str(p) for p in error.absolute_path) or "(record)"
            found.append(f"{record['id']}: {at}: {error.message}")
        return found

    def _validator(self, mounted: Any, schema: str) -> Any:
        key = (mounted.mount.name, schema)
        if key not in self._validators:
            self._validators[key] = specs.validator(mounted.spec, f"/components/schemas/{schema}")
        return self._validators[key]


def _scope_fields(surface: Any, collection: str) -> set[str]:
    """The fields that place a record in a tenant: the surface's scope, and the path
    parameters every operation on the collection scopes by (Clockify's ``workspaceId``)."""
    scoped = [
        set(b.scope_params)
        for b in surface.bindings.values()
        if b.collection and b.collection.name == collection
    ]
    return set(surface.scope) | (set.intersection(*scoped) if scoped else set())
