"""Generated tenants: valid against the spec, coherent, deterministic — and what the mock serves."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from understudy import binding, fixtures, specs
from understudy.mock import auth
from understudy.mock.app import create_app
from understudy.mock.config import Config

SPEC = specs.bundle(specs.mount("edm"))
SURFACE = binding.read_surface("edm", SPEC)


@pytest.fixture(scope="module")
def tenant() -> fixtures.Tenant:
    return fixtures.generate("edm", size="small", seed=42)


@pytest.fixture(scope="module", params=["generated", "edm-demo"])
def any_tenant(request: pytest.FixtureRequest) -> fixtures.Tenant:
    """The generated tenant, and the hand-curated named fixture."""
    if request.param == "generated":
        return fixtures.generate("edm", size="small", seed=42)
    return fixtures.load_named(request.param)


def test_every_record_validates_against_its_schema(any_tenant: fixtures.Tenant) -> None:
    tenant = any_tenant
    failures = []
    for name, records in tenant.collections.items():
        assert records, f"no {name} generated"
        validator = specs.validator(SPEC, f"/components/schemas/{SURFACE.collections[name].schema}")
        for record in records:
            failures += [
                f"{name} {record['id']}: {e.message}" for e in validator.iter_errors(record)
            ]
    assert not failures, "\n".join(failures[:20])


def test_ids_are_unique_and_prefixed(any_tenant: fixtures.Tenant) -> None:
    tenant = any_tenant
    for name, records in tenant.collections.items():
        prefix = SURFACE.collections[name].id_prefix + "_"
        ids = [r["id"] for r in records]
        assert len(ids) == len(set(ids)) and all(i.startswith(prefix) for i in ids)


def test_time_is_logged_on_working_days_within_a_day(tenant: fixtures.Tenant) -> None:
    per_day: dict[tuple[str, str], float] = defaultdict(float)
    people = {p["id"] for p in tenant.pools["people"]}
    for entry in tenant.collections["time_entries"]:
        day = datetime.fromisoformat(entry["date"])
        assert day.weekday() < 5 and entry["date"].endswith("T00:00:00Z")
        assert entry["person_id"] in people and entry["project_id"] in tenant.pools["projects"]
        assert entry["created_at"][:10] == entry["date"][:10]  # logged the same day
        per_day[(entry["person_id"], entry["date"])] += entry["hours"]
    assert max(per_day.values()) <= 8


def test_capacity_of_a_person_never_exceeds_100_percent(tenant: fixtures.Tenant) -> None:
    load: dict[tuple[str, str], float] = defaultdict(float)
    for allocation in tenant.collections["capacity"]:
        assert allocation["period_start"] <= allocation["period_end"]
        load[(allocation["person_id"], allocation["period_start"])] += allocation["allocated_pct"]
    assert load and max(load.values()) <= 100


def test_statuses_agree_with_their_stamps(any_tenant: fixtures.Tenant) -> None:
    tenant = any_tenant
    for name, collection in SURFACE.collections.items():
        lifecycle = collection.lifecycle
        if not lifecycle:
            continue
        for record in tenant.collections[name]:
            if record[lifecycle.field] == lifecycle.initial:  # nothing happened yet
                stamped = {f for t in lifecycle.transitions for f in t.stamp}
                assert all(record[f] is None for f in stamped), record
            for move in lifecycle.transitions:
                if record[lifecycle.field] == move.to:  # reached by this or another move
                    reached = [t for t in lifecycle.transitions if t.to == move.to]
                    assert any(all(record[f] is not None for f in t.stamp) for t in reached), record
    approved = [r for r in tenant.collections["access_requests"] if r["approver_id"]]
    assert all(r["approver_id"] != r["requester_id"] for r in approved)


def test_threads_and_other_rules(tenant: fixtures.Tenant) -> None:
    comments = {c["id"]: c for c in tenant.collections["comments"]}
    replies = [c for c in comments.values() if c["parent_comment_id"]]
    assert replies
    for reply in replies:
        parent = comments[reply["parent_comment_id"]]
        assert (
            parent["created_at"] < reply["created_at"] and parent["entity_id"] == reply["entity_id"]
        )
    for trip in tenant.collections["travel"]:
        assert trip["departure_at"] <= trip["return_at"]
    for item in tenant.collections["pending"]:
        if item["total_steps"] is not None and item["current_step_index"] is not None:
            assert item["current_step_index"] < item["total_steps"]


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = fixtures.write(fixtures.generate("edm", seed=7), tmp_path / "a.json").read_bytes()
    second = fixtures.write(fixtures.generate("edm", seed=7), tmp_path / "b.json").read_bytes()
    other = fixtures.write(fixtures.generate("edm", seed=8), tmp_path / "c.json").read_bytes()
    assert first == second and first != other
    lines = fixtures.write(fixtures.generate("edm", seed=7), tmp_path / "a.ndjson").read_text()
    assert lines.count("\n") == sum(fixtures.generate("edm", seed=7).counts().values())


def test_sizes_and_explicit_counts() -> None:
    small = fixtures.generate("edm", size="small")
    assert len(small.pools["people"]) == 10
    custom = fixtures.generate("edm", size={"people": 3, "days": 7})
    assert (
        len(custom.pools["people"]) == 3
        and custom.counts()["time_entries"] < small.counts()["time_entries"]
    )
    with pytest.raises(ValueError, match="unknown size"):
        fixtures.generate("edm", size="enormous")
    with pytest.raises(ValueError, match="no fixtures"):
        fixtures.generate("nowhere")


def test_the_mock_serves_the_demo_tenant(tenant: fixtures.Tenant) -> None:
    mock = create_app(Config(surfaces=("edm",), seed=42, size="small"))
    client = mock.app.test_client()
    credentials = client.get("/__understudy/credentials").json()["edm"]
    assert credentials["tenant_id"] == tenant.credentials["tenant_id"]
    assert credentials["sub"] in {p["id"] for p in tenant.pools["people"]}
    listed = client.get("/edm/api/v1/work/time-entries", headers=credentials["headers"]).json()
    assert listed["pagination"]["total"] == tenant.counts()["time_entries"]
    stranger = auth.mint(mock.config.secret, {"tenant_id": "ten_other", "sub": credentials["sub"]})
    empty = client.get(
        "/edm/api/v1/work/time-entries", headers={"Authorization": f"Bearer {stranger}"}
    )
    assert empty.json()["pagination"]["total"] == 0


def test_references_point_at_the_tenant(any_tenant: fixtures.Tenant) -> None:
    """Every id-shaped value names a person, project, task or record of the same tenant."""
    known = {p["id"] for p in any_tenant.pools["people"]}
    known |= set(any_tenant.pools["projects"]) | set(any_tenant.pools["tasks"])
    known |= {r["id"] for records in any_tenant.collections.values() for r in records}
    known |= {any_tenant.credentials["tenant_id"], any_tenant.credentials["app_id"]}
    id_shaped = re.compile(r"^(per|prj|tsk|tme|cmt|cap|acr|hrq|pnd|eqp|trv|ten|app)_[0-9A-Z]{26}$")
    dangling = [
        (record["id"], key, value)
        for records in any_tenant.collections.values()
        for record in records
        for key, value in record.items()
        if isinstance(value, str) and id_shaped.match(value) and value not in known
    ]
    assert not dangling, dangling[:10]
    tenants = {r["tenant_id"] for records in any_tenant.collections.values() for r in records}
    assert tenants == {any_tenant.credentials["tenant_id"]}


def test_the_mock_starts_on_a_named_fixture() -> None:
    mock = create_app(Config(surfaces=("edm",), fixture="edm-demo"))
    client = mock.app.test_client()
    credentials = client.get("/__understudy/credentials").json()["edm"]
    assert credentials["sub"] == "per_01DEM00000000000000000ANNA"
    entry = client.get(
        "/edm/api/v1/work/time-entries/tme_01DEM000000000000000000001",
        headers=credentials["headers"],
    )
    assert entry.status_code == 200 and entry.json()["notes"] == "Checkout address form validation"
    with pytest.raises(ValueError, match="no named fixture 'nope'; known: edm-demo"):
        fixtures.load_named("nope")


def test_tracker_tenant_is_valid_and_coherent() -> None:
    tenant = fixtures.generate("tracker", size="small", seed=3)
    spec = specs.bundle(specs.mount("tracker"))
    validator = specs.validator(spec, "/components/schemas/TimeEntry")
    entries = tenant.collections["time_entries"]
    assert entries and not [e.message for r in entries for e in validator.iter_errors(r)]
    refs = [
        (r["projectId"], tuple(sorted(r["externalRef"].items())))
        for r in entries
        if r["externalRef"]
    ]
    assert refs and len(refs) == len(set(refs))  # an upsert key names one entry
    for entry in entries:
        assert entry["organizationId"] == tenant.credentials["tenant_id"]
        assert datetime.fromisoformat(entry["workDate"]).weekday() < 5
        assert float(entry["hours"]) * 60 == pytest.approx(entry["minutes"], abs=0.01)
        assert entry["invoiced"] == (entry["status"] == "invoiced")
        assert (entry["status"] == "draft") == (entry["createdAt"] == entry["updatedAt"])
    again = fixtures.generate("tracker", size="small", seed=3)
    assert again.collections == tenant.collections


def test_clockify_world_is_valid_and_wired() -> None:
    from tests.clockify_kit import Kit
    from understudy.fixtures.clockify import REFERENCES

    kit = Kit()
    failures = []
    for name, records in kit.tenant.collections.items():
        if name == "api_keys":
            continue
        validator = specs.validator(
            kit.spec, f"/components/schemas/{kit.surface.collections[name].schema}"
        )
        failures += [
            f"{name} {r['id']}: {e.message}" for r in records for e in validator.iter_errors(r)
        ]
    assert not failures, failures[:10]
    ids = {
        (name, r["id"]): r.get("workspaceId")
        for name, records in kit.tenant.collections.items()
        for r in records
    }
    members = {w["id"]: {m["userId"] for m in w["memberships"]} for w in kit.records("workspaces")}
    dangling = []
    for name, records in kit.tenant.collections.items():
        for record in records:
            workspace = record.get("workspaceId")
            for field, target in REFERENCES.items():
                values = record.get(field)
                values = values if isinstance(values, list) else [values]
                for value in filter(None, values):
                    if target == "users" and workspace:
                        ok = value in members[workspace]
                    else:
                        ok = (target, value) in ids and ids[(target, value)] in (None, workspace)
                    if not ok and field != "workspaceId":
                        dangling.append((name, record["id"], field, value))
    assert not dangling, dangling[:10]
    timers = [e for e in kit.tenant.collections["time_entries"] if not e["timeInterval"]["end"]]
    assert [e["userId"] for e in timers] == [kit.user]
