"""Benchmark: generating demo tenants, and loading them into the mock.

For each size, in a fresh process pinned to one core (so that peak memory is the phase's
own): generation time, records per second and peak RSS; then the time and peak RSS to load
the tenant into the mock's in-memory store, and to serve it (a mock created on that size,
which generates and loads). Goal (issue 4): a large tenant (>= 100k records) generated in
<= 10 s on one core.

    .venv/bin/python bench/bench_fixtures.py [--sizes small,medium,large] [--repeat 3]

Results: a table on stdout and JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

# Runs in the child: one phase, then prints a JSON line with its figures.
CHILD = r"""
import json, resource, sys, time
phase, size = sys.argv[1], sys.argv[2]
import understudy.fixtures as fixtures
from understudy import specs
specs.bundle(specs.mount("edm"))  # specs parsed before the clock starts
base_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
tenant = fixtures.generate("edm", size=size, seed=42)
generated = time.perf_counter() - started
records = sum(tenant.counts().values())
out = {"records": records, "generate_s": generated}
if phase == "load":
    from understudy.mock.store import MemoryStore
    store = MemoryStore()
    started = time.perf_counter()
    store.load(tenant.collections)
    out["load_s"] = time.perf_counter() - started
out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["base_rss_mib"] = base_kib / 1024
print(json.dumps(out))
"""


def run_phase(phase: str, size: str, cpu: int | None) -> dict[str, Any]:
    command = [sys.executable, "-c", CHILD, phase, size]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def serve_phase(size: str, cpu: int | None) -> float:
    """Seconds to build a mock on this size (specs, generation, load, app)."""
    code = (
        "import time; t=time.perf_counter();"
        "from understudy.mock.app import create_app; from understudy.mock.config import Config;"
        f"create_app(Config(surfaces=('edm',), size={size!r}));"
        "print(time.perf_counter()-t)"
    )
    command = [sys.executable, "-c", code]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    args = parser.parse_args()
    cpu = 1 if (os.cpu_count() or 1) > 1 and _has_taskset() else None
    rows = []
    for size in args.sizes.split(","):
        print(f"{size}: generating, {args.repeat} runs …", file=sys.stderr, flush=True)
        gen = min(
            (run_phase("generate", size, cpu) for _ in range(args.repeat)),
            key=lambda r: r["generate_s"],
        )
        print(f"{size}: loading, {args.repeat} runs …", file=sys.stderr, flush=True)
        load = min(
            (run_phase("load", size, cpu) for _ in range(args.repeat)), key=lambda r: r["load_s"]
        )
        print(f"{size}: starting a mock on it …", file=sys.stderr, flush=True)
        serve = min(serve_phase(size, cpu) for _ in range(args.repeat))
        rows.append(
            {
                "size": size,
                "records": gen["records"],
                "generate_s": round(gen["generate_s"], 2),
                "records_per_s": round(gen["records"] / gen["generate_s"]),
                "generate_peak_rss_mib": round(gen["peak_rss_mib"]),
                "baseline_rss_mib": round(gen["base_rss_mib"]),
                "load_s": round(load["load_s"], 2),
                "load_peak_rss_mib": round(load["peak_rss_mib"]),
                "mock_start_s": round(serve, 2),
            }
        )
    header = (
        "size",
        "records",
        "generate_s",
        "records_per_s",
        "generate_peak_rss_mib",
        "load_s",
        "load_peak_rss_mib",
        "mock_start_s",
    )
    print(" ".join(f"{h:>14}" for h in header))
    for row in rows:
        print(" ".join(f"{row[h]!s:>14}" for h in header))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"fixtures-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"pinned_cpu": cpu, "rows": rows}, indent=1))
    print(f"results: {out}", file=sys.stderr)
    return 0


def _has_taskset() -> bool:
    from shutil import which

    return which("taskset") is not None


if __name__ == "__main__":
    sys.exit(main())
