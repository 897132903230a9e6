"""The mutation suite: bugs that backend teams ship, planted one at a time into the live mock
in this process (its engine, handlers and validators patched, undone after each), each run
through ``verify`` with only the check and collection that should catch it.

Every mutant names the check expected to catch it; ``test_mutation_score`` prints the table
(mutant → catching check) and fails below 90 %.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from tests.conftest import BOB, TENANT_B, LiveMock, running
from tests.contracts import mutants
from tests.contracts.mutants import Patch
from understudy.contracts.outcome import Result
from understudy.contracts.verify import Options, verify
from understudy.mock.app import create_app
from understudy.mock.config import Config

OTHER_APP = "app_01HXOTHERAPP0000000000000"
TRACKER_ORG_A = "7b1e2c3d-0000-4000-8000-00000000000a"
TRACKER_ORG_B = "7b1e2c3d-0000-4000-8000-00000000000b"
TRACKER_USER = "9a8b7c6d-0000-4000-8000-000000000002"
SCORE_FLOOR = 0.9


@dataclasses.dataclass(frozen=True)
class Mutant:
    bug: str
    plant: Patch
    check: str  # the check that must catch it
    operation: str  # narrows verify to the collection of this operation
    surface: str = "edm"
    phases: tuple[str, ...] = ()  # schemathesis phases, for a schema-level check


MUTANTS = [
    # the table
    Mutant(
        "equality filter ignored (billable)",
        mutants.ignore_billable_filter,
        "list_filters",
        "createTimeEntry",
    ),
    Mutant(
        "paging off by one (page 2 repeats page 1's last)",
        mutants.page_two_repeats,
        "list_paging",
        "createTimeEntry",
    ),
    Mutant(
        "default sort reversed (oldest first)",
        mutants.default_sort_oldest_first,
        "list_sort",
        "createTimeEntry",
    ),
    Mutant(
        "q search scans every tenant", mutants.search_every_tenant, "list_search", "createComment"
    ),
    Mutant(
        "PATCH drops writable fields it was not sent",
        mutants.patch_drops_unsent,
        "partial_update",
        "createTimeEntry",
    ),
    Mutant(
        "PATCH lets a client set created_by / tenant_id",
        mutants.read_only_writable,
        "read_only_fields",
        "createTimeEntry",
    ),
    Mutant(
        "an action writes its timestamp to the wrong field",
        mutants.transition_stamps(mutants.stamp_in_wrong_field),
        "lifecycle",
        "createAccessRequest",
    ),
    Mutant(
        "PATCH on a soft-deleted record answers 200",
        mutants.deleted_readable(("patch",)),
        "soft_delete",
        "createEquipment",
    ),
    Mutant(
        "GET of a soft-deleted record answers 200",
        mutants.deleted_readable(("get",)),
        "soft_delete",
        "createTravel",
    ),
    Mutant(
        "ids without their type prefix",
        mutants.prefixless_ids,
        "response_schema_conformance",
        "createTimeEntry",
        phases=("examples",),
    ),
    Mutant(
        "maximum unchecked on numbers (hours: 25)",
        mutants.maximum_unchecked,
        "update_bounds",
        "createTimeEntry",
    ),
    Mutant(
        "app-scoped token sees other apps' records",
        mutants.app_scope_ignored,
        "app_isolation",
        "createTimeEntry",
    ),
    Mutant(
        "idempotent replay returns a different body",
        mutants.replay_differs,
        "idempotency",
        "logTimeEntry",
        "tracker",
    ),
    Mutant(
        "tracker hours truncated (2.5 -> 120 minutes)",
        mutants.truncated_hours,
        "derived_values",
        "logTimeEntry",
        "tracker",
    ),
    Mutant(
        "Clockify 08:00-09:30 answered PT1H90M",
        mutants.total_minutes_in_duration,
        "derived_values",
        "createTimeEntry",
        "clockify",
    ),
    # more of the same kinds
    Mutant(
        "range bounds exclusive (created_at_from)",
        mutants.exclusive_ranges,
        "list_filters",
        "createHrRequest",
    ),
    Mutant("date_to ignored", mutants.ignore_date_to, "list_filters", "createTimeEntry"),
    Mutant(
        "presence filter inverted (resolved)",
        mutants.inverted_presence,
        "list_filters",
        "createComment",
    ),
    Mutant("search ignores the term", mutants.search_ignores_term, "list_search", "createPending"),
    Mutant(
        "sort ignores the direction", mutants.sort_ignores_direction, "list_sort", "createTimeEntry"
    ),
    Mutant(
        "total counts soft-deleted records",
        mutants.total_counts_deleted,
        "list_paging",
        "createTravel",
    ),
    Mutant("has_more always false", mutants.has_more_never, "list_paging", "createEquipment"),
    Mutant(
        "X-Total-Count is the page's length",
        mutants.tracker_total_is_page_length,
        "list_paging",
        "logTimeEntry",
        "tracker",
    ),
    Mutant(
        "list filters skip the tenant scope",
        mutants.scope_dropped_when(mutants.listing_with("billable", "person_id")),
        "tenant_isolation",
        "createTimeEntry",
    ),
    Mutant(
        "sorted lists skip the tenant scope",
        mutants.scope_dropped_when(mutants.listing_with("sort")),
        "tenant_isolation",
        "createHrRequest",
    ),
    Mutant(
        "include_deleted skips the tenant scope",
        mutants.scope_dropped_when(mutants.listing_with("include_deleted")),
        "tenant_isolation",
        "createComment",
    ),
    Mutant(
        "actions load records of any tenant",
        mutants.reads_by_id_ignore_tenant,
        "tenant_isolation",
        "createTravel",
    ),
    Mutant(
        "include_deleted ignored", mutants.include_deleted_ignored, "soft_delete", "createTimeEntry"
    ),
    Mutant(
        "an action on a soft-deleted record succeeds",
        mutants.deleted_readable(("action",)),
        "soft_delete",
        "createHrRequest",
    ),
    Mutant(
        "approve also stamps provisioned_at",
        mutants.transition_stamps(mutants.stamp_too_many),
        "lifecycle",
        "createAccessRequest",
    ),
    Mutant(
        "provision stamps the requester, not the caller",
        mutants.transition_stamps(mutants.requester_as_granter),
        "lifecycle",
        "createAccessRequest",
    ),
    Mutant(
        "fulfill stamps a stale time",
        mutants.transition_stamps(mutants.stale_time),
        "lifecycle",
        "createHrRequest",
    ),
    Mutant(
        "an update restamps created_at",
        mutants.created_at_restamped,
        "server_stamps",
        "createPending",
    ),
    Mutant(
        "an upsert with an existing key creates another record",
        mutants.upsert_duplicates,
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
