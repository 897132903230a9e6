"""``understudy seed``: a tenant pushed through the public API of a running mock, to files and
into the mock's admin API; failures reported, never silent; re-runs do not duplicate."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

import understudy.fixtures as fixtures
from tests.conftest import LiveMock
from understudy import binding, specs
from understudy.cli import main
from understudy.fixtures.push import push

SPEC = specs.bundle(specs.mount("edm"))
SURFACE = binding.read_surface("edm", SPEC)
SEED_BOT = "per_01HXSEEDB0T00000000000000S"  # pushes; not one of the tenant's people


def list_path(collection: str) -> str:
    return next(
        b.path
        for b in SURFACE.bindings.values()
        if b.kind == "list" and b.collection and b.collection.name == collection
    )


def stored(live: LiveMock, tenant_id: str, collection: str) -> list[dict[str, Any]]:
    """Every record of the collection the tenant can list."""
    client = live.client(sub=SEED_BOT, tenant=tenant_id)
    records, page = [], 1
    while True:
        body = client.get(list_path(collection), params={"page": page, "page_size": 100}).json()
        records += body["data"]
        if page * 100 >= body["pagination"]["total"]:
            return records
        page += 1


def test_push_through_the_api_ends_with_the_generated_counts(
    live_mock: LiveMock, tmp_path: Path
) -> None:
    tenant = fixtures.generate("edm", size="small", seed=5)
    tenant_id = "ten_01HXPUSHTENANT00000000000P"
    headers = live_mock.headers(sub=SEED_BOT, tenant=tenant_id)
    ledger = tmp_path / "ledger.json"
    report = push(tenant, live_mock.url, headers, ledger=ledger, concurrency=4)

    assert report.ok, report.summary()
    assert report.created == tenant.counts()
    for name, records in tenant.collections.items():
        found = stored(live_mock, tenant_id, name)
        assert len(found) == len(records), name
        lifecycle = SURFACE.collections[name].lifecycle
        if lifecycle:  # statuses reached through the documented actions and updates
            field = lifecycle.field
            assert Counter(r[field] for r in found) == Counter(r[field] for r in records), name
    # ids assigned by the target replaced the generated ones in references
    comments = {c["id"]: c for c in stored(live_mock, tenant_id, "comments")}
    replies = [c for c in comments.values() if c["parent_comment_id"]]
    assert replies and all(c["parent_comment_id"] in comments for c in replies)
    assert not set(comments) & {c["id"] for c in tenant.collections["comments"]}

    again = push(tenant, live_mock.url, headers, ledger=ledger)
    assert again.ok and again.requests == 0 and again.skipped == tenant.counts()
    assert len(stored(live_mock, tenant_id, "time_entries")) == tenant.counts()["time_entries"]


def test_a_failed_record_is_reported_and_the_rest_goes_on(
    live_mock: LiveMock, tmp_path: Path
) -> None:
    tenant = fixtures.generate("edm", size={"people": 2, "days": 3}, seed=9)
    tenant.collections = copy.deepcopy(tenant.collections)
    bad = tenant.collections["time_entries"][0]
    bad["hours"] = 30  # over the spec's maximum of 24
    orphan = next(c for c in tenant.collections["comments"] if not c["parent_comment_id"])
    tenant_id = "ten_01HXPUSHFA1LS0000000000000"
    headers = live_mock.headers(sub=SEED_BOT, tenant=tenant_id)

    report = push(tenant, live_mock.url, headers, ledger=tmp_path / "l.json")

    assert not report.ok
    assert [(f.record, f.step, f.status) for f in report.failures] == [(bad["id"], "create", 400)]
    assert "hours" in report.failures[0].message
    expected = tenant.counts()["time_entries"] - 1
    assert report.created["time_entries"] == expected
    assert len(stored(live_mock, tenant_id, "time_entries")) == expected
    assert orphan["id"] in json.loads((tmp_path / "l.json").read_text())["records"]

    # fixed and re-run: only the missing record is created
    bad["hours"] = 2
    again = push(tenant, live_mock.url, headers, ledger=tmp_path / "l.json")
    assert again.ok and again.created["time_entries"] == 1
    assert len(stored(live_mock, tenant_id, "time_entries")) == expected + 1


def test_refused_credentials_stop_the_run(live_mock: LiveMock) -> None:
    tenant = fixtures.generate("edm", size={"people": 2, "days": 3}, seed=9)
    report = push(tenant, live_mock.url, {"Authorization": "Bearer nonsense"}, concurrency=1)
    assert report.aborted and "credentials" in report.aborted
    assert report.requests == 1 and sum(report.failed.values()) == sum(tenant.counts().values())


def test_seed_command_writes_files_and_loads_a_mock(
    live_mock: LiveMock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.ndjson"
    assert main(["seed", "--size", "people=2,days=3", "--seed", "3", "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    tenant = fixtures.generate("edm", size={"people": 2, "days": 3}, seed=3)
    assert Counter(line["collection"] for line in lines) == tenant.counts()

    assert main(["seed", "--size", "people=2,days=3", "--seed", "3", "--mock", live_mock.root]) == 0
    assert f"--tenant {tenant.credentials['tenant_id']}" in capsys.readouterr().err
    client = live_mock.client(sub=SEED_BOT, tenant=tenant.credentials["tenant_id"])
    total = client.get(list_path("travel")).json()["pagination"]["total"]
    assert total == tenant.counts()["travel"]


@pytest.mark.parametrize(
    "argv",
    [
        ["seed", "--out", "x.json", "--size", "people=many"],
        ["seed", "--out", "x.json", "--size", "planets=3"],
        ["seed", "--out", "x.json", "--token", "t"],
        ["seed", "--out", "x.json", "--surface", "nowhere"],
    ],
)
def test_seed_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "understudy seed:" in capsys.readouterr().err


def test_a_tenant_whose_users_the_api_cannot_create_is_refused_before_any_request(
    live_mock: LiveMock, capsys: pytest.CaptureFixture[str]
) -> None:
    target = live_mock.root + "/clockify/api"
    argv = ["seed", "--surface", "clockify", "--target", target, "--no-ledger", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot be pushed" in err and "users" in err and "--mock or --out" in err


def test_push_a_tracker_organization(live_mock: LiveMock, tmp_path: Path) -> None:
    """Creates go through the documented upsert with an Idempotency-Key per record."""
    tenant = fixtures.generate("tracker", size={"people": 2, "days": 5}, seed=4)
    organization = "7b1e2c3d-0000-4000-8000-0000000000f1"
    token = live_mock.token(tenant.credentials["sub"], organization)
    headers = {"Authorization": f"Bearer {token}"}
    report = push(tenant, live_mock.root + "/tracker", headers, ledger=tmp_path / "l.json")
    assert report.ok, report.summary()
    assert report.created == tenant.counts()
    again = push(tenant, live_mock.root + "/tracker", headers)  # no ledger: keys dedupe
    assert again.ok and again.created == tenant.counts()
    total = 0
    for project in {r["projectId"] for r in tenant.collections["time_entries"]}:
        answer = httpx.get(
            f"{live_mock.root}/tracker/projects/{project}/time-entries", headers=headers
        )
        total += int(answer.headers["X-Total-Count"])
    assert total == tenant.counts()["time_entries"]
