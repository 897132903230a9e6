"""``understudy verify`` as CI runs it: a preflight that stops a wrong base URL or refused
credentials in one line, plain progress lines when piped, a JSON report beside JUnit,
reproduction commands that read the credentials from the environment."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import BOB, TENANT_B, LiveMock, running
from understudy.cli import main
from understudy.contracts import credentials
from understudy.contracts.progress import Progress
from understudy.mock.app import create_app
from understudy.mock.config import Config

from .test_verify import _engine, list_deleted


def verify(*argv: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return subprocess.run(
        [sys.executable, "-m", "understudy.cli", "verify", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=environ,
    )


def test_piped_progress_is_plain_lines_with_a_total(live_mock: LiveMock, tmp_path: Path) -> None:
    report, junit = tmp_path / "verify.json", tmp_path / "verify.xml"
    done = verify(
        "--base-url", live_mock.url, "--token", live_mock.token(),
        "--operation", "listTimeEntries", "--check", "not_a_server_error",
        "--phase", "examples", "--max-examples", "2", "--seed", "1",
        "--report", str(report), "--junit", str(junit),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "\x1b[" not in done.stdout + done.stderr
    progress = done.stderr.splitlines()
    assert progress and all(line.startswith("[") for line in progress)
    assert progress[-1].startswith("[1/1]")
    assert "links" not in done.stdout + done.stderr  # one operation: no stateful noise
    data = json.loads(report.read_text())
    assert data["ok"] is True and data["checks"] == {
        "not_a_server_error": {"passed": 1, "failed": 0, "skipped": 0}
    }
    suites = [s.get("name") for s in ET.parse(junit).getroot()]
    assert suites == list(data["checks"])


@pytest.mark.parametrize(
    "path,token,says",
    [
        ("", "good", "does not serve the edm API: GET "),  # the /edm prefix forgotten
        ("/edm", "not-a-token", "the credentials were refused: GET "),
        ("/edm", "", "credentials are needed (--token or --header)"),
    ],
    ids=["wrong base URL", "refused token", "no token"],
)
def test_preflight_stops_in_one_line(live_mock: LiveMock, path: str, token: str, says: str) -> None:
    argv = ["--base-url", live_mock.root + path]
    if token:
        argv += ["--token", live_mock.token() if token == "good" else token]
    done = verify(*argv)
    assert done.returncode == 2 and not done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_list_checks_needs_no_base_url_and_describes_every_check() -> None:
    done = verify("--list-checks")
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert len(lines) >= 15
    for line in lines:
        kind, _name, description = line.split(maxsplit=2)
        assert kind in ("schema", "semantic", "hostile") and len(description) > 10, line


def test_reproduction_commands_read_credentials_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mock = create_app(Config(surfaces=("edm",), demo=False))
    list_deleted(_engine(mock))
    with running(mock) as live:
        token = live.token()
        code = main(
            [
                "verify", "--base-url", live.url, "--token", token,
                "--other-token", live.token(BOB, TENANT_B), "--header", "Prefer: latency=0",
                "--operation", "createComment", "--check", "soft_delete", "--quiet",
            ]
        )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert token not in out and "[Filtered]" not in out
    assert '-H "Authorization: $UNDERSTUDY_AUTH_A"' in out
    assert "-H 'Prefer: latency=0'" in out  # not a credential: shown as it is
    assert "export UNDERSTUDY_AUTH_A='<the Authorization header" in out


def test_a_schemathesis_curl_gets_the_same_variables() -> None:
    headers = {"Authorization": "Bearer s3cr3t", "Prefer": "code=200"}
    command = (
        "curl -X GET -H 'Authorization: Bearer s3cr3t' -H 'Prefer: code=200' "
        "'http://h/x?token=Bearer s3cr3t'"
    )
    scrubbed = credentials.scrub(command, {"A": headers})
    assert "s3cr3t" not in scrubbed
    assert scrubbed.startswith('curl -X GET -H "Authorization: $UNDERSTUDY_AUTH_A" -H')
    both = {"X-Figma-Token": "t0k", "Authorization": "Bearer t0k"}  # one value inside another
    command = "curl -H 'X-Figma-Token: t0k' -H 'Authorization: Bearer t0k' http://h/x"
    assert credentials.scrub(command, {"A": both}) == (
        'curl -H "X-Figma-Token: $UNDERSTUDY_AUTH_A" -H "Authorization: $UNDERSTUDY_AUTH_A_2" '
        "http://h/x"
    )
    assert credentials.header_args({"X-Api-Key": "k", "X-Other-Key": "j"}, "B") == [
        "-H", '"X-Api-Key: $UNDERSTUDY_AUTH_B"', "-H", '"X-Other-Key: $UNDERSTUDY_AUTH_B_2"',
    ]  # fmt: skip


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_rewrites_one_line_on_a_terminal_with_an_eta() -> None:
    terminal, piped = _Terminal(), io.StringIO()
    for stream in (terminal, piped):
        progress = Progress(stream)
        progress.expect(3)
        for label in ("a", "b", "c"):
            progress(label)
        progress.finish()
    assert terminal.getvalue().count("\r") == 3 and "left" in terminal.getvalue()
    assert piped.getvalue().splitlines()[0].startswith("[1/3]") and "\r" not in piped.getvalue()
