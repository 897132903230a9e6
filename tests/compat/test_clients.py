"""The real-client suite in the test run: every third-party client in compat/clients.yaml
against a live mock. Fails on any regression (a step failing that is not a known failure of
the real service, a known failure that passes, a crashed driver) and when fewer than six
clients could run. The first run builds the clients' environments (about two minutes, then
cached); a run prints the same lines as ``python -m compat``."""

from __future__ import annotations

from compat.run import live_mock, run

MIN_CLIENTS = 6
MIN_SHARE = 0.95


def test_real_clients_work_unmodified() -> None:
    lines: list[str] = []
    with live_mock() as target:
        report = run(target, log=lines.append)
    print("\n".join(lines))
    ran = report.per_client()
    assert len(ran) >= MIN_CLIENTS, f"only {sorted(ran)} ran; skipped: {report.skipped}"
    passed = sum(s.ok for s in report.steps)
    assert passed >= MIN_SHARE * len(report.steps), report.total_line()
    assert not report.regressions, "\n".join(s.line() for s in report.regressions)
