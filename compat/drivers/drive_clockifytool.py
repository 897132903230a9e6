"""clockifytool 0.1.0 (Mike Cantelon, Artefactual): the API layer of a command-line tool to
list, create and delete time entries. Base URL: ``ClockifyApi(key, url)``, which it joins
with paths ending in ``/``."""

import datetime as dt

from _steps import Steps, check, main
from clockifytool.api import ClockifyApi


def drive(steps: Steps) -> None:
    api = ClockifyApi(steps.key, url=steps.api + "/")
    tag = steps.tag

    me = steps.run("user", api.user) or {}
    workspaces = steps.run("workspaces", api.workspaces) or [{}]
    api.set_workspace(me.get("activeWorkspace") or workspaces[0].get("id"))

    def projects() -> list:
        found = api.projects(limit=5)
        check(0 < len(found) <= 5, f"{len(found)} projects for page-size 5")
        return found

    found = steps.run("projects", projects, "user") or [{}]
    pid = found[0].get("id", "")
    steps.run("project", lambda: check(api.get_project(pid)["id"] == pid, "another"), "projects")

    def project_tasks() -> tuple[str, list]:
        for project in api.projects():
            tasks = api.project_tasks(project["id"])
            if tasks:
                return project["id"], tasks
        raise AssertionError("no project has tasks")

    with_tasks, tasks = steps.run("project tasks", project_tasks, "projects") or ("", [{}])
    tid = tasks[0].get("id", "")
    steps.run(
        "task",
        lambda: check(api.get_task(with_tasks, tid)["id"] == tid, "another"),
        "project tasks",
    )
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()

    def create() -> dict:
        entry = api.create_entry(pid, f"Client call - onboarding {tag}", 1.5, date=yesterday)
        check("id" in entry, f"no id in {entry}")
        check(entry["timeInterval"]["duration"] == "PT1H30M", "duration not computed")
        check(entry["taskId"] is None and entry["tagIds"] in ([], None), "task or tags invented")
        return entry

    entry = steps.run("create entry", create, "projects") or {}
    eid = entry.get("id", "")
    steps.run(
        "get entry", lambda: check(api.get_entry(eid)["id"] == eid, "another"), "create entry"
    )

    def entries() -> None:
        found = api.entries(start=yesterday, end=dt.date.today().isoformat())
        check(eid in [e["id"] for e in found], "the new entry is not in its day")

    steps.run("entries of a period", entries, "create entry")

    def delete() -> None:
        answer = api.delete_entry(eid)
        check(answer.status_code == 204, f"delete answered {answer.status_code}")
        gone = api.entries(start=yesterday, end=dt.date.today().isoformat())
        check(eid not in [e["id"] for e in gone], "still listed after delete")

    steps.run("delete entry", delete, "create entry")


main(drive)
