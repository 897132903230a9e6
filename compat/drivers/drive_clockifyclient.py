"""clockifyclient 0.2.3 (Sjoerd Kerkstra): models parsed from the answers and a paging
iterator (``page``/``page-size``). Base URL: ``APIServer(url)``."""

from _steps import Steps, check, main, today_at
from clockifyclient.api import APIServer
from clockifyclient.client import APISession
from clockifyclient.models import TimeEntry, TimeEntryQuery


def drive(steps: Steps) -> None:
    session = APISession(APIServer(steps.api), steps.key)
    tag = steps.tag

    user = steps.run("current user", session.get_user)
    steps.run("default workspace", session.get_default_workspace)
    projects = steps.run("projects", session.get_projects, "default workspace") or []
    steps.run("tasks", lambda: [session.get_tasks(p) for p in projects[:3]], "projects")
    project = projects[0] if projects else None

    def add_entry() -> TimeEntry:
        entry = session.add_time_entry(
            start_time=today_at(13, days_ago=2),
            end_time=today_at(14, 15, days_ago=2),
            description=f"Sprint planning {tag}",
            project=project,
        )
        check(entry.obj_id and entry.end is not None, "no id or end in the answer")
        check(entry.project and entry.project.obj_id == project.obj_id, "project lost")
        return entry

    entry = steps.run("add time entry", add_entry, "projects")

    def update_entry() -> None:
        entry.description = f"Sprint planning and estimation {tag}"
        session.add_time_entry_object(entry)  # an entry with an id is PUT
        found = session.get_time_entries(TimeEntryQuery(f"estimation {tag}"), limit=10)
        check([e.obj_id for e in found] == [entry.obj_id], "the update is not found")

    steps.run("update time entry", update_entry, "add time entry")

    def query_entries() -> None:
        found = session.get_time_entries(TimeEntryQuery(description=tag), limit=None)
        check(entry.obj_id in [e.obj_id for e in found], "the new entry is not found")

    steps.run("time entries by description", query_entries, "add time entry")

    def page_entries() -> None:
        found = session.get_time_entries(TimeEntryQuery(description=""), limit=None)
        check(len({e.obj_id for e in found}) == len(found) > 0, "paging repeated an entry")

    steps.run("time entries, every page", page_entries, "current user")

    def timer() -> None:
        running = session.add_time_entry(start_time=today_at(0), description="Standup")
        check(running.end is None, "a timer has no end")
        stopped = session.stop_timer()
        check(stopped is not None and stopped.obj_id == running.obj_id, "not the timer")
        check(stopped.end is not None, "the stopped timer has no end")
        check(session.stop_timer() is None, "a second stop found a timer")

    steps.run("start and stop timer", timer, "current user")
    del user


main(drive)
