"""The mock's outgoing HTTP (mock/outbound.py): where it may send, and the retry schedule."""

from __future__ import annotations

import socket
import threading

import pytest

from understudy.mock.outbound import Allow, Attempt, Delivery, Outbound, Schedule

PORT = 48123  # where the mock under test "listens"


@pytest.fixture
def outbound() -> Outbound:
    out = Outbound()
    out.listening(("127.0.0.1", PORT))
    return out


def test_the_schedule_doubles_with_jitter_and_a_cap() -> None:
    schedule = Schedule(attempts=5, base=2.0, cap=10.0)
    assert [schedule.delay(n, rng=lambda: 0.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert schedule.delay(2, rng=lambda: 0.999) == pytest.approx(4.0, rel=0.01)


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:{PORT}/__understudy/reset?demo=false",
        f"http://localhost:{PORT}/__understudy/reset",
        f"http://LOCALHOST.:{PORT}/clockify/api/v1/user",
        f"http://0.0.0.0:{PORT}/",
        f"http://[::1]:{PORT}/",
        f"http://[::ffff:127.0.0.1]:{PORT}/",
        f"http://127.0.0.2:{PORT}/",
    ],
)
def test_never_the_mock_itself_whatever_its_address_is_called(outbound: Outbound, url: str) -> None:
    assert f":{PORT} is the mock itself" in (outbound.refusal(url) or "")


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://203.0.113.5/hook", "is not an allowed receiver"),
        ("http://hooks.example.com/hook", "is not an allowed receiver"),
        (f"http://2130706433:{PORT}/", "is not an allowed receiver"),  # 127.0.0.1, spelt oddly
        ("ftp://127.0.0.1/hook", "only http and https"),
        ("http://127.0.0.1:99999/hook", "not a URL"),
    ],
)
def test_only_allowed_receivers(outbound: Outbound, url: str, reason: str) -> None:
    assert reason in (outbound.refusal(url) or "")


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://localhost:3000/hook"])
def test_loopback_receivers_are_allowed_by_default(outbound: Outbound, url: str) -> None:
    assert outbound.refusal(url) is None


def test_the_allow_list_takes_names_domains_networks_and_anything() -> None:
    allow = Allow(["hooks.test", "*.corp.test", "10.0.0.0/8", "[fd00::1]"])
    assert allow.admits("hooks.test") and allow.admits("a.b.corp.test")
    assert allow.admits("10.1.2.3") and allow.admits("fd00::1")
    assert not allow.admits("corp.test.evil") and not allow.admits("11.0.0.1")
    anywhere = Outbound(allow=["*"])
    anywhere.listening(("127.0.0.1", PORT))
    assert anywhere.refusal("http://203.0.113.5/hook") is None
    assert "the mock itself" in (anywhere.refusal(f"http://127.1:{PORT}/") or "")


def test_closing_drops_the_deliveries_waiting_for_a_retry() -> None:
    with socket.socket() as probe:  # nobody listens there: every attempt fails
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    outbound = Outbound(schedule=Schedule(attempts=5, base=600.0))
    attempts: list[Attempt] = []
    first = threading.Event()

    def record(attempt: Attempt) -> None:
        attempts.append(attempt)
        first.set()

    assert outbound.send(Delivery(dead, b"{}", {}, record))
    assert first.wait(10) and not outbound.drain(timeout=0.05)  # the retry is minutes away
    outbound.close()
    assert outbound.drain(timeout=10) and [a.status for a in attempts] == [0]
