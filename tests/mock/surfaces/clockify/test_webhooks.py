"""Clockify webhooks delivered over HTTP (mock/surfaces/clockify/webhooks.py, mock/outbound.py):
signed, filtered by trigger source, retried with back-off like a production sender, every
attempt logged, never aimed at the mock itself. The session mocks retry after 0.01 s."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.conftest import LiveMock

Answer = Callable[[int], tuple[int, bytes]]  # the n-th request (0-based) → status, body


class Receiver:
    """A webhook receiver on a loopback port that keeps what it is sent and answers as told."""

    def __init__(self, answer: Answer = lambda n: (200, b"ok")) -> None:
        received: list[tuple[dict[str, str], dict[str, Any]]] = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    received.append((dict(self.headers), json.loads(body)))
                    n = len(received) - 1
                status, reply = answer(n)
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(answer: Answer = lambda n: (200, b"ok")) -> Receiver:
        made.append(Receiver(answer))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


class Clockify:
    """The demo user's Clockify client on a live mock, and what a webhook test needs."""

    def __init__(self, live: LiveMock) -> None:
        self.live = live
        demo = live.admin("/credentials").json()["clockify"]
        self.ws, self.user = demo["workspaceId"], demo["userId"]
        self.api = httpx.Client(
            base_url=live.root + "/clockify/api/v1", headers={"X-Api-Key": demo["api_key"]}
        )
        self.made: list[str] = []  # webhooks to delete after the test (10 per user at most)

    def hook(self, event: str, url: str, kind: str = "WORKSPACE_ID", sources: Any = None) -> Any:
        body = {"name": event[:30], "url": url, "webhookEvent": event, "triggerSourceType": kind}
        body["triggerSource"] = [self.ws] if sources is None else sources
        created = self.api.post(f"/workspaces/{self.ws}/webhooks", json=body)
        assert created.status_code == 201, created.text
        self.made.append(created.json()["id"])
        return created.json()

    def close(self) -> None:
        self.live.mock.outbound.drain()
        for hook in self.made:
            self.api.delete(f"/workspaces/{self.ws}/webhooks/{hook}")
        self.api.close()

    def logs(self, hook: dict[str, Any], **body: Any) -> list[dict[str, Any]]:
        self.live.mock.outbound.drain()
        answer = self.api.post(f"/workspaces/{self.ws}/webhooks/{hook['id']}/logs", json=body)
        assert answer.status_code == 200, answer.text
        return list(answer.json())

    def project(self, name: str) -> dict[str, Any]:
        created = self.api.post(f"/workspaces/{self.ws}/projects", json={"name": name})
        assert created.status_code == 201, created.text
        return dict(created.json())


@pytest.fixture
def clockify(either_app: LiveMock) -> Iterator[Clockify]:
    client = Clockify(either_app)
    yield client
    client.close()


def test_webhooks_are_delivered_signed_filtered_and_logged(
    clockify: Clockify, receivers: Callable[..., Receiver]
) -> None:
    receiver, api, ws = receivers(), clockify.api, clockify.ws
    projects = clockify.hook("NEW_PROJECT", receiver.url)
    project = clockify.project("Hooked project")
    other = clockify.project("Unhooked project")
    clockify.hook("NEW_TIMER_STARTED", receiver.url, "PROJECT_ID", [project["id"]])
    deleted = clockify.hook("TIME_ENTRY_DELETED", receiver.url, "PROJECT_ID", [project["id"]])

    for target in (other, project):  # only the timer on the hooked project is sent
        timer = {"projectId": target["id"], "start": "2032-01-05T09:00:00Z"}
        assert api.post(f"/workspaces/{ws}/time-entries", json=timer).status_code == 201
    entry = api.patch(
        f"/workspaces/{ws}/user/{clockify.user}/time-entries", json={"end": "2032-01-05T10:00:00Z"}
    ).json()
    assert api.delete(f"/workspaces/{ws}/time-entries/{entry['id']}").status_code == 204

    clockify.live.mock.outbound.drain()
    events = [
        (h["Clockify-Webhook-Event-Type"], b.get("name") or b["id"]) for h, b in receiver.received
    ]
    assert sorted(events) == sorted(
        [
            ("NEW_PROJECT", "Hooked project"),
            ("NEW_PROJECT", "Unhooked project"),
            ("NEW_TIMER_STARTED", entry["id"]),
            ("TIME_ENTRY_DELETED", entry["id"]),
        ]
    )
    signed = {
        h["Clockify-Signature"] for h, b in receiver.received if b.get("name") == "Hooked project"
    }
    assert signed == {projects["authToken"]}
    gone = next(
        b for h, b in receiver.received if h["Clockify-Webhook-Event-Type"] == "TIME_ENTRY_DELETED"
    )
    assert gone["timeInterval"]["duration"] == "PT1H"  # the entry as it was
    assert [log["statusCode"] for log in clockify.logs(projects, status="SUCCEEDED")] == [200, 200]
    assert clockify.logs(deleted)[0]["responseBody"] == "ok"


def test_a_failing_receiver_gets_the_same_event_until_it_answers(
    clockify: Clockify, receivers: Callable[..., Receiver]
) -> None:
    flaky = receivers(lambda n: (503, b"busy") if n < 2 else (200, b"done"))
    hook = clockify.hook("NEW_PROJECT", flaky.url)
    clockify.project("Delivered on the third attempt")

    logs = clockify.logs(hook)
    assert [log["statusCode"] for log in logs] == [503, 503, 200]
    assert [log["responseBody"] for log in logs] == ["busy", "busy", "done"]
    assert logs[0]["respondedAt"] <= logs[1]["respondedAt"] <= logs[2]["respondedAt"]
    assert len({log["requestBody"] for log in logs}) == 1
    ids = {headers["Clockify-Webhook-Event-Id"] for headers, _ in flaky.received}
    assert len(flaky.received) == 3 and len(ids) == 1  # one event, retried: receivers de-duplicate
    assert [log["statusCode"] for log in clockify.logs(hook, status="FAILED")] == [503, 503]


def test_a_dead_receiver_is_tried_the_documented_number_of_times(clockify: Clockify) -> None:
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    hook = clockify.hook("NEW_PROJECT", dead)
    clockify.project("Nobody listens")
    logs = clockify.logs(hook)
    attempts = clockify.live.mock.config.webhook_attempts
    assert [log["statusCode"] for log in logs] == [0] * attempts == [0] * 5
    assert all("ConnectError" in log["responseBody"] for log in logs)


def test_a_slow_receiver_holds_up_neither_the_request_nor_other_deliveries(
    clockify: Clockify, receivers: Callable[..., Receiver]
) -> None:
    release = threading.Event()
    slow = receivers(lambda n: (200, b"late") if release.wait(30) else (500, b""))
    fast = receivers()
    clockify.hook("NEW_PROJECT", slow.url)
    clockify.hook("NEW_PROJECT", fast.url)
    try:
        clockify.project("One event, two receivers")  # answered while the slow one holds
        deadline = time.monotonic() + 30
        while not fast.received and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fast.received and not release.is_set()
    finally:
        release.set()
    clockify.live.mock.outbound.drain()
    assert slow.received


def test_a_receivers_reply_is_kept_only_in_part(
    clockify: Clockify, receivers: Callable[..., Receiver]
) -> None:
    chatty = receivers(lambda n: (200, b"x" * 1_000_000))
    hook = clockify.hook("NEW_PROJECT", chatty.url)
    clockify.project("Long answer")
    [log] = clockify.logs(hook)
    assert log["statusCode"] == 200 and len(log["responseBody"]) == 4096


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "0.0.0.0", "[::1]"])
def test_a_webhook_aimed_at_the_mock_itself_is_refused(clockify: Clockify, host: str) -> None:
    port = httpx.URL(clockify.live.root).port
    url = f"http://{host}:{port}/__understudy/reset?demo=false"
    body = {"url": url, "webhookEvent": "NEW_PROJECT", "triggerSourceType": "WORKSPACE_ID"}
    refused = clockify.api.post(
        f"/workspaces/{clockify.ws}/webhooks", json={**body, "triggerSource": [clockify.ws]}
    )
    assert refused.status_code == 400 and "the mock itself" in refused.json()["message"]
    hook = clockify.hook("NEW_PROJECT", "http://127.0.0.1:9/hook")
    moved = clockify.api.put(
        f"/workspaces/{clockify.ws}/webhooks/{hook['id']}",
        json={**body, "triggerSource": [clockify.ws]},
    )
    assert moved.status_code == 400


def test_a_stored_webhook_aimed_at_the_mock_is_never_called(clockify: Clockify) -> None:
    """One that came in through the admin API or a snapshot: refused when it would fire."""
    hook = clockify.hook("NEW_PROJECT", "http://127.0.0.1:9/hook")
    store = clockify.live.mock.stores["clockify"]
    self_url = f"{clockify.live.root}/__understudy/reset?demo=false"
    store.put("webhooks", hook["id"], {**hook, "url": self_url})
    before = clockify.live.admin("/health").json()
    clockify.project("Would have wiped everything")
    [log] = clockify.logs(hook)
    assert log["statusCode"] == 0 and "the mock itself" in log["responseBody"]
    after = clockify.live.admin("/health").json()
    assert after["records"]["edm"] == before["records"]["edm"]  # nothing was reset


def test_webhooks_go_only_to_allowed_receivers(clockify: Clockify) -> None:
    body = {
        "url": "http://203.0.113.7/hook",
        "webhookEvent": "NEW_PROJECT",
        "triggerSourceType": "WORKSPACE_ID",
        "triggerSource": [clockify.ws],
    }
    refused = clockify.api.post(f"/workspaces/{clockify.ws}/webhooks", json=body)
    assert refused.status_code == 400 and "--webhook-allow" in refused.json()["message"]


def test_pending_retries_never_delay_the_mocks_exit(tmp_path: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "understudy.cli",
        "serve",
        "--surface",
        "clockify",
        "--port",
        str(port),
        "--webhook-retry-delay",
        "600",
    ]
    server = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        root = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                demo = httpx.get(f"{root}/__understudy/credentials").json()["clockify"]
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and server.poll() is None, "no start"
                time.sleep(0.2)
        api = httpx.Client(
            base_url=f"{root}/clockify/api/v1", headers={"X-Api-Key": demo["api_key"]}
        )
        ws = demo["workspaceId"]
        hook = api.post(
            f"/workspaces/{ws}/webhooks",
            json={
                "url": "http://127.0.0.1:9/hook",
                "webhookEvent": "NEW_PROJECT",
                "triggerSourceType": "WORKSPACE_ID",
                "triggerSource": [ws],
            },
        ).json()
        assert (
            api.post(f"/workspaces/{ws}/projects", json={"name": "Retried later"}).status_code
            == 201
        )
        while not api.post(f"/workspaces/{ws}/webhooks/{hook['id']}/logs", json={}).json():
            assert time.monotonic() < deadline
            time.sleep(0.05)  # the first attempt failed: the next is minutes away
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) in (0, 130)  # it ended on the interrupt, promptly
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
