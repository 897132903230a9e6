"""How a verification is reported: a console summary (coloured on a terminal), JUnit XML and
a JSON document for CI."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

from understudy.contracts.outcome import Outcome, Result
from understudy.contracts.progress import colour_wanted

__all__ = ["as_json", "colour_wanted", "junit", "summary", "write_json"]
_MARKS = {"FAIL": "31", "ok": "32", "--": "2"}  # red, green, dim


def summary(result: Result, *, verbose: bool = False, colour: bool = False) -> str:
    lines = [f"understudy verify {result.surface} at {result.base_url}", ""]
    by_check: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in result.outcomes:
        by_check[outcome.check].append(outcome)
    width = max((len(c) for c in by_check), default=10)
    lines.append(f"     {'check':{width}}  passed  failed  skipped")
    for check, outcomes in sorted(by_check.items()):
        passed = sum(o.passed and not o.skipped for o in outcomes)
        failed = sum(not o.passed and not o.skipped for o in outcomes)
        skipped = sum(o.skipped for o in outcomes)
        mark = "FAIL" if failed else ("ok" if passed else "--")
        shown = f"\033[{_MARKS[mark]}m{mark:4}\033[0m" if colour else f"{mark:4}"
        lines.append(f"{shown} {check:{width}}  {passed:6}  {failed:6}  {skipped:7}")
    if verbose:
        for outcome in result.outcomes:
            if outcome.skipped:
                lines.append(f"  skipped {outcome.check} on {outcome.operation}: {outcome.message}")
    failures = result.failures
    if failures:
        lines += ["", f"{len(failures)} failure(s):"]
        for number, outcome in enumerate(failures, 1):
            lines.append(f"{number}. [{outcome.check}] {outcome.operation}")
            lines.append(f"   {outcome.message}")
            if outcome.curl:
                lines.append("   reproduce:")
                lines += [f"     {command}" for command in outcome.curl]
        commands = " ".join(c for o in failures for c in o.curl)
        used = [e for e in result.exports if f"${_variable(e)}" in commands]
        if used:
            lines.append("   the commands read the credentials from the environment:")
            lines += [f"     {line}" for line in used]
    for error in result.errors:
        lines.append(f"error: {error}")
    verdict = "conforms" if result.ok else "does NOT conform"
    if colour:
        verdict = f"\033[{'32' if result.ok else '31'}m{verdict}\033[0m"
    lines += [
        "",
        f"{result.surface} {verdict}: {len(failures)} failure(s), "
        f"{result.cases} generated cases, {result.requests} requests in {result.seconds:.1f} s "
        f"({result.reached} answered by an operation, not 401/403/405)",
    ]
    return "\n".join(lines)


def junit(result: Result, path: Path) -> Path:
    """One test suite per check, one test case per (check, operation)."""
    root = ET.Element(
        "testsuites",
        name=f"understudy verify {result.surface}",
        tests=str(len(result.outcomes)),
        failures=str(len(result.failures)),
        time=f"{result.seconds:.3f}",
    )
    by_check: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in result.outcomes:
        by_check[outcome.check].append(outcome)
    for check, outcomes in sorted(by_check.items()):
        suite = ET.SubElement(
            root,
            "testsuite",
            name=check,
            tests=str(len(outcomes)),
            failures=str(sum(not o.passed and not o.skipped for o in outcomes)),
            skipped=str(sum(o.skipped for o in outcomes)),
        )
        for outcome in outcomes:
            case = ET.SubElement(suite, "testcase", classname=check, name=outcome.operation)
            if outcome.skipped:
                ET.SubElement(case, "skipped", message=outcome.message)
            elif not outcome.passed:
                failure = ET.SubElement(case, "failure", message=outcome.message)
                failure.text = "\n".join(outcome.curl)
    if result.errors:
        suite = ET.SubElement(root, "testsuite", name="run", tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", classname="run", name="errors")
        ET.SubElement(case, "error", message=result.errors[0]).text = "\n".join(result.errors)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _variable(export: str) -> str:
    """``export UNDERSTUDY_AUTH_A='…'`` → ``UNDERSTUDY_AUTH_A``."""
    return export.removeprefix("export ").split("=", 1)[0]


def as_json(result: Result) -> dict[str, Any]:
    """The whole result: per check the counts, every outcome, the errors."""
    checks: dict[str, dict[str, int]] = defaultdict(
        lambda: {"passed": 0, "failed": 0, "skipped": 0}
    )
    for outcome in result.outcomes:
        state = "skipped" if outcome.skipped else ("passed" if outcome.passed else "failed")
        checks[outcome.check][state] += 1
    return {
        "format": "understudy-verify/1",
        "surface": result.surface,
        "base_url": result.base_url,
        "ok": result.ok,
        "seconds": round(result.seconds, 3),
        "cases": result.cases,
        "requests": result.requests,
        "checks": dict(sorted(checks.items())),
        "failures": [dataclasses.asdict(o) for o in result.failures],
        "outcomes": [dataclasses.asdict(o) for o in result.outcomes],
        "errors": result.errors,
        "credentials": result.exports,
    }


def write_json(result: Result, path: Path) -> Path:
    path.write_text(json.dumps(as_json(result), indent=1), encoding="utf-8")
    return path
