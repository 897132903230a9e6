"""clockify-sdk 0.2.2 (Fraqtory): a typed SDK with one manager per resource, a pooled
session with retries. Base URLs: the documented ``Config.BASE_URL`` / ``Config.REPORTS_URL``.

Not driven: ``start_timer``, ``stop_timer``, ``get_current_timer`` (paths under
``/time-entries/timer`` that the API does not have), ``users.get_by_id`` and
``set_active_workspace`` (likewise not in the API document)."""

from _steps import Steps, check, main, today_at
from clockify_sdk import Clockify
from clockify_sdk.config import Config


def drive(steps: Steps) -> None:
    Config.BASE_URL = steps.api
    Config.REPORTS_URL = steps.reports
    tag = steps.tag
    api = steps.run("connect (current user, first workspace)", lambda: Clockify(steps.key))
    if api is None:
        return
    check(api.workspace_id, "no workspace")
    steps.run("workspaces", lambda: check(api.get_workspaces(), "none"))
    steps.run("users", lambda: check(api.users.get_all(), "none"))

    def create_client() -> dict:
        client = api.clients.create(f"Acme Logistics {tag}", email=None, address=None)
        check(client["name"] == f"Acme Logistics {tag}", "name not kept")
        return client

    client = steps.run("create client", create_client) or {}
    cid = client.get("id", "")
    steps.run(
        "get client",
        lambda: check(api.clients.get_by_id(cid)["id"] == cid, "other"),
        "create client",
    )
    steps.run(
        "update client",
        lambda: check(
            api.clients.update(cid, f"Acme Logistics GmbH {tag}", note="Net 30")["note"]
            == "Net 30",
            "note not updated",
        ),
        "create client",
    )
    steps.run(
        "clients",
        lambda: check(cid in [c["id"] for c in api.clients.get_all()], "not listed"),
        "create client",
    )

    def create_project() -> dict:
        project = api.projects.create(f"Warehouse portal {tag}", client_id=cid, billable=True)
        check(project["clientId"] == cid and project["billable"], "fields not kept")
        return project

    project = steps.run("create project", create_project, "create client") or {}
    pid = project.get("id", "")
    steps.run(
        "get project",
        lambda: check(api.projects.get_by_id(pid)["id"] == pid, "other"),
        "create project",
    )
    steps.run(
        "update project",
        lambda: check(
            api.projects.update(pid, name=f"Warehouse portal v2 {tag}", color="#4CAF50")["color"]
            == "#4CAF50",
            "color not updated",
        ),
        "create project",
    )
    steps.run(
        "projects",
        lambda: check(pid in [p["id"] for p in api.projects.get_all()], "not listed"),
        "create project",
    )
    task = steps.run(
        "create task", lambda: api.tasks.create(pid, "Pick-list screen"), "create project"
    )
    tid = (task or {}).get("id", "")
    steps.run(
        "get task",
        lambda: check(api.tasks.get_by_id(pid, tid)["id"] == tid, "other"),
        "create task",
    )
    steps.run(
        "update task",
        lambda: check(
            api.tasks.update(pid, tid, name="Pick-list screen UI")["name"] == "Pick-list screen UI",
            "not updated",
        ),
        "create task",
    )
    steps.run(
        "tasks",
        lambda: check(tid in [t["id"] for t in api.projects.get_tasks(pid)], "not listed"),
        "create task",
    )

    def create_entry() -> dict:
        entry = api.time_entries.create(
            start=today_at(8, days_ago=1),
            end=today_at(9, 45, days_ago=1),
            project_id=pid,
            task_id=tid,
            description="Backlog grooming",
        )
        check(entry["timeInterval"]["duration"] == "PT1H45M", "duration not computed")
        return entry

    entry = steps.run("create time entry", create_entry, "create task") or {}
    eid = entry.get("id", "")
    steps.run(
        "get time entry",
        lambda: check(api.time_entries.get_by_id(eid)["id"] == eid, "other"),
        "create time entry",
    )
    steps.run(
        "update time entry",
        lambda: check(
            api.time_entries.update(
                eid,
                start=today_at(8, days_ago=1),
                end=today_at(9, 45, days_ago=1),
                project_id=pid,
                task_id=tid,
                description="Grooming",
            )["description"]
            == "Grooming",
            "not updated",
        ),
        "create time entry",
    )
    steps.run(
        "time entries of a user",
        lambda: check(
            eid
            in [
                e["id"]
                for e in api.time_entries.get_by_user_id(
                    api.user_id, start=today_at(0, days_ago=2), project_ids=[pid]
                )
            ],
            "not listed",
        ),
        "create time entry",
    )
    steps.run("in-progress entries", lambda: api.time_entries.get_all_in_progress())

    def summary() -> None:
        report = api.reports.get_summary(
            today_at(0, days_ago=7), today_at(23, 59), group_by=["PROJECT"]
        )
        check(any(g["_id"] == pid for g in report["groupOne"]), "the project is missing")

    steps.run("summary report", summary, "create time entry")

    def detailed() -> None:
        report = api.reports.get_detailed(today_at(0, days_ago=7), today_at(23, 59), [api.user_id])
        check(report["timeentries"], "no entries")

    steps.run("detailed report", detailed, "create time entry")
    steps.run("delete time entry", lambda: api.time_entries.delete(eid), "create time entry")
    steps.run("delete task", lambda: api.tasks.delete(pid, tid), "create task")
    steps.run("delete project", lambda: api.projects.delete(pid), "create project")
    steps.run("delete client", lambda: api.clients.delete(cid), "create client")


main(drive)
