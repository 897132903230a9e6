"""Benchmark: what 300 distinct 600 kB bearer tokens do to the mock's memory (RSS).

The token cache once kept up to 4,096 whole tokens: 300 tokens of 600 kB took the process
from 107 to 452 MB, and it stayed there. Now the cache is bounded in bytes (and keeps no
token over 16 KiB), and headers are limited to 64 KiB in all. This runs the mock twice in a
subprocess — with the default header limit (the tokens are refused, 431) and with the limit
raised to 1 MiB (the tokens reach the token cache, which must not keep them) — and reports
the RSS before and after each burst.

    .venv/bin/python bench/bench_tokens.py [--tokens 300] [--size 600000]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from understudy.mock import auth

ROOT = Path(__file__).resolve().parent.parent


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(tokens: int, size: int, max_header: int | None) -> dict[str, float]:
    port = _port()
    env = dict(os.environ)
    if max_header:
        env["UNDERSTUDY_MAX_HEADER"] = str(max_header)
    cmd = [sys.executable, "-m", "understudy.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*cmd, "--surface", "edm", "--empty"], env=env, stdout=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        url = f"http://127.0.0.1:{port}/edm/api/v1/work/time-entries"
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(url, timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        before = _rss_mb(server.pid)
        statuses: dict[int, int] = {}
        with httpx.Client(timeout=60) as client:
            for n in range(tokens):
                claims = {"tenant_id": "ten_bench", "sub": f"per_{n}", "pad": "x" * size}
                token = auth.mint(auth.DEV_SECRET, claims)
                answer = client.get(url, headers={"Authorization": f"Bearer {token}"})
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        time.sleep(1)
        after = _rss_mb(server.pid)
        return {"before_mb": before, "after_mb": after, "grew_mb": after - before, **statuses}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--size", type=int, default=600_000, help="padding per token (bytes)")
    args = parser.parse_args()
    for label, limit in (("default header limit", None), ("header limit 1 MiB", 1 << 20)):
        found = run(args.tokens, args.size, limit)
        statuses = {k: v for k, v in found.items() if isinstance(k, int)}
        print(
            f"{label:22} RSS {found['before_mb']:.0f} -> {found['after_mb']:.0f} MB "
            f"(+{found['grew_mb']:.0f} MB) after {args.tokens} tokens of {args.size} B; "
            f"answers {statuses}"
        )


if __name__ == "__main__":
    main()
