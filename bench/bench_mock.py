"""Benchmark: the Understudy mock against Prism 5 (static and dynamic) on the EDM spec.

Measures, side by side in one run — the mock on connexion's FlaskApp (the default) and on
its AsyncApp (``--app async``), Prism static and Prism dynamic — requests/s and p50/p99
latency with wrk for GET by id,
list (50 per page) and POST create, at 8 and 64 connections, plus the cold start of the
mock with every surface and of Prism. Server and load generator are pinned to different
cores (taskset) so that each side gets one.

    .venv/bin/python bench/bench_mock.py [--duration 10] [--skip-prism]

Needs wrk (`apt-get install wrk`) and Node.js; Prism is installed into bench/.prism from the
npm registry on first use. Results: a table on stdout and JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from compare_prism import ensure_prism  # the one Prism installer (pinned, version-checked)

from understudy import specs
from understudy.mock import auth
from understudy.mock.auth import DEV_SECRET

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TENANT, SUB = "ten_bench", "per_01HXK3Z5Q8V2N7M4B6C9D1E3F5"
ENTRIES = "/api/v1/work/time-entries"
SERVER_CPU, LOAD_CPU = "0", "1"
START_TIMEOUT = 180  # seconds; Prism's dynamic mode is slow to start on a loaded machine


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--skip-prism", action="store_true", help="measure only the mock")
    parser.add_argument(
        "--only", action="append", default=[], help="measure only this server (repeatable)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    token = auth.mint(DEV_SECRET, {"tenant_id": TENANT, "sub": SUB})
    spec_file = _export_spec()
    servers = {
        "understudy": lambda port: _start_mock(port, "flask"),
        "understudy async": lambda port: _start_mock(port, "async"),
    }
    if not args.skip_prism:
        prism = ensure_prism()
        servers["prism static"] = lambda port: _start_prism(prism, spec_file, port, dynamic=False)
        servers["prism dynamic"] = lambda port: _start_prism(prism, spec_file, port, dynamic=True)

    if args.only:
        servers = {name: start for name, start in servers.items() if name in args.only}
    rows: list[dict[str, Any]] = []
    starts: dict[str, float] = {}
    for name, start in servers.items():
        port = _free_port()
        began = time.perf_counter()
        process, base = start(port)
        try:
            if not _wait_until_up(base, token):
                print(f"{name} did not answer within {START_TIMEOUT} s: skipped", file=sys.stderr)
                continue
            starts[name] = time.perf_counter() - began
            record_id = _prepare(base, token)
            for scenario, script in _scenarios(base, token, record_id).items():
                for connections in (8, 64):
                    result = _wrk(script, connections, args.duration)
                    rows.append(
                        {"server": name, "scenario": scenario, "connections": connections, **result}
                    )
                    print(_row(rows[-1]), flush=True)
        finally:
            process.terminate()
            process.wait(timeout=10)

    print()
    print(_table(rows, starts))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"mock-vs-prism-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(
        json.dumps({"rows": rows, "cold_start_s": starts, "duration_s": args.duration}, indent=2)
    )
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0


def _export_spec() -> Path:
    spec = specs.bundle(specs.mount("edm"))
    spec.pop("servers", None)
    path = Path(tempfile.mkdtemp()) / "edm.json"
    path.write_text(json.dumps(spec))
    return path


def _start_mock(port: int, app: str) -> tuple[subprocess.Popen[bytes], str]:
    command = [
        "taskset",
        "-c",
        SERVER_CPU,
        str(Path(sys.executable).parent / "understudy"),
        "serve",
        "--port",
        str(port),
        "--app",
        app,
    ]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ), f"http://127.0.0.1:{port}/edm"


def _start_prism(
    binary: Path, spec: Path, port: int, *, dynamic: bool
) -> tuple[subprocess.Popen[bytes], str]:
    command = ["taskset", "-c", SERVER_CPU, str(binary), "mock", "-p", str(port), str(spec)]
    if dynamic:
        command.insert(5, "-d")  # after "mock"
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ), f"http://127.0.0.1:{port}"


def _wait_until_up(base: str, token: str) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(base + ENTRIES, headers={"Authorization": f"Bearer {token}"}).status_code
                == 200
            ):
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    return False


def _create_body() -> dict[str, Any]:
    spec = specs.bundle(specs.mount("edm"))
    schema = spec["paths"][ENTRIES]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return specs.resolve(spec, schema)["example"]


def _prepare(base: str, token: str) -> str:
    """60 time entries, so a list of 50 is full; returns one id for GET by id."""
    headers = {"Authorization": f"Bearer {token}"}
    ids = [
        httpx.post(base + ENTRIES, json=_create_body(), headers=headers).json().get("id")
        for _ in range(60)
    ]
    return ids[-1] or "tme_01HXK3Z5Q8V2N7M4B6C9D1E3F6"


def _scenarios(base: str, token: str, record_id: str) -> dict[str, str]:
    folder = Path(tempfile.mkdtemp())
    auth_line = f'wrk.headers["Authorization"] = "Bearer {token}"\n'
    scripts = {
        "GET by id": (f"{ENTRIES}/{record_id}", auth_line),
        "list 50": (f"{ENTRIES}?page_size=50", auth_line),
        "POST create": (
            ENTRIES,
            auth_line + 'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(json.dumps(_create_body()))}\n",
        ),
    }
    out = {}
    for name, (path, lua) in scripts.items():
        script = folder / (re.sub(r"\W+", "-", name) + ".lua")
        script.write_text(lua)
        out[name] = f"{base}{path}\0{script}"
    return out


def _wrk(target: str, connections: int, duration: int) -> dict[str, Any]:
    url, script = target.split("\0")
    command = [
        "taskset",
        "-c",
        LOAD_CPU,
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        script,
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", output)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", output)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _ms(match: re.Match[str] | None) -> float | None:
    if not match:
        return None
    value, unit = re.match(r"([\d.]+)(\w+)", match.group(1)).groups()  # type: ignore[union-attr]
    return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit], 2)


def _row(row: dict[str, Any]) -> str:
    return (
        f"{row['server']:14} {row['scenario']:12} c={row['connections']:<3} "
        f"{row['rps']:9.1f} req/s  p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms  "
        f"non-2xx {row['non_2xx']}"
    )


def _table(rows: list[dict[str, Any]], starts: dict[str, float]) -> str:
    lines = [
        "| scenario | conns | " + " | ".join(f"{s} req/s (p50/p99 ms)" for s in starts) + " |",
        "|---|---|" + "---|" * len(starts),
    ]
    keys = sorted({(r["scenario"], r["connections"]) for r in rows}, key=lambda k: (k[0], k[1]))
    for scenario, connections in keys:
        cells = []
        for server in starts:
            row = next(
                r
                for r in rows
                if (r["server"], r["scenario"], r["connections"]) == (server, scenario, connections)
            )
            flag = f", {row['non_2xx']} non-2xx" if row["non_2xx"] else ""
            cells.append(f"{row['rps']:.0f} ({row['p50_ms']}/{row['p99_ms']}{flag})")
        lines.append(f"| {scenario} | {connections} | " + " | ".join(cells) + " |")
    lines.append("| cold start | | " + " | ".join(f"{starts[s]:.2f} s" for s in starts) + " |")
    return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
