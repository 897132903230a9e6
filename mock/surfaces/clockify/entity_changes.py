"""Clockify handlers: the experimental entity-change feeds — time entries created, updated or
deleted in a range (workspaces.yaml). When a record was written comes
from the engine's audited store (``audit: [time_entries]`` in components.yaml); records the
engine did not see (the demo tenant's) were created when they were tracked: a running timer
when it started, any other entry when it ended. Their ObjectIds keep the time the tenant was
generated at, while its dates move to the present week (``understudy.today``): dated by id,
the demo's entries were never in a feed of recent weeks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, iso, parse_instant
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import ENTRIES, currency

Record = dict[str, Any]


def _range(params: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """The feed's range: 30 days before ``end`` (or now), or after ``start``."""
    if not params.get("type"):
        raise errors.BadRequest("type must name at least one document type")
    month = timedelta(days=30)
    start = parse_instant(params["start"]) if params.get("start") else None
    end = parse_instant(params["end"]) if params.get("end") else None
    if start is None:
        end = end or now
        start = end - month
    elif end is None:
        end = start + month
    if end < start:
        raise errors.BadRequest("start must not be after end")
    return start, end


def _created(entry: Mapping[str, Any], audit: Mapping[str, Any] | None) -> datetime:
    """When a record was created: as the engine saw it, else when it was tracked, else the
    time in its ObjectId."""
    if audit and audit.get("createdAt"):
        return parse_instant(audit["createdAt"])
    interval = entry.get("timeInterval") or {}
    tracked = interval.get("end") or interval.get("start")
    if tracked:
        return parse_instant(tracked)
    return datetime.fromtimestamp(int(entry["id"][:8], 16), UTC)


def _documents(entry: Mapping[str, Any], types: set[str], meta: Record, money: str) -> list[Record]:
    """The entry as the feed documents it asks for (entry, custom field values, rates); rates
    without a currency are in the workspace's (``money``)."""
    entry = {
        **entry,
        **{
            k: {**entry[k], "currency": entry[k].get("currency") or money}
            for k in ("hourlyRate", "costRate")
            if entry.get(k)
        },
    }
    out = []
    if "TIME_ENTRY" in types:
        # approvalStatus is in the document's sample even for an entry never submitted
        out.append(
            {"approvalStatus": None, **entry, "documentType": "TIME_ENTRY", "auditMetadata": meta}
        )
    if "TIME_ENTRY_CUSTOM_FIELD_VALUE" in types:
        for value in entry.get("customFieldValues") or []:
            field = str(value.get("customFieldId") or "")
            out.append(
                {
                    "id": f"{int(entry['id'], 16) ^ int(field or '0', 16):024x}"[-24:],
                    "customFieldId": field or None,
                    "timeEntryId": entry["id"],
                    "value": value.get("value"),
                    "sourceType": "TIMEENTRY",
                    "workspaceId": entry.get("workspaceId"),
                    "documentType": "TIME_ENTRY_CUSTOM_FIELD_VALUE",
                    "auditMetadata": meta,
                }
            )
    if "TIME_ENTRY_RATE" in types:
        out.append(
            {
                "id": f"{int(entry['id'], 16) ^ 1:024x}",
                "timeEntryId": entry["id"],
                "hourlyRate": entry.get("hourlyRate"),
                "costRate": entry.get("costRate"),
                "workspaceId": entry.get("workspaceId"),
                "documentType": "TIME_ENTRY_RATE",
                "auditMetadata": meta,
            }
        )
    return out


def _audits(engine: Engine) -> dict[str, Record]:
    audit = getattr(engine.store, "audit", None)
    return {a["recordId"]: dict(a) for a in audit(ENTRIES)} if audit else {}


def _changes(engine: Engine, call: Call, updated: bool) -> Reply:
    params = call.params
    start, end = _range(params, engine.clock.now())
    types = set(params["type"])
    money = currency(engine, params["workspaceId"])
    audits = _audits(engine)
    found: list[tuple[datetime, Record, Record]] = []
    for entry in engine.store.scan(ENTRIES, {"workspaceId": params["workspaceId"]}):
        audit = audits.get(entry["id"])
        created = _created(entry, audit)
        changed = parse_instant(audit["updatedAt"]) if audit and audit.get("updatedAt") else None
        when = changed if updated else created
        if when is None or not start <= when <= end or (updated and created >= start):
            continue
        meta = {"createdAt": iso(created), "updatedAt": iso(changed) if changed else None}
        found.append((when, dict(entry), meta))
    found.sort(key=lambda item: (item[0], item[1]["id"]))
    documents = [d for _, entry, meta in found for d in _documents(entry, types, meta, money)]
    return Reply(200, engine.page(call, documents).items)


@behaviour.handler("listCreatedEntities")
def list_created_entities(engine: Engine, call: Call) -> Reply:
    """GET .../entities/created: time entries of the workspace created in the range, oldest
    first: TIME_ENTRY → the entry plus `documentType`, `auditMetadata {createdAt,
    updatedAt}`; TIME_ENTRY_CUSTOM_FIELD_VALUE → one record per `customFieldValues` item
    `{id (stable per entry+field), customFieldId, timeEntryId, value, sourceType: TIMEENTRY,
    documentType, auditMetadata}`; TIME_ENTRY_RATE → one per entry `{id, timeEntryId,
    hourlyRate, costRate, documentType, auditMetadata}`; bare array.
    """
    return _changes(engine, call, updated=False)


@behaviour.handler("listUpdatedEntities")
def list_updated_entities(engine: Engine, call: Call) -> Reply:
    """GET .../entities/updated: as created, for records updated in the range and created
    before it.
    """
    return _changes(engine, call, updated=True)


@behaviour.handler("listDeletedEntities")
def list_deleted_entities(engine: Engine, call: Call) -> Reply:
    """Entries deleted in the range (created before it), as the documents ``type`` asks for.

    GET .../entities/deleted: time entries (and their custom field values/rates, by type)
    the engine saw deleted in the range and created before it: `{response: [{id,
    deletionBinId (new id), deletedAt, documentType, document: the record as it was}]}`.
    """
    params = call.params
    start, end = _range(params, engine.clock.now())
    types = set(params["type"])
    money = currency(engine, params["workspaceId"])
    deleted = []
    for audit in _audits(engine).values():
        document = audit.get("document") or {}
        if not audit.get("deletedAt") or document.get("workspaceId") != params["workspaceId"]:
            continue
        when, created = (
            parse_instant(audit["deletedAt"]),
            _created({"id": audit["recordId"], **document}, audit),
        )
        if not start <= when <= end or created >= start:
            continue
        meta = {"createdAt": iso(created), "updatedAt": audit.get("updatedAt")}
        for doc in _documents(document, types, meta, money):
            kind = doc.pop("documentType")
            doc.pop("auditMetadata")
            deleted.append(
                {
                    "id": doc["id"],
                    "deletionBinId": f"{int(doc['id'], 16) ^ int(when.timestamp()):024x}"[-24:],
                    "deletedAt": iso(when),
                    "documentType": kind,
                    "document": doc,
                }
            )
    deleted.sort(key=lambda d: (d["deletedAt"], d["id"]))
    return Reply(200, {"response": engine.page(call, deleted).items})
