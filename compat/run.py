"""Run the real-client suite: ``python -m compat [--client NAME] [--api URL --reports URL
--key KEY]``.

Starts the mock (Clockify only, demo tenant) on an ephemeral loopback port unless a target is
given, builds or reuses each client's environment, runs its driver (``drivers/<client>.py``)
there and prints ``PASS``/``FAIL client step: reason`` per step and a total. Exit 1 on a
regression: a step that fails and is not a known failure of the real service (see
``clients.yaml``), a known failure that now passes (the list must stay true), or a driver
that crashed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from compat.envs import HERE, Env, Unavailable, cache_root

DRIVER_TIMEOUT = 300


@dataclass(frozen=True)
class Target:
    api: str  # regular API root, ending in /v1
    reports: str  # reports API root, ending in /v1
    key: str


@dataclass
class Step:
    client: str
    name: str
    ok: bool
    reason: str = ""
    known: str = ""  # why the real service fails it too, when it is a known failure

    @property
    def regression(self) -> bool:
        return self.ok == bool(self.known)  # an unknown failure, or a known one that passes

    def line(self) -> str:
        if self.ok and self.known:
            return f"PASS {self.client} {self.name}: listed as a known failure, remove it"
        if self.ok:
            return f"PASS {self.client} {self.name}"
        note = f" [known: {self.known}]" if self.known else ""
        return f"FAIL {self.client} {self.name}: {self.reason}{note}"


@dataclass
class Report:
    steps: list[Step] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # client -> why it could not run

    def per_client(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, tuple[int, int]] = {}
        for step in self.steps:
            passed, total = counts.get(step.client, (0, 0))
            counts[step.client] = (passed + step.ok, total + 1)
        return counts

    @property
    def regressions(self) -> list[Step]:
        return [s for s in self.steps if s.regression]

    def total_line(self) -> str:
        passed = sum(s.ok for s in self.steps)
        known = sum(not s.ok and bool(s.known) for s in self.steps)
        share = 100 * passed / len(self.steps) if self.steps else 0
        return (
            f"compat: {passed}/{len(self.steps)} steps passed ({share:.1f} %) over "
            f"{len(self.per_client())} clients; {known} known failures of the real service, "
            f"{len(self.regressions)} regressions, {len(self.skipped)} clients skipped"
        )


def load_registry() -> dict[str, Any]:
    return yaml.safe_load((HERE / "clients.yaml").read_text())


def environments(registry: dict[str, Any]) -> dict[str, Env]:
    return {
        name: Env(name, str(decl["python"]), HERE / decl["lock"])
        for name, decl in registry["envs"].items()
    }


def run_driver(python: Path, client: str, target: Target, tag: str) -> list[dict[str, Any]]:
    """The driver's step records; a crash or a timeout is one failed step ``driver``."""
    home = cache_root() / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))},
        "COMPAT_API": target.api,
        "COMPAT_REPORTS": target.reports,
        "COMPAT_KEY": target.key,
        "COMPAT_TAG": tag,
        "TZ": "UTC",
        "HOME": str(home),  # an empty home: no user config file of any client is read
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONWARNINGS": "ignore",
    }
    script = HERE / "drivers" / f"drive_{client.replace('-', '_')}.py"
    try:
        done = subprocess.run(
            [str(python), str(script)],
            capture_output=True,
            text=True,
            env=env,
            cwd=HERE / "drivers",
            timeout=DRIVER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [{"step": "driver", "ok": False, "reason": f"timed out after {DRIVER_TIMEOUT} s"}]
    records = []
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        records.append({"step": "driver", "ok": False, "reason": f"crashed: {tail}"})
    return records


def judge(
    client: str, records: list[dict[str, Any]], known: dict[str, dict[str, str]]
) -> list[Step]:
    listed = known.get(client, {})
    return [
        Step(client, r["step"], bool(r["ok"]), r.get("reason", ""), _why(listed.get(r["step"])))
        for r in records
    ]


def _why(entry: dict[str, str] | str | None) -> str:
    if entry is None:
        return ""
    return entry if isinstance(entry, str) else entry["reason"]


def run(target: Target, clients: list[str] | None = None, log: Any = print) -> Report:
    registry = load_registry()
    envs = environments(registry)
    chosen = clients or list(registry["clients"])
    unknown = sorted(set(chosen) - set(registry["clients"]))
    if unknown:
        raise SystemExit(f"compat: unknown client(s) {', '.join(unknown)}")
    needed = sorted({registry["clients"][c]["env"] for c in chosen})
    report = Report()
    pythons: dict[str, Path | str] = {}

    def build(name: str) -> None:
        try:
            pythons[name] = envs[name].ensure(lambda m: print(m, file=sys.stderr, flush=True))
        except Unavailable as exc:
            pythons[name] = f"environment {name}: {exc}"

    with ThreadPoolExecutor(max_workers=len(needed) or 1) as pool:  # installs wait on the net
        list(pool.map(build, needed))
    tag = time.strftime("%H%M%S")
    for client in chosen:
        python = pythons[registry["clients"][client]["env"]]
        if isinstance(python, str):
            report.skipped[client] = python
            log(f"SKIP {client}: {python}")
            continue
        steps = judge(client, run_driver(python, client, target, tag), registry["known_failures"])
        for step in steps:
            log(step.line())
        report.steps += steps
    for client, (passed, total) in report.per_client().items():
        log(f"  {client:16} {passed:3}/{total}")
    log(report.total_line())
    return report


@contextmanager
def live_mock() -> Iterator[Target]:
    """The mock with only the Clockify surface, its demo tenant, on an ephemeral port."""
    import socket
    import threading

    import uvicorn

    from understudy.mock import demo
    from understudy.mock.app import create_app
    from understudy.mock.config import Config

    logging.getLogger("connexion").setLevel(logging.ERROR)  # refusals are the clients' lines
    mock = create_app(Config(surfaces=("clockify",)))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    root = f"http://127.0.0.1:{sock.getsockname()[1]}"

    class Server(uvicorn.Server):
        def install_signal_handlers(self) -> None:  # in a thread
            pass

    server = Server(uvicorn.Config(mock.app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the mock did not start")
        time.sleep(0.05)
    try:
        clockify = demo.credentials(mock, root)["clockify"]
        urls = clockify["base_urls"]
        api, reports = sorted(urls.values(), key=lambda u: "reports" in u)
        yield Target(api + "/v1", reports + "/v1", clockify["api_key"])
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compat", description=__doc__)
    parser.add_argument("--client", action="append", help="run only this client (repeatable)")
    parser.add_argument("--api", help="a running service's regular API root, ending in /v1")
    parser.add_argument("--reports", help="its reports API root, ending in /v1")
    parser.add_argument("--key", help="its API key")
    args = parser.parse_args(argv)
    given = [args.api, args.reports, args.key]
    if any(given) and not all(given):
        parser.error("--api, --reports and --key go together")
    if all(given):
        report = run(Target(args.api, args.reports, args.key), args.client)
    else:
        with live_mock() as target:
            report = run(target, args.client)
    return 1 if report.regressions else 0
