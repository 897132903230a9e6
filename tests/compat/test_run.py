"""How the compat runner judges a client's steps against the known failures."""

from __future__ import annotations

from compat.run import Report, judge

KNOWN = {"lib": {"get user": {"reason": "no GET in the API", "evidence": "doc"}}}


def test_an_unlisted_failure_is_a_regression() -> None:
    steps = judge("lib", [{"step": "create", "ok": False, "reason": "400"}], KNOWN)
    assert [s.regression for s in steps] == [True]
    assert steps[0].line() == "FAIL lib create: 400"


def test_a_listed_failure_is_not_a_regression_and_says_why() -> None:
    (step,) = judge("lib", [{"step": "get user", "ok": False, "reason": "405"}], KNOWN)
    assert not step.regression
    assert step.line() == "FAIL lib get user: 405 [known: no GET in the API]"


def test_a_listed_failure_that_passes_is_stale() -> None:
    (step,) = judge("lib", [{"step": "get user", "ok": True}], KNOWN)
    assert step.regression
    assert "remove it" in step.line()


def test_the_total_counts_steps_known_failures_and_regressions() -> None:
    report = Report(
        judge(
            "lib",
            [
                {"step": "a", "ok": True},
                {"step": "get user", "ok": False, "reason": "405"},
                {"step": "b", "ok": False, "reason": "500"},
            ],
            KNOWN,
        )
    )
    assert report.per_client() == {"lib": (1, 3)}
    assert report.total_line().startswith(
        "compat: 1/3 steps passed (33.3 %) over 1 clients; 1 known"
    )
    assert "1 regressions" in report.total_line()


def test_every_known_failure_is_in_the_readme_with_its_evidence() -> None:
    from pathlib import Path

    from compat.run import load_registry

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for client, steps in load_registry()["known_failures"].items():
        for step, entry in steps.items():
            assert entry["reason"] and entry["evidence"], (client, step)
            assert step in readme, f"README does not list {client} {step}"
