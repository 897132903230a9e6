"""The Dockerfile and the compose example, checked without a Docker engine (none runs on
this machine or in CI): the Dockerfile's structure, that what it copies exists and that its
command is one the CLI accepts; the compose file's services and commands through the real
argument parser and option table; the README's GitHub Actions example the same way."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from understudy import cli
from understudy.mock import admin
from understudy.mock.options import config_for_serve, known_variables

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
    "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n\s*", " ", text)
    steps = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            steps.append((instruction.upper(), rest.strip()))
    return steps


def accepted(argv: list[str]) -> Any:
    """The namespace the real parser makes of ``argv`` (SystemExit on a mistake)."""
    parser = cli.build_parser()
    args, extra = parser.parse_known_args(argv)
    assert not extra, extra
    if args.command == "serve":
        config_for_serve(vars(args), {})
    return args


def test_the_dockerfile_is_well_formed_and_runs_a_real_command() -> None:
    steps = dockerfile()
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.1[1-3]-slim", steps[0][1])
    assert all(instruction in INSTRUCTIONS for instruction, _ in steps), steps
    for instruction, rest in steps:
        if instruction == "COPY":
            *sources, _target = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), source
    package_dirs = {"understudy", "mock", "fixtures", "contracts", "openapi"}
    copied = {rest.split()[0] for instruction, rest in steps if instruction == "COPY"}
    assert package_dirs <= copied and "requirements.lock" in copied
    last = {instruction: rest for instruction, rest in steps}
    assert json.loads(last["ENTRYPOINT"]) == ["understudy"]  # pyproject's console script
    command = json.loads(last["CMD"])
    args = accepted(command)
    assert args.host == "0.0.0.0" and last["EXPOSE"] == args.port
    assert last["USER"] != "root"
    runs = [rest for instruction, rest in steps if instruction == "RUN"]
    prepare = shlex.split(runs[-1])  # as the user who serves: the cache is in its home
    assert prepare[:1] == ["understudy"] and accepted(prepare[1:]).prepare
    assert steps.index(("RUN", runs[-1])) > steps.index(("USER", last["USER"]))
    health = json.loads(last["HEALTHCHECK"].split("CMD", 1)[1])
    assert f"{args.port}/__understudy/health" in health[-1] and "GET /__understudy/health" in (
        admin.ROUTES
    )


def test_the_compose_example_runs_the_mock_and_a_verify_job(tmp_path: Path) -> None:
    compose = yaml.safe_load((ROOT / "examples" / "compose.yaml").read_text(encoding="utf-8"))
    mock, verify = compose["services"]["mock"], compose["services"]["verify"]
    assert (ROOT / "examples" / mock["build"] / "Dockerfile").exists()
    serve = accepted(mock["command"])
    assert serve.command == "serve" and serve.host == "0.0.0.0"
    assert f"{serve.port}:{serve.port}" in mock["ports"]
    assert set(mock["environment"]) <= set(known_variables())
    config_for_serve(vars(serve), {k: str(v) for k, v in mock["environment"].items()})
    assert verify["image"] == mock["image"]
    assert verify["depends_on"]["mock"]["condition"] == "service_healthy"
    assert verify["entrypoint"] == ["sh", "-c"]
    script = verify["command"][0].replace("$$", "$")  # compose's escape for a literal $
    volume, mounted = verify["volumes"][0].split(":")
    assert volume == "./reports"
    script = script.replace(mounted + "/", f"{tmp_path}/")  # the volume, as the job sees it
    argv = _without_substitutions(shlex.split(script))
    assert argv[0] == "understudy"
    args = accepted(argv[1:])
    assert args.command == "verify" and f"http://mock:{serve.port}/edm" in args.base_url
    assert args.junit and args.report


def test_the_readme_ci_example_is_valid_yaml_with_real_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### In CI (GitHub Actions)", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "the README has a GitHub Actions example"
    workflow = yaml.safe_load(block.group(1))
    runs = [
        step["run"]
        for job in workflow["jobs"].values()
        for step in job["steps"]
        if "understudy/dev" in step.get("run", "")
    ]
    commands = {line.split()[1] for run in runs for line in run.splitlines() if "dev " in line}
    assert {"serve", "verify"} <= commands
    for run in runs:
        for line in run.replace("\\\n", " ").splitlines():
            if "understudy/dev " in line:
                command = re.split(r"\s[>&|]", line.split("understudy/dev", 1)[1])[0]
                accepted(_without_substitutions(shlex.split(command)))


def _without_substitutions(argv: list[str]) -> list[str]:
    """Shell and workflow substitutions (``$(...)``, ``${{ ... }}``) as placeholders."""
    return [re.sub(r"\$\{\{[^}]*\}\}|\$\([^)]*\)|\$\{[^}]*\}", "x", a) for a in argv]
