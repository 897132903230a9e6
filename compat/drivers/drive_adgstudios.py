"""clockify-api-client-adgstudios 1.0.7 (Michael Bláha, Ashlin Darius Govindasamy): one
service object per resource over plain requests. It builds ``https://global.<api_url>`` and
``https://reports.<api_url>`` into each service's ``base_url`` attribute; the driver sets
that attribute to the mock."""

from _steps import Steps, check, main, today_at
from clockify_api_client_adgstudios.client import ClockifyAPIClient


def drive(steps: Steps) -> None:
    api = ClockifyAPIClient().build(steps.key, "api.clockify.me/v1")
    for service in (api.workspaces, api.projects, api.tasks, api.time_entries, api.users):
        service.base_url = steps.api
    api.clients.base_url = steps.api
    api.reports.base_url = steps.reports
    tag = steps.tag

    me = steps.run("current user", lambda: api.users.get_current_user()) or {}
    ws = me.get("activeWorkspace", "")
    uid = me.get("id", "")
    steps.run(
        "workspaces",
        lambda: check(ws in [w["id"] for w in api.workspaces.get_workspaces()], "active missing"),
        "current user",
    )
    steps.run("users", lambda: check(api.users.get_users(ws), "no users"), "current user")

    client = steps.run("add client", lambda: api.clients.add_client(ws, f"Northwind {tag}")) or {}

    def clients() -> None:
        ids = [c["id"] for c in api.clients.get_clients(ws)]
        check(client["id"] in ids, "the new client is not listed")

    steps.run("clients", clients, "add client")

    def add_project() -> dict:
        project = api.projects.add_project(ws, f"Checkout revamp {tag}", client["id"], True)
        check(project["clientId"] == client["id"], "client not kept")
        return project

    project = steps.run("add project", add_project, "add client") or {}
    pid = project.get("id", "")
    steps.run(
        "get project",
        lambda: check(api.projects.get_project_by_id(ws, pid)["name"] == project["name"], "name"),
        "add project",
    )
    steps.run(
        "projects with params",
        lambda: check(
            pid in [p["id"] for p in api.projects.get_projects(ws, {"name": "Checkout revamp"})],
            "name filter lost the new project",
        ),
        "add project",
    )
    task = steps.run(
        "add task", lambda: api.tasks.add_task(ws, pid, "Design review"), "add project"
    )
    tid = (task or {}).get("id", "")
    steps.run(
        "get task",
        lambda: check(api.tasks.get_task(ws, pid, tid)["name"] == "Design review", "name"),
        "add task",
    )
    steps.run(
        "update task",
        lambda: check(
            api.tasks.update_task(ws, pid, tid, {"name": "Design review v2"})["name"]
            == "Design review v2",
            "name not updated",
        ),
        "add task",
    )
    steps.run(
        "tasks",
        lambda: check(tid in [t["id"] for t in api.tasks.get_tasks(ws, pid)], "not listed"),
        "add task",
    )

    def add_entry() -> dict:
        payload = {
            "start": today_at(9, days_ago=1).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": today_at(10, 30, days_ago=1).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "description": "Code review: checkout flow",
            "projectId": pid,
            "taskId": tid,
        }
        entry = api.time_entries.add_time_entry(ws, uid, payload)
        check(entry["timeInterval"]["duration"] == "PT1H30M", "duration not computed")
        return entry

    entry = steps.run("add time entry", add_entry, "add task") or {}
    eid = entry.get("id", "")
    steps.run(
        "get time entry",
        lambda: check(api.time_entries.get_time_entry(ws, eid)["id"] == eid, "another entry"),
        "add time entry",
    )

    def update_entry() -> None:
        payload = {
            "start": entry["timeInterval"]["start"],
            "end": entry["timeInterval"]["end"],
            "description": "Code review: payment flow",
            "projectId": pid,
        }
        updated = api.time_entries.update_time_entry(ws, eid, payload)
        check(updated["description"] == "Code review: payment flow", "not updated")

    steps.run("update time entry", update_entry, "add time entry")
    steps.run(
        "time entries",
        lambda: check(
            eid
            in [e["id"] for e in api.time_entries.get_time_entries(ws, uid, {"page-size": 200})],
            "the new entry is not listed",
        ),
        "add time entry",
    )
    period = {
        "dateRangeStart": today_at(0, days_ago=7).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "dateRangeEnd": today_at(23, 59).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }

    def summary() -> None:
        report = api.reports.get_summary_report(
            ws, {**period, "summaryFilter": {"groups": ["PROJECT", "TIMEENTRY"]}}
        )
        check(report["totals"] and report["totals"][0]["totalTime"] > 0, "no time in totals")
        check(any(g["_id"] == pid for g in report["groupOne"]), "the project is not grouped")

    steps.run("summary report", summary, "add time entry")

    def detailed() -> None:
        report = api.reports.get_detailed_report(
            ws, {**period, "detailedFilter": {"page": 1, "pageSize": 200}}
        )
        check(any(e["_id"] == eid for e in report["timeentries"]), "the entry is missing")

    steps.run("detailed report", detailed, "add time entry")
    steps.run(
        "weekly report",
        lambda: check(
            api.reports.get_weekly_report(ws, {**period, "weeklyFilter": {"group": "PROJECT"}}),
            "empty answer",
        ),
        "current user",
    )
    steps.run("delete task", lambda: api.tasks.delete_task(ws, pid, tid), "add task")
    steps.run("delete project", lambda: api.projects.delete_project(ws, pid), "add project")
    steps.run("delete client", lambda: api.clients.delete_client(ws, client["id"]), "add client")


main(drive)
