"""How a verification is reported: a console summary and JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from understudy.contracts.outcome import Outcome, Result


def summary(result: Result, *, verbose: bool = False) -> str:
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
        lines.append(f"{mark:4} {check:{width}}  {passed:6}  {failed:6}  {skipped:7}")
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
        if any("$UNDERSTUDY_AUTH_" in c for o in failures for c in o.curl):
            lines.append(
                "   (export UNDERSTUDY_AUTH_A / _B / _C: the values of the headers you passed "
                "for the first tenant, the other tenant and the other application)"
            )
    for error in result.errors:
        lines.append(f"error: {error}")
    verdict = "conforms" if result.ok else "does NOT conform"
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
