"""What the mock remembers is bounded: idempotent answers expire after their documented
24 h (and are capped), deletions the audit remembers and webhook deliveries are capped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.mock.surfaces.clockify.kit import Kit
from understudy.mock import idempotency
from understudy.mock.app import Mock
from understudy.mock.config import Config
from understudy.mock.engine import IDEMPOTENCY, Clock
from understudy.mock.store import AuditedStore, MemoryStore
from understudy.mock.surfaces.clockify import webhooks

USER = "9a8b7c6d-0000-4000-8000-000000000002"


@pytest.fixture
def tracker() -> tuple[Mock, object]:
    mock = Mock(Config(surfaces=("tracker",), demo=False))
    client = mock.app.test_client(base_url="http://localhost")
    return mock, client


def _post(mock: Mock, client: object, key: str) -> int:
    from understudy.mock import auth

    token = auth.mint(mock.config.secret, {"tenant_id": str(uuid.UUID(int=1)), "sub": USER})
    answer = client.post(  # type: ignore[attr-defined]
        f"/tracker/projects/{uuid.UUID(int=2)}/time-entries",
        json={"userId": USER, "workDate": "2025-01-15", "minutes": 30},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )
    return int(answer.status_code)


def _cached(mock: Mock) -> list[object]:
    return list(mock.stores["tracker"].scan(IDEMPOTENCY, {}))


def test_idempotent_answers_are_forgotten_after_their_ttl(tracker: tuple[Mock, object]) -> None:
    mock, client = tracker
    assert _post(mock, client, "first") == 201
    assert _post(mock, client, "first") == 201 and len(_cached(mock)) == 1  # replayed
    engine = mock.mounted[0].engine
    later = datetime.now(UTC) + timedelta(hours=25)
    engine.clock = Clock(later)
    assert _post(mock, client, "second") == 201
    (kept,) = _cached(mock)  # the first key's answer is gone
    assert kept["expires_at"] > (later + timedelta(hours=23)).isoformat()


def test_idempotent_answers_are_capped(
    tracker: tuple[Mock, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    mock, client = tracker
    monkeypatch.setattr(idempotency, "MAX_IDEMPOTENCY", 5)
    for n in range(100):
        assert _post(mock, client, f"key-{n}") == 201
    assert len(_cached(mock)) == 5


def test_the_audit_forgets_the_oldest_deletions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AuditedStore, "MAX_DELETED", 3)
    store = AuditedStore(MemoryStore(), ["tags"], lambda: datetime.now(UTC))
    for n in range(10):
        store.put("tags", f"t{n}", {"id": f"t{n}", "name": "x"})
        store.delete("tags", f"t{n}")
    remembered = [e for e in store.audit("tags") if e.get("deletedAt")]
    assert sorted(e["recordId"] for e in remembered) == ["t7", "t8", "t9"]


def test_a_webhook_keeps_its_latest_deliveries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhooks, "MAX_LOGS", 5)
    kit = Kit()
    hook = {"id": "5b715448b0798751107918ab"}
    for n in range(20):
        webhooks._log(kit.engine, hook, f"delivery {n}", 200, "ok")
    logs = kit.records(webhooks.LOGS, webhookId=hook["id"])
    assert sorted(log["requestBody"] for log in logs) == [f"delivery {n}" for n in range(15, 20)]
