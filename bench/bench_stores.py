"""Benchmark: the mock's throughput on each store (memory, sqlite, postgresql) with 1 and 2
worker processes (memory: 1 only — several processes cannot share it).

For each configuration: ``understudy serve --store URL --workers N`` on the EDM surface, then
wrk at 64 connections for POST create and GET by id of a time entry. PostgreSQL is a
throwaway cluster from ``scripts/postgres.sh``; SQLite a file in a temporary folder.

    .venv/bin/python bench/bench_stores.py [--duration 10] [--app flask|async]

Needs wrk (``apt-get install wrk``). Results: a table on stdout and JSON under bench/results/.
Nothing is pinned to a core (two workers need both), so wrk competes with the servers: read
the ratios between stores, not the absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from understudy import specs
from understudy.mock import auth
from understudy.mock.auth import DEV_SECRET

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ENTRIES = "/edm/api/v1/work/time-entries"
TOKEN = auth.mint(DEV_SECRET, {"tenant_id": "ten_bench", "sub": "per_01HXK3Z5Q8V2N7M4B6C9D1E3F5"})


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--app", default="flask", help="connexion app class (default flask)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    scratch = Path(tempfile.mkdtemp(prefix="understudy-bench-"))
    postgres = _start_postgres()
    rows: list[dict[str, Any]] = []
    try:
        stores = {
            "memory": lambda: "memory",
            "sqlite": lambda: f"sqlite:///{scratch / f'{time.monotonic_ns()}.db'}",
            "postgresql": lambda: _database(postgres[0]),
        }
        for store, url in stores.items():
            for workers in (1,) if store == "memory" else (1, 2):
                rows += _measure(store, url(), workers, args)
    finally:
        subprocess.run(["sh", "scripts/postgres.sh", "stop", postgres[1]], check=False)
        shutil.rmtree(scratch, ignore_errors=True)
    print()
    print("| store | workers | POST create req/s | GET by id req/s |")
    print("|---|---|---|---|")
    for store, workers in dict.fromkeys((r["store"], r["workers"]) for r in rows):
        cells = {r["scenario"]: r for r in rows if (r["store"], r["workers"]) == (store, workers)}
        print(f"| {store} | {workers} | " + " | ".join(_cell(cells[s]) for s in SCENARIOS) + " |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"stores-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"rows": rows, "duration_s": args.duration, "app": args.app}))
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0


SCENARIOS = ("POST create", "GET by id")


def _measure(store: str, url: str, workers: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    port = _free_port()
    command = [str(Path(sys.executable).parent / "understudy"), "serve", "--port", str(port)]
    command += ["--surface", "edm", "--store", url, "--workers", str(workers), "--app", args.app]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        record_id = _prepare(base)
        scripts = _scripts(record_id)
        rows = []
        for scenario in SCENARIOS:
            result = _wrk(base, scripts[scenario], args.duration)
            rows.append({"store": store, "workers": workers, "scenario": scenario, **result})
            print(f"{store:10} workers={workers} {scenario:12} {_cell(rows[-1])}", flush=True)
        return rows
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _prepare(base: str) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            answer = httpx.post(base + ENTRIES, json=_body(), headers=headers, timeout=30)
            if answer.status_code == 201:
                return str(answer.json()["id"])
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the mock on {base} did not start")


def _body() -> dict[str, Any]:
    spec = specs.bundle(specs.mount("edm"))
    path = ENTRIES.removeprefix("/edm")
    schema = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return dict(specs.resolve(spec, schema)["example"])


def _scripts(record_id: str) -> dict[str, tuple[str, Path]]:
    folder = Path(tempfile.mkdtemp(prefix="understudy-wrk-"))
    auth_line = f'wrk.headers["Authorization"] = "Bearer {TOKEN}"\n'
    post = folder / "post.lua"
    post.write_text(
        auth_line + 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(json.dumps(_body()))}\n"
    )
    get = folder / "get.lua"
    get.write_text(auth_line)
    return {"POST create": (ENTRIES, post), "GET by id": (f"{ENTRIES}/{record_id}", get)}


def _wrk(base: str, target: tuple[str, Path], duration: int) -> dict[str, Any]:
    path, script = target
    command = ["wrk", "-t1", "-c64", f"-d{duration}s", "-s", str(script), base + path]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "non_2xx": int(errors.group(1) if errors else 0),
    }


def _cell(row: dict[str, Any]) -> str:
    return f"{row['rps']:.0f}" + (f" ({row['non_2xx']} non-2xx)" if row["non_2xx"] else "")


def _start_postgres() -> tuple[str, str]:
    started = subprocess.run(
        ["sh", "scripts/postgres.sh", "start", str(_free_port())],
        capture_output=True,
        text=True,
        check=True,
    )
    url, folder = started.stdout.split()
    return url, folder


def _database(server: str) -> str:
    import psycopg

    name = f"bench_{time.monotonic_ns()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
