"""The command line as a user meets it: every mistake is one line and exit 2, before
anything loads; ``serve`` binds its port before the banner and shows traffic."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from understudy import cli
from understudy.mock.options import SERVE, OptionError, config_for_serve, markdown_table

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [sys.executable, "-m", "understudy.cli"]


def understudy(
    *argv: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSTUDY_")}
    return subprocess.run(
        [*COMMAND, *argv],
        env={**environ, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


MISTAKES = {
    "size name": (["serve", "--size", "huge"], {}, "expected small, medium, large"),
    "size count": (["serve", "--size", "people=abc"], {}, "people=abc: expected a whole number"),
    "fixture": (["serve", "--fixture", "nope"], {}, "known: edm-demo"),
    "env port": (["serve"], {"UNDERSTUDY_PORT": "abc"}, "UNDERSTUDY_PORT='abc' is not a port"),
    "env flag": (["serve"], {"UNDERSTUDY_EMPTY": "maybe"}, "expected 1 or 0"),
    "env typo": (["serve"], {"UNDERSTUDY_SURFACES": "edm"}, "did you mean UNDERSTUDY_SURFACE?"),
    "port range": (["serve", "--port", "99999"], {}, "expected 0-65535"),
    "mount name": (["serve", "--surface", "clockify-api"], {}, "did you mean clockify?"),
    "root surface": (["serve", "--root-surface", "bogus"], {}, "known: edm, clockify, tracker"),
    "flag typo": (["serve", "--prot", "80"], {}, "did you mean --port?"),
    "app class": (["serve", "--app", "fask"], {}, "did you mean flask?"),
    "origin": (["serve", "--cors-origin", "example.com"], {}, "is not an origin"),
    "fixture of another surface": (
        ["serve", "--surface", "tracker", "--fixture", "edm-demo"],
        {},
        "not served",
    ),
    "command typo": (["sevre"], {}, "did you mean serve?"),
    "watch with workers": (
        ["serve", "--watch", "--workers", "2", "--store", "sqlite:///state.db"],
        {},
        "--watch reloads the specs of one process: it cannot reload --workers 2",
    ),
    "seed zero counts": (
        ["seed", "--size", "people=0,days=0", "--out", "t.json"],
        {},
        "at least 1",
    ),
    "seed missing folder": (
        ["seed", "--out", "/missing/dir/t.json"],
        {},
        "the folder /missing/dir does not exist",
    ),
    "verify junit folder": (
        ["verify", "--base-url", "http://127.0.0.1:9", "--junit", "/missing/v.xml"],
        {},
        "does not exist",
    ),
}


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    """Every mistake through the real CLI, four processes at a time (each is mostly Python
    starting up): mistake → (the folder it ran in, what it printed)."""
    folders = {name: tmp_path_factory.mktemp("mistake") for name in MISTAKES}
    with ThreadPoolExecutor(4) as pool:
        done = {
            name: pool.submit(understudy, *argv, env=env, cwd=folders[name])
            for name, (argv, env, _) in MISTAKES.items()
        }
        return {name: (folders[name], future.result()) for name, future in done.items()}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_mistake_is_one_line_and_exit_2(
    mistake: str, answers: dict[str, tuple[Path, Any]]
) -> None:
    folder, done = answers[mistake]
    says = MISTAKES[mistake][2]
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr and "loading" not in done.stderr
    assert not list(folder.iterdir())  # nothing written


def test_a_port_in_use_is_refused_before_the_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = understudy("serve", "--port", str(port))
    assert done.returncode == 2 and not done.stdout
    assert done.stderr.strip().splitlines() == [
        f"understudy serve: cannot listen on 127.0.0.1:{port}: Address already in use "
        "(another server is on it: pick another --port, or 0 for a free one)"
    ]


def test_port_0_serves_on_the_port_the_banner_names_and_logs_each_request() -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSTUDY_")}
    server = subprocess.Popen(
        [*COMMAND, "serve", "--port", "0", "--surface", "tracker"],
        env={**environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.startswith("Understudy ") and " serving on http://127.0.0.1:" in first
        base = first.split(" serving on ")[1].strip()
        assert not base.endswith(":0")
        assert httpx.get(base + "/__understudy/health", timeout=10).status_code == 200
        refused = httpx.get(base + "/tracker/projects/x/time-entries", timeout=10)
        assert refused.status_code == 401
        for line in server.stdout:  # the rest of the banner, then the access line
            if line.startswith("GET /tracker"):
                break
        method, path, status, ms, unit, dash, *detail = line.split()
        assert (method, path, status, unit, dash) == (
            "GET",
            "/tracker/projects/x/time-entries",
            "401",
            "ms",
            "-",
        )
        assert float(ms) > 0 and detail  # the error's own words
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_bare_command_and_dev_show_help() -> None:
    done = understudy()
    assert done.returncode == 0 and "serve" in done.stdout and "verify" in done.stdout
    dev = subprocess.run([str(ROOT / "dev")], capture_output=True, text=True, timeout=60)
    assert dev.returncode == 0 and dev.stdout.startswith("usage: understudy")


def test_dev_writes_relative_paths_where_the_user_stands(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "dev"), "seed", "--size", "people=1,days=1", "--out", "here.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "here.json").stat().st_size > 0
    assert not (ROOT / "here.json").exists()


def test_environment_names_are_the_option_names() -> None:
    config = config_for_serve(
        {"surface": None, "port": "0"},
        {"UNDERSTUDY_SURFACE": "edm", "UNDERSTUDY_EMPTY": "1", "UNDERSTUDY_QUIET": "true"},
    )
    assert config.surfaces == ("edm",) and config.demo is False and config.quiet is True
    assert config.port == 0  # the flag wins over the environment
    with pytest.raises(OptionError, match="--surface 'nope'"):
        config_for_serve({"surface": ["nope"]}, {})
    for option in SERVE:
        assert option.env == "UNDERSTUDY_" + option.flag[2:].upper().replace("-", "_")


def test_the_readme_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, (
        "regenerate it: from understudy.mock.options import markdown_table"
    )


def test_serve_help_lists_every_option_with_its_variable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for option in SERVE:
        assert option.flag in out and option.env in out


def test_prepare_fills_the_cache_that_the_next_start_reads(tmp_path: Path) -> None:
    cache_dir, db = tmp_path / "cache", tmp_path / "state.db"
    env = {"UNDERSTUDY_CACHE_DIR": str(cache_dir)}
    argv = ("serve", "--prepare", "--surface", "tracker", "--store", f"sqlite:///{db}")
    done = understudy(*argv, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"understudy: start-up cache ready in {cache_dir} (")
    entries = {path: path.stat().st_mtime_ns for path in cache_dir.rglob("*") if path.is_file()}
    assert entries and not db.exists()  # in memory: the configured store is left alone
    again = understudy(*argv, env=env)  # every entry found: nothing written twice
    assert again.returncode == 0, again.stderr
    assert {p: p.stat().st_mtime_ns for p in cache_dir.rglob("*") if p.is_file()} == entries
