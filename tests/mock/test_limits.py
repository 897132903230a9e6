"""Rate limits (mock/limits.py): the sliding window, the declaration, the option, and Clockify's
documented limit end to end — 50 requests per second per add-on token on one workspace."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import LiveMock
from understudy import binding, cli, specs
from understudy.mock import errors
from understudy.mock.app import create_app
from understudy.mock.config import Config
from understudy.mock.limits import Limiter, MemoryWindows, Windows, configured

ADDON = binding.RateLimit(50, 1.0, ("X-Addon-Token",), "workspaceId")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------- the window
def check_sliding_window(
    windows: Windows, clock: Clock, counted: Callable[[], int] | None = None
) -> None:
    """What every ``Windows`` holds to: at most ``limit`` requests in any window, a refused
    request not counted (``counted``: how many the implementation keeps, where it can say)."""
    waits = []
    for i in range(120):  # 120 requests spread over 0.99 s
        clock.now = 1000.0 + i * 0.99 / 119
        waits.append(windows.hit("k", 50, 1.0))
    assert waits[:50] == [0.0] * 50 and all(w > 0 for w in waits[50:])
    assert waits[50] == pytest.approx(1.0 - 50 * 0.99 / 119)  # until the first one leaves
    if counted is not None:
        assert counted() == 50  # a refused request is not counted
    assert windows.hit("other", 50, 1.0) == 0.0  # another key is unaffected
    clock.now = 1001.0  # the first request has left the window: one more, not 71
    assert windows.hit("k", 50, 1.0) == 0.0 and windows.hit("k", 50, 1.0) > 0
    clock.now = 1002.0
    assert [windows.hit("k", 50, 1.0) for _ in range(50)] == [0.0] * 50


def test_at_most_limit_requests_in_any_window_and_refusals_do_not_count() -> None:
    clock = Clock()
    check_sliding_window(MemoryWindows(clock=clock), clock)


def test_the_counters_forget_the_least_recently_used_keys() -> None:
    windows = MemoryWindows(max_keys=2, clock=Clock())
    for key in ("a", "b", "a", "c"):  # c pushes out b, the least recently used
        windows.hit(key, 1, 1.0)
    assert windows.hit("a", 1, 1.0) > 0 and windows.hit("c", 1, 1.0) > 0
    assert windows.hit("b", 1, 1.0) == 0.0


def test_the_limiter_counts_declared_credentials_per_workspace() -> None:
    limiter = Limiter(binding.RateLimit(2, 1.0, ("X-Addon-Token",), "workspaceId"), MemoryWindows())
    ws1, ws2 = {"workspaceId": "a" * 24}, {"workspaceId": "b" * 24}
    for _ in range(5):
        limiter.check("X-Api-Key", "key", ws1)  # not a limited credential
    limiter.check("x-addon-token", "tok", ws1)  # header names are case-insensitive
    limiter.check("X-Addon-Token", "tok", ws1)
    limiter.check("X-Addon-Token", "tok", ws2)
    limiter.check("X-Addon-Token", "tok", ws1, session="another")
    with pytest.raises(errors.TooManyRequests) as refused:
        limiter.check("X-Addon-Token", "tok", ws1)
    assert refused.value.detail == "Too many requests"
    assert refused.value.headers == {"Retry-After": "1"}


def test_the_option_turns_the_declaration_off_or_onto_every_credential() -> None:
    assert configured(ADDON, None) is ADDON
    assert configured(ADDON, "off") is None and configured(None, "5") is None
    five = configured(ADDON, "5")
    assert five and five.limit == 5 and five.per == "workspaceId"
    assert five.applies_to("X-Api-Key") and not ADDON.applies_to("X-Api-Key")


def test_clockify_declares_the_documented_limit() -> None:
    spec = specs.bundle(specs.mount("clockify"))
    assert binding.read_surface("clockify", spec).rate_limit == ADDON
    spec["x-understudy"]["surface"]["rate_limit"]["credentials"] = ["NoSuchScheme"]
    with pytest.raises(binding.BindingError, match="NoSuchScheme"):
        binding.read_surface("clockify", spec)


@pytest.mark.parametrize("value", ["0", "-3", "lots", "5/s"])
def test_a_bad_option_is_one_clear_line(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--surface", "clockify", "--rate-limit", value]) == 2
    err = capsys.readouterr().err  # checked with the other options, before anything loads
    assert err.startswith(f"understudy serve: --rate-limit '{value}'") and err.count("\n") == 1
    assert "'off' or a whole number" in err


# ---------------------------------------------------------------- end to end
@pytest.fixture
def frozen(either_app: LiveMock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """The running mock's rate-limit counters on a clock the test moves."""
    clock = Clock()
    monkeypatch.setattr(either_app.mock.limiters["clockify"], "windows", MemoryWindows(clock=clock))
    yield clock


def test_an_addon_token_gets_429_beyond_50_per_second_on_one_workspace(
    either_app: LiveMock, frozen: Clock
) -> None:
    demo = either_app.admin("/credentials").json()["clockify"]
    api = f"{either_app.root}/clockify/api/v1"
    token = {"X-Addon-Token": demo["api_key"]}
    mine = f"{api}/workspaces/{demo['workspaceId']}/tags"
    store = either_app.mock.stores["clockify"]
    # another member's token, served on the workspace before the burst
    other_member = next(
        k["id"]
        for k in store.scan("api_keys", {})
        if k["userId"] != demo["userId"]
        and httpx.get(mine, headers={"X-Addon-Token": k["id"]}).status_code == 200
    )
    workspaces = httpx.get(f"{api}/workspaces", headers={"X-Api-Key": demo["api_key"]}).json()
    other_ws = next(  # another workspace of the demo user, served before the burst
        w["id"]
        for w in workspaces
        if w["id"] != demo["workspaceId"]
        and httpx.get(f"{api}/workspaces/{w['id']}/tags", headers=token).status_code == 200
    )

    with httpx.Client(headers=token) as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client.get(mine), range(120)))
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 50 and statuses.count(429) == 70
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json() == {"message": "Too many requests", "code": 429}
    assert refused.headers["Retry-After"] == "1"

    # the same second: another workspace, another add-on's token, an API key, another
    # session are served
    assert httpx.get(f"{api}/workspaces/{other_ws}/tags", headers=token).status_code == 200
    assert httpx.get(mine, headers={"X-Addon-Token": other_member}).status_code == 200
    assert httpx.get(mine, headers={"X-Api-Key": demo["api_key"]}).status_code == 200
    session = {**token, "X-Understudy-Session": "limits-elsewhere"}  # a session counts apart
    assert httpx.get(mine, headers=session).status_code == 200
    assert httpx.get(mine, headers=token).status_code == 429
    frozen.now += int(refused.headers["Retry-After"])  # after the window: served again
    assert httpx.get(mine, headers=token).status_code == 200


def test_rate_limit_off_serves_every_request() -> None:
    mock = create_app(Config(surfaces=("clockify",), rate_limit="off"))
    client = mock.app.test_client(base_url="http://localhost")
    demo = client.get("/__understudy/credentials").json()["clockify"]
    path = f"/clockify/api/v1/workspaces/{demo['workspaceId']}/tags"
    headers = {"X-Addon-Token": demo["api_key"]}
    assert mock.limiters == {}
    assert {client.get(path, headers=headers).status_code for _ in range(60)} == {200}


def test_a_number_limits_api_keys_too_on_the_real_clock() -> None:
    mock = create_app(Config(surfaces=("clockify",), rate_limit="3"))
    client = mock.app.test_client(base_url="http://localhost")
    demo = client.get("/__understudy/credentials").json()["clockify"]
    path = f"/clockify/api/v1/workspaces/{demo['workspaceId']}/tags"
    headers = {"X-Api-Key": demo["api_key"]}
    statuses = [client.get(path, headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get(path, headers=headers)
    time.sleep(float(refused.headers["Retry-After"]))
    assert client.get(path, headers=headers).status_code == 200
    assert client.post("/__understudy/reset").status_code == 200  # a reset forgets the counts
    assert [client.get(path, headers=headers).status_code for _ in range(3)] == [200] * 3
