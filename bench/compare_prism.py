"""Benchmark: `understudy serve` against Prism 5 on the Clockify surface, side by side.

    .venv/bin/python bench/compare_prism.py [--duration 10] [--repeat 2]

One command: installs wrk (Debian's, with apt-get, when it is missing) and Prism
(@stoplight/prism-cli, pinned, into bench/.prism from npm), then, for each repetition, starts
each server pinned to core 0 with taskset, waits for its first answer (the start-up time),
loads it with wrk (one thread, pinned to core 1) on GET by id, list and POST at 8 and 64
connections, and reads its peak RSS. Prism runs `prism mock` (static examples, request
validation on); Understudy runs `understudy serve` with every surface and its small demo
tenant (stateful, request validation on). It prints each figure as a range over the
repetitions, then Understudy's ratio to Prism per repetition. The machine is shared: run the
peers in the same run and read the ranges, not single figures. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from understudy import specs

ROOT = Path(__file__).resolve().parent.parent
PRISM_DIR = ROOT / "bench" / ".prism"
PRISM_VERSION = "5.16.0"
RESULTS = ROOT / "bench" / "results"
SERVER_CPU, LOAD_CPU = "0", "1"
START_TIMEOUT = 120.0
OPS = ("GET by id", "list", "POST")
MOCK_PREFIX = "/clockify/api"


@dataclass
class Target:
    """Where a server answers, and what to send it."""

    base: str  # up to and excluding /v1
    headers: dict[str, str]
    workspace: str
    project: str
    user: str = ""

    def paths(self) -> dict[str, str]:
        ws = f"/v1/workspaces/{self.workspace}"
        return {
            "GET by id": f"{ws}/projects/{self.project}",
            "list": f"{ws}/projects",
            "POST": f"{ws}/time-entries",
        }


@dataclass
class Run:
    server: str
    ready_s: float | None = None
    ready_cpu_s: float | None = None  # CPU the server used until then: steadier on a busy machine
    peak_rss_mb: float | None = None
    results: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--repeat", type=int, default=2, help="repetitions of the whole set (2)")
    parser.add_argument(
        "--connections", default="8,64", help="comma-separated wrk connection counts (8,64)"
    )
    parser.add_argument(
        "--with",
        dest="extra",
        action="append",
        default=[],
        choices=["validate-responses", "flask", "medium"],
        help="also run understudy with --validate-responses, --app flask or --size medium",
    )
    args = parser.parse_args()
    connections = [int(c) for c in args.connections.split(",")]
    _ensure_wrk()
    prism = ensure_prism()
    spec_file = _export_spec()
    servers: dict[str, Callable[[int], subprocess.Popen[bytes]]] = {
        "prism": lambda port: _start(
            [str(prism), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec_file)]
        ),
        "understudy": lambda port: _start(_understudy(port)),
    }
    extras = {
        "validate-responses": ["--validate-responses"],
        "flask": ["--app", "flask"],
        "medium": ["--size", "medium"],
    }
    for name in args.extra:
        servers[f"understudy {name}"] = lambda port, more=extras[name]: _start(
            _understudy(port, *more)
        )

    runs: list[Run] = []
    # understudy's cache in a folder of this run: the first start finds it empty (a fresh
    # checkout), every later one finds what that start stored
    cache_dir = tempfile.mkdtemp(prefix="understudy-bench-cache-")
    os.environ["UNDERSTUDY_CACHE_DIR"] = cache_dir
    try:
        first = _measure_start("understudy", lambda port: _start(_understudy(port)))
        print(f"understudy, first start with an empty cache: ready in {first:.2f} s", flush=True)
        for name, start in servers.items():  # a variant with its own tenant (medium) fills it
            if name.startswith("understudy "):
                _measure_start(name, start)
        for repetition in range(1, args.repeat + 1):
            for name, start in servers.items():
                print(f"-- repetition {repetition}: {name}", flush=True)
                runs.append(_measure(name, start, connections, args.duration))
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    print()
    report = _report(runs, connections, first)
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"compare-prism-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "first_start_s": first,
                "duration_s": args.duration,
                "runs": [
                    {
                        "server": r.server,
                        "ready_s": r.ready_s,
                        "ready_cpu_s": r.ready_cpu_s,
                        "peak_rss_mb": r.peak_rss_mb,
                        "results": {f"{op} c={c}": v for (op, c), v in r.results.items()},
                    }
                    for r in runs
                ],
            },
            indent=2,
        )
    )
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0


# ---------------------------------------------------------------- tools
def _ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit("wrk is missing and cannot be installed here: apt-get install wrk")
    print("installing wrk from Debian (apt-get) …", file=sys.stderr, flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)


def ensure_prism() -> Path:
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    installed = PRISM_DIR / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    if binary.exists() and json.loads(installed.read_text()).get("version") == PRISM_VERSION:
        return binary
    if not shutil.which("npm"):
        sys.exit("npm is missing: Prism is installed from the npm registry (apt-get install npm)")
    print(f"installing @stoplight/prism-cli@{PRISM_VERSION} into {PRISM_DIR} …", file=sys.stderr)
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--save-exact",
            "--prefix",
            str(PRISM_DIR),
            f"@stoplight/prism-cli@{PRISM_VERSION}",
        ],
        check=True,
    )
    return binary


def _export_spec() -> Path:
    """The Clockify API mount as one document, for Prism."""
    spec = specs.bundle(specs.mount("clockify"))
    spec.pop("servers", None)
    path = Path(tempfile.mkdtemp(prefix="understudy-bench-")) / "clockify.json"
    path.write_text(json.dumps(spec))
    return path


def _understudy(port: int, *more: str) -> list[str]:
    """`./dev serve`, as the README starts it (it compiles changed sources first)."""
    return [str(ROOT / "dev"), "serve", "--port", str(port), "--log-level", "warning", *more]


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["taskset", "-c", SERVER_CPU, *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# ---------------------------------------------------------------- measuring
def _measure_start(name: str, start: Callable[[int], subprocess.Popen[bytes]]) -> float:
    port = _free_port()
    began = time.perf_counter()
    process = start(port)
    try:
        if not _wait_until_up(f"http://127.0.0.1:{port}", name, process):
            return float("nan")
        return time.perf_counter() - began
    finally:
        _stop(process)


def _measure(
    name: str, start: Callable[[int], subprocess.Popen[bytes]], connections: list[int], seconds: int
) -> Run:
    run = Run(name)
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    began = time.perf_counter()
    process = start(port)
    try:
        if not _wait_until_up(root, name, process):
            print(f"{name} did not answer within {START_TIMEOUT:.0f} s", file=sys.stderr)
            return run
        run.ready_s = time.perf_counter() - began
        run.ready_cpu_s = _cpu_s(process.pid)
        target = _target(root, name)
        scripts = _scripts(target)
        for op in OPS:
            for conns in connections:
                cpu_before = _cpu_s(process.pid) or 0.0
                result = _wrk(scripts[op], target.base + target.paths()[op], conns, seconds)
                cpu = (_cpu_s(process.pid) or 0.0) - cpu_before
                # requests per CPU-second of the server: what one whole core would give, and
                # far steadier than req/s when other work shares the machine
                result["per_cpu_s"] = round(result["requests"] / cpu) if cpu > 0 else None
                run.results[(op, conns)] = result
                print(
                    f"   {op:9} c={conns:<3} {result['rps']:8.0f} req/s  p50 {result['p50_ms']} ms"
                    f"  p99 {result['p99_ms']} ms  {result['per_cpu_s']} req/CPU-s"
                    f"  non-2xx {result['non_2xx']}",
                    flush=True,
                )
        run.peak_rss_mb = _peak_rss_mb(process.pid)
        print(
            f"   ready {run.ready_s:.2f} s (CPU {run.ready_cpu_s} s),"
            f" peak RSS {run.peak_rss_mb} MB",
            flush=True,
        )
    finally:
        _stop(process)
    return run


def _wait_until_up(root: str, name: str, process: subprocess.Popen[bytes]) -> bool:
    """Until the server answers a request (any status: Prism answers 401 without a key)."""
    probe = root + (MOCK_PREFIX if name.startswith("understudy") else "") + "/v1/user"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(probe, timeout=1)
            return True
        except httpx.TransportError:
            time.sleep(0.01)
    return False


def _target(root: str, name: str) -> Target:
    if not name.startswith("understudy"):  # Prism holds no data: any well-formed ids do
        return Target(
            root, {"X-Api-Key": "bench"}, "5e4117fe8c625f38930d57b7", "5e4117fe8c625f38930d57b8"
        )
    key = httpx.get(root + "/__understudy/credentials").json()["clockify"]["api_key"]
    headers = {"X-Api-Key": key}
    base = root + MOCK_PREFIX
    workspace = httpx.get(base + "/v1/workspaces", headers=headers).json()[0]["id"]
    projects = httpx.get(f"{base}/v1/workspaces/{workspace}/projects", headers=headers).json()
    return Target(base, headers, workspace, projects[0]["id"])


def _scripts(target: Target) -> dict[str, Path]:
    folder = Path(tempfile.mkdtemp(prefix="understudy-bench-"))
    lines = [f'wrk.headers["{k}"] = "{v}"' for k, v in target.headers.items()]
    body = {
        "start": "2026-01-05T08:00:00Z",
        "end": "2026-01-05T09:30:00Z",
        "description": "Benchmark entry",
        "projectId": target.project,
        "billable": True,
    }
    post = [
        *lines,
        'wrk.method = "POST"',
        'wrk.headers["Content-Type"] = "application/json"',
        f"wrk.body = {json.dumps(json.dumps(body))}",
    ]
    out = {}
    for op, script in (("GET by id", lines), ("list", lines), ("POST", post)):
        path = folder / f"{op.replace(' ', '-')}.lua"
        path.write_text("\n".join(script) + "\n")
        out[op] = path
    return out


def _wrk(script: Path, url: str, connections: int, seconds: int) -> dict[str, Any]:
    command = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    command += ["--latency", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return {
        "rps": float(_grab(r"Requests/sec:\s+([\d.]+)", output) or 0),
        "requests": int(_grab(r"(\d+) requests in", output) or 0),
        "p50_ms": _ms(_grab(r"50%\s+([\d.]+\w+)", output)),
        "p99_ms": _ms(_grab(r"99%\s+([\d.]+\w+)", output)),
        "non_2xx": int(_grab(r"Non-2xx or 3xx responses: (\d+)", output) or 0),
    }


def _grab(pattern: str, text: str) -> str | None:
    import re

    match = re.search(pattern, text)
    return match.group(1) if match else None


def _ms(value: str | None) -> float | None:
    import re

    if not value:
        return None
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return round(float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit], 2)


def _cpu_s(pid: int) -> float | None:
    """User + system CPU seconds the process has used (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float | None:
    """VmHWM of the server process (taskset execs the server, so the pid is the server's)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- reporting
def _span(values: list[float | None], fmt: str = "{:.0f}") -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "-"
    low, high = min(present), max(present)
    return (
        fmt.format(low)
        if fmt.format(low) == fmt.format(high)
        else f"{fmt.format(low)}-{fmt.format(high)}"
    )


def _report(runs: list[Run], connections: list[int], first_start: float) -> str:
    """One row per load, one column per server, then each server's ratio to Prism (taken
    within one repetition, so both figures saw the same machine)."""
    servers = list(dict.fromkeys(r.server for r in runs))
    group = {s: [r for r in runs if r.server == s] for s in servers}
    prism = group.get("prism", [])
    others = [s for s in servers if s != "prism"] if prism else []
    head = ["load", *(f"{s}: req/s (p99 ms) [req/CPU-s]" for s in servers)]
    head += [f"{s} / prism: req/s (p99) [req/CPU-s]" for s in others]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for op in OPS:
        for c in connections:
            cells = [f"{op} c={c}"]
            for server in servers:
                results = [r.results.get((op, c)) for r in group[server]]
                rps = _span([x["rps"] if x else None for x in results])
                p99 = _span([x["p99_ms"] if x else None for x in results], "{:.1f}")
                per_cpu = _span([x["per_cpu_s"] if x else None for x in results])
                bad = sum(x["non_2xx"] for x in results if x)
                cells.append(f"{rps} ({p99}) [{per_cpu}]" + (f" {bad} non-2xx" if bad else ""))
            for server in others:
                pairs = list(zip(group[server], prism, strict=False))
                ratios = [
                    _span(
                        [_ratio(_get(a, op, c, key), _get(b, op, c, key)) for a, b in pairs],
                        "{:.2f}x",
                    )
                    for key in ("rps", "p99_ms", "per_cpu_s")
                ]
                cells.append(f"{ratios[0]} ({ratios[1]}) [{ratios[2]}]")
            lines.append("| " + " | ".join(cells) + " |")
    ready = ["ready after start (CPU)"]
    rss = ["peak RSS MB"]
    for server in servers:
        ready.append(
            _span([r.ready_s for r in group[server]], "{:.2f} s")
            + f" ({_span([r.ready_cpu_s for r in group[server]], '{:.2f} s')})"
        )
        rss.append(_span([r.peak_rss_mb for r in group[server]]))
    for server in others:
        pairs = list(zip(group[server], prism, strict=False))
        ready.append(_span([_ratio(a.ready_s, b.ready_s) for a, b in pairs], "{:.2f}x"))
        rss.append(_span([_ratio(a.peak_rss_mb, b.peak_rss_mb) for a, b in pairs], "{:.2f}x"))
    lines += ["| " + " | ".join(ready) + " |", "| " + " | ".join(rss) + " |", ""]
    lines.append(f"understudy's first start, with an empty cache: ready in {first_start:.2f} s")
    return "\n".join(lines)


def _get(run: Run, op: str, connections: int, key: str) -> float | None:
    result = run.results.get((op, connections))
    return result.get(key) if result else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
