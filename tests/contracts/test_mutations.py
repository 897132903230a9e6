"""The mutation suite: bugs that backend teams ship, planted one at a time into the live mock
in this process (its engine, handlers and validators patched, undone after each), each run
through ``verify`` with only the check and collection that should catch it.

Every mutant names the check expected to catch it; ``test_mutation_score`` prints the table
(mutant → catching check) and fails below 90 %.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import BOB, TENANT_B, LiveMock, running
from understudy.contracts.outcome import Result
from understudy.contracts.verify import Options, verify
from understudy.mock import engine as engine_module
from understudy.mock import errors
from understudy.mock.app import Mock, create_app
from understudy.mock.config import Config
from understudy.mock.engine import Call, Engine, Reply, parse_instant
from understudy.mock.surfaces.clockify import shared as clockify_shared

OTHER_APP = "app_01HXOTHERAPP0000000000000"
TRACKER_ORG_A = "7b1e2c3d-0000-4000-8000-00000000000a"
TRACKER_ORG_B = "7b1e2c3d-0000-4000-8000-00000000000b"
TRACKER_USER = "9a8b7c6d-0000-4000-8000-000000000002"
SCORE_FLOOR = 0.9

Patch = Callable[[Mock, pytest.MonkeyPatch], None]


@dataclasses.dataclass(frozen=True)
class Mutant:
    bug: str
    plant: Patch
    check: str  # the check that must catch it
    operation: str  # narrows verify to the collection of this operation
    surface: str = "edm"
    phases: tuple[str, ...] = ()  # schemathesis phases, for a schema-level check


def engine(mock: Mock, surface: str = "edm") -> Engine:
    return next(m.engine for m in mock.mounted if m.mount.surface == surface)


def wrap_behaviour(
    mock: Mock, monkeypatch: pytest.MonkeyPatch, kind: str, change: Callable[..., Reply]
) -> None:
    """Replace the ``kind`` behaviour with ``change(original, call)``."""
    eng = engine(mock)
    original = eng._behaviours[kind]
    monkeypatch.setitem(eng._behaviours, kind, lambda call: change(original, call))


def with_params(call: Call, **params: Any) -> Call:
    return dataclasses.replace(call, params={**call.params, **params})


# ---------------------------------------------------------------- list semantics
def ignore_billable_filter(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._apply_filter

    def apply(records: Any, op: str, name: str, wanted: Any, collection: Any) -> Any:
        return (
            list(records) if name == "billable" else original(records, op, name, wanted, collection)
        )

    monkeypatch.setattr(engine_module, "_apply_filter", apply)


def exclusive_ranges(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._apply_filter

    def apply(records: Any, op: str, name: str, wanted: Any, collection: Any) -> Any:
        kept = original(records, op, name, wanted, collection)
        if op not in ("gte", "lte"):
            return kept
        bound = engine_module._comparable(collection, name, wanted)
        return [r for r in kept if engine_module._comparable(collection, name, r[name]) != bound]

    monkeypatch.setattr(engine_module, "_apply_filter", apply)


def ignore_date_to(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._apply_filter

    def apply(records: Any, op: str, name: str, wanted: Any, collection: Any) -> Any:
        if op == "lte" and name == "date":
            return list(records)
        return original(records, op, name, wanted, collection)

    monkeypatch.setattr(engine_module, "_apply_filter", apply)


def inverted_presence(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._apply_filter

    def apply(records: Any, op: str, name: str, wanted: Any, collection: Any) -> Any:
        if op == "present":
            wanted = not wanted
        return original(records, op, name, wanted, collection)

    monkeypatch.setattr(engine_module, "_apply_filter", apply)


def search_ignores_term(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    wrap_behaviour(mock, monkeypatch, "list", lambda orig, call: orig(with_params(call, q=None)))


def search_every_tenant(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """``q`` runs a query of its own that forgets the tenant (a cross-tenant leak)."""
    eng = engine(mock)
    original = eng.scope

    def scope(call: Call) -> dict[str, Any]:
        if call.binding.kind == "list" and call.params.get("q"):
            return {}
        return original(call)

    monkeypatch.setattr(eng, "scope", scope)


def default_sort_oldest_first(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default order, ``-created_at``, comes out oldest first."""

    def change(orig: Callable[[Call], Reply], call: Call) -> Reply:
        newest_first = call.params.get("sort") in (None, "-created_at")
        return orig(with_params(call, sort="created_at") if newest_first else call)

    wrap_behaviour(mock, monkeypatch, "list", change)


def sort_ignores_direction(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module._sorted
    monkeypatch.setattr(
        engine_module, "_sorted", lambda records, sort, c: original(records, sort.lstrip("-"), c)
    )


def page_two_repeats(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offset computed as (page - 1) * size - 1: page 2 repeats page 1's last record."""

    def change(orig: Callable[[Call], Reply], call: Call) -> Reply:
        page, size = int(call.params.get("page") or 1), int(call.params.get("page_size") or 50)
        if page < 2:
            return orig(call)
        whole = orig(with_params(call, page=1, page_size=page * size + size))
        data = whole.body["data"]
        start = (page - 1) * size - 1
        whole.body["data"] = data[start : start + size]
        whole.body["pagination"].update(page=page, page_size=size)
        return whole

    wrap_behaviour(mock, monkeypatch, "list", change)


def total_counts_deleted(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The count query forgets the soft-delete flag the page query applies."""

    def change(orig: Callable[[Call], Reply], call: Call) -> Reply:
        reply = orig(call)
        everything = orig(with_params(call, include_deleted=True))
        reply.body["pagination"]["total"] = everything.body["pagination"]["total"]
        return reply

    wrap_behaviour(mock, monkeypatch, "list", change)


def has_more_never(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    def change(orig: Callable[[Call], Reply], call: Call) -> Reply:
        reply = orig(call)
        reply.body["pagination"]["has_more"] = False
        return reply

    wrap_behaviour(mock, monkeypatch, "list", change)


def tracker_total_is_page_length(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock, "tracker")
    original = eng._behaviours["list"]

    def listing(call: Call) -> Reply:
        reply = original(call)
        reply.headers["X-Total-Count"] = str(len(reply.body))
        return reply

    monkeypatch.setitem(eng._behaviours, "list", listing)


# ---------------------------------------------------------------- isolation
def scope_dropped_when(test: Callable[[Call], bool]) -> Patch:
    def plant(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
        eng = engine(mock)
        original = eng.scope
        monkeypatch.setattr(eng, "scope", lambda call: {} if test(call) else original(call))

    return plant


def _listing_with(*names: str) -> Callable[[Call], bool]:
    return lambda call: call.binding.kind == "list" and any(call.params.get(n) for n in names)


def app_scope_ignored(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock)
    monkeypatch.setattr(eng, "surface", dataclasses.replace(eng.surface, app_scope=None))


def reads_by_id_ignore_tenant(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock)
    original = eng.load

    def load(call: Call, collection: Any = None) -> Any:
        if call.binding.kind != "action":
            return original(call, collection)
        collection = collection or eng._collection(call)
        record = eng.store.get(collection.name, call.params.get(call.binding.id_param))
        if record is None:
            raise errors.NotFound("No such record")
        return record

    monkeypatch.setattr(eng, "load", load)


# ---------------------------------------------------------------- updates
def patch_drops_unsent(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATCH writes the whole row from the body: writable fields it was not sent are lost."""
    eng = engine(mock)
    original = eng._update

    def update(call: Call, collection: Any, current: Any, body: Any, stamps: Any = None) -> Any:
        if call.binding.kind == "patch":
            writable = collection.writable
            current = {k: v for k, v in current.items() if k not in writable or k in body}
        return original(call, collection, current, body, stamps)

    monkeypatch.setattr(eng, "_update", update)


def read_only_writable(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The update copies every field of the body, created_by and tenant_id included."""
    eng = engine(mock)
    original = eng._update

    def update(call: Call, collection: Any, current: Any, body: Any, stamps: Any = None) -> Any:
        record = original(call, collection, current, body, stamps)
        forged = {k: v for k, v in body.items() if k in ("created_by", "tenant_id")}
        if forged:
            record = {**record, **forged}
            eng.store.put(collection.name, record[collection.id_field], record)
        return record

    monkeypatch.setattr(eng, "_update", update)


def created_at_restamped(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock)
    stamps = {**eng.surface.update_stamps, "created_at": "$now"}
    monkeypatch.setattr(eng, "surface", dataclasses.replace(eng.surface, update_stamps=stamps))


def maximum_unchecked(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    from connexion.json_schema import Draft4RequestValidator

    from understudy.mock import validators

    monkeypatch.setitem(Draft4RequestValidator.VALIDATORS, "maximum", lambda *args: iter(()))
    monkeypatch.setattr(validators, "_compiled", {})


# ---------------------------------------------------------------- lifecycle and deletion
def deleted_readable(kinds: tuple[str, ...]) -> Patch:
    """``load`` for these kinds of operation forgets the soft-delete flag."""

    def plant(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
        eng = engine(mock)
        original = eng.visible

        def visible(record: Any, call: Call, scope: Any, *, include_deleted: bool = False) -> bool:
            include_deleted = include_deleted or call.binding.kind in kinds
            return original(record, call, scope, include_deleted=include_deleted)

        monkeypatch.setattr(eng, "visible", visible)

    return plant


def include_deleted_ignored(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    wrap_behaviour(
        mock, monkeypatch, "list", lambda orig, call: orig(with_params(call, include_deleted=None))
    )


def transition_stamps(change: Callable[[dict[str, Any], Any], dict[str, Any]]) -> Patch:
    """Actions stamp ``change(declared stamps, record)`` instead of what the lifecycle
    declares."""

    def plant(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
        eng = engine(mock)
        original = eng._update

        def update(call: Call, collection: Any, current: Any, body: Any, stamps: Any = None) -> Any:
            if stamps:
                stamps = change(dict(stamps), current)
            return original(call, collection, current, body, stamps)

        monkeypatch.setattr(eng, "_update", update)

    return plant


def _renamed(stamps: dict[str, Any], record: Any) -> dict[str, Any]:
    if "approved_at" in stamps:
        stamps["expires_at"] = stamps.pop("approved_at")
    return stamps


def _extra(stamps: dict[str, Any], record: Any) -> dict[str, Any]:
    return {**stamps, "provisioned_at": "$now"} if "approved_at" in stamps else stamps


def _requester_as_granter(stamps: dict[str, Any], record: Any) -> dict[str, Any]:
    if "granted_by_id" not in stamps:
        return stamps
    return {**stamps, "granted_by_id": record["requester_id"]}


def _stale_time(stamps: dict[str, Any], record: Any) -> dict[str, Any]:
    if "fulfilled_at" not in stamps:
        return stamps
    return {**stamps, "fulfilled_at": "2026-01-01T00:00:00Z"}  # a default that was never set


# ---------------------------------------------------------------- tracker
def replay_differs(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock, "tracker")
    original = eng._idempotent

    def idempotent(call: Call, key: str, ttl: int) -> Reply:
        reply = original(call, key, ttl)
        if reply.headers.get("Idempotent-Replayed"):
            return Reply(reply.status, {**reply.body, "description": "replayed"}, reply.headers)
        return reply

    monkeypatch.setattr(eng, "_idempotent", idempotent)


def upsert_duplicates(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    eng = engine(mock, "tracker")
    monkeypatch.setitem(eng._behaviours, "upsert", lambda call: Reply(201, eng.create(call).body))


def truncated_hours(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hours turned into minutes through an int: "2.5" becomes 120 minutes."""
    derivers = engine(mock, "tracker").behaviour.derivers._entries
    original = derivers["tracker.duration"]

    def duration(record: dict[str, Any], changes: Any) -> dict[str, Any]:
        sent = record if changes is None else changes
        if sent.get("minutes") is None and sent.get("hours") is not None:
            return original(record, {"minutes": int(float(sent["hours"])) * 60})
        return original(record, changes)

    monkeypatch.setitem(derivers, "tracker.duration", duration)


def total_minutes_in_duration(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    """08:00-09:30 written as PT1H90M: the minutes are the total, not the remainder."""
    original = clockify_shared.duration

    def duration(record: dict[str, Any], changes: Any) -> dict[str, Any]:
        record = original(record, changes)
        interval = record.get("timeInterval") or {}
        if interval.get("end"):
            seconds = (parse_instant(interval["end"]) - parse_instant(interval["start"])).seconds
            wrong = f"PT{seconds // 3600}H{seconds // 60}M"
            record = {**record, "timeInterval": {**interval, "duration": wrong}}
        return record

    monkeypatch.setattr(clockify_shared, "duration", duration)


def prefixless_ids(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    original = engine_module.new_id
    monkeypatch.setattr(
        engine_module, "new_id", lambda c, moment: original(c, moment).split("_")[-1]
    )


MUTANTS = [
    # the table
    Mutant(
        "equality filter ignored (billable)",
        ignore_billable_filter,
        "list_filters",
        "createTimeEntry",
    ),
    Mutant(
        "paging off by one (page 2 repeats page 1's last)",
        page_two_repeats,
        "list_paging",
        "createTimeEntry",
    ),
    Mutant(
        "default sort reversed (oldest first)",
        default_sort_oldest_first,
        "list_sort",
        "createTimeEntry",
    ),
    Mutant("q search scans every tenant", search_every_tenant, "list_search", "createComment"),
    Mutant(
        "PATCH drops writable fields it was not sent",
        patch_drops_unsent,
        "partial_update",
        "createTimeEntry",
    ),
    Mutant(
        "PATCH lets a client set created_by / tenant_id",
        read_only_writable,
        "read_only_fields",
        "createTimeEntry",
    ),
    Mutant(
        "an action writes its timestamp to the wrong field",
        transition_stamps(_renamed),
        "lifecycle",
        "createAccessRequest",
    ),
    Mutant(
        "PATCH on a soft-deleted record answers 200",
        deleted_readable(("patch",)),
        "soft_delete",
        "createEquipment",
    ),
    Mutant(
        "GET of a soft-deleted record answers 200",
        deleted_readable(("get",)),
        "soft_delete",
        "createTravel",
    ),
    Mutant(
        "ids without their type prefix",
        prefixless_ids,
        "response_schema_conformance",
        "createTimeEntry",
        phases=("examples",),
    ),
    Mutant(
        "maximum unchecked on numbers (hours: 25)",
        maximum_unchecked,
        "update_bounds",
        "createTimeEntry",
    ),
    Mutant(
        "app-scoped token sees other apps' records",
        app_scope_ignored,
        "app_isolation",
        "createTimeEntry",
    ),
    Mutant(
        "idempotent replay returns a different body",
        replay_differs,
        "idempotency",
        "logTimeEntry",
        "tracker",
    ),
    Mutant(
        "tracker hours truncated (2.5 -> 120 minutes)",
        truncated_hours,
        "derived_values",
        "logTimeEntry",
        "tracker",
    ),
    Mutant(
        "Clockify 08:00-09:30 answered PT1H90M",
        total_minutes_in_duration,
        "derived_values",
        "createTimeEntry",
        "clockify",
    ),
    # more of the same kinds
    Mutant(
        "range bounds exclusive (created_at_from)",
        exclusive_ranges,
        "list_filters",
        "createHrRequest",
    ),
    Mutant("date_to ignored", ignore_date_to, "list_filters", "createTimeEntry"),
    Mutant(
        "presence filter inverted (resolved)", inverted_presence, "list_filters", "createComment"
    ),
    Mutant("search ignores the term", search_ignores_term, "list_search", "createPending"),
    Mutant("sort ignores the direction", sort_ignores_direction, "list_sort", "createTimeEntry"),
    Mutant(
        "total counts soft-deleted records",
        total_counts_deleted,
        "list_paging",
        "createTravel",
    ),
    Mutant("has_more always false", has_more_never, "list_paging", "createEquipment"),
    Mutant(
        "X-Total-Count is the page's length",
        tracker_total_is_page_length,
        "list_paging",
        "logTimeEntry",
        "tracker",
    ),
    Mutant(
        "list filters skip the tenant scope",
        scope_dropped_when(_listing_with("billable", "person_id")),
        "tenant_isolation",
        "createTimeEntry",
    ),
    Mutant(
        "sorted lists skip the tenant scope",
        scope_dropped_when(_listing_with("sort")),
        "tenant_isolation",
        "createHrRequest",
    ),
    Mutant(
        "include_deleted skips the tenant scope",
        scope_dropped_when(_listing_with("include_deleted")),
        "tenant_isolation",
        "createComment",
    ),
    Mutant(
        "actions load records of any tenant",
        reads_by_id_ignore_tenant,
        "tenant_isolation",
        "createTravel",
    ),
    Mutant("include_deleted ignored", include_deleted_ignored, "soft_delete", "createTimeEntry"),
    Mutant(
        "an action on a soft-deleted record succeeds",
        deleted_readable(("action",)),
        "soft_delete",
        "createHrRequest",
    ),
    Mutant(
        "approve also stamps provisioned_at",
        transition_stamps(_extra),
        "lifecycle",
        "createAccessRequest",
    ),
    Mutant(
        "provision stamps the requester, not the caller",
        transition_stamps(_requester_as_granter),
        "lifecycle",
        "createAccessRequest",
    ),
    Mutant(
        "fulfill stamps a stale time",
        transition_stamps(_stale_time),
        "lifecycle",
        "createHrRequest",
    ),
    Mutant("an update restamps created_at", created_at_restamped, "server_stamps", "createPending"),
    Mutant(
        "an upsert with an existing key creates another record",
        upsert_duplicates,
        "upsert",
        "logTimeEntry",
        "tracker",
    ),
]
CAUGHT: dict[str, str | None] = {}


@pytest.fixture(scope="module")
def target() -> Iterator[LiveMock]:
    """One mock of every surface for every mutant: each plants its bug with monkeypatch
    (undone after it), and the checks work on records of their own, so they share it. The
    demo data serves Clockify's checks: its API key and workspace are where they write."""
    with running(create_app(Config(surfaces=("edm", "tracker", "clockify")))) as live:
        yield live


def run(live: LiveMock, mutant: Mutant) -> Result:
    params: dict[str, str] = {}
    app = None
    if mutant.surface == "edm":
        url, a, b = live.url, live.headers(), live.headers(sub=BOB, tenant=TENANT_B)
        app = live.headers(app=OTHER_APP)
    elif mutant.surface == "tracker":
        url = live.root + "/tracker"
        a = live.headers(sub=TRACKER_USER, tenant=TRACKER_ORG_A)
        b = live.headers(sub=TRACKER_USER, tenant=TRACKER_ORG_B)
    else:
        demo = live.admin("/credentials").json()["clockify"]
        url, a, b = live.root + "/clockify/api", {"X-Api-Key": demo["api_key"]}, None
        params = {"workspaceId": demo["workspaceId"]}
    return verify(
        Options(
            surface=mutant.surface,
            base_url=url,
            headers=a,
            other_headers=b,
            other_app_headers=app,
            params=params,
            max_examples=3,
            seed=1,
            checks=[mutant.check],
            operations=[mutant.operation],
            phases=mutant.phases or ("examples",),
        )
    )


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.bug for m in MUTANTS])
def test_a_planted_bug_is_caught_by_its_check(
    target: LiveMock, mutant: Mutant, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean = run(target, mutant)
    assert clean.ok, [(o.check, o.message) for o in clean.failures]  # the check holds unmutated
    mutant.plant(target.mock, monkeypatch)
    result = run(target, mutant)
    ran = [o for o in result.outcomes if o.check == mutant.check and not o.skipped]
    failure = next((o for o in result.failures if o.check == mutant.check), None)
    CAUGHT[mutant.bug] = failure.message if failure else None
    assert ran, f"{mutant.check} did not run: {[o.message for o in result.outcomes]}"
    assert failure is not None, f"{mutant.bug} survived {mutant.check}"
    assert failure.curl and all(c.startswith("curl ") for c in failure.curl)


def test_mutation_score(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs after the mutants (file order): the table and the score, at least 90 %."""
    if len(CAUGHT) < len(MUTANTS):
        pytest.skip("run the whole module to score it")
    caught = [bug for bug, message in CAUGHT.items() if message]
    score = len(caught) / len(MUTANTS)
    with capsys.disabled():
        print(f"\nmutation score {len(caught)}/{len(MUTANTS)} = {score:.0%}")
        for mutant in MUTANTS:
            verdict = mutant.check if CAUGHT[mutant.bug] else "SURVIVED"
            print(f"  {mutant.bug:58} {verdict}")
    assert score >= SCORE_FLOOR, [bug for bug, message in CAUGHT.items() if not message]
