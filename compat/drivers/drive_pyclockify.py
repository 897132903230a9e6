"""pyclockify 0.1.0 (Alejandro Santiago Félix): a small attrs + requests wrapper, read-only.
Base URL: its ``base_url`` constructor argument."""

from _steps import Steps, check, main
from clockify.Clockify import Clockify


def drive(steps: Steps) -> None:
    api = Clockify(api_key=steps.key, base_url=steps.api)

    def workspaces() -> list:
        found = api.get_workspaces()
        check(found and all("id" in w and "name" in w for w in found), "no workspaces")
        return found

    found = steps.run("workspaces", workspaces) or [{}]
    ws = found[0].get("id", "")

    def workspace() -> None:
        check(api.get_workspace(ws)["id"] == ws, "get_workspace found another")
        check(api.get_workspace_by_name(found[0]["name"])["id"] == ws, "by name failed")

    steps.run("workspace by id and name", workspace, "workspaces")

    def users() -> list:
        members = api.get_users(ws)
        check(members and all("email" in u for u in members), "no members with emails")
        return members

    members = steps.run("users", users, "workspaces") or [{}]
    steps.run(
        "user",
        lambda: check(api.get_user(ws, members[0]["id"])["id"] == members[0]["id"], "other user"),
        "users",
    )
    steps.run("projects", lambda: check(api.get_projects(ws), "no projects"), "workspaces")
    steps.run("clients", lambda: check(api.get_clients(ws), "no clients"), "workspaces")
    steps.run("tags", lambda: check(api.get_tags(ws), "no tags"), "workspaces")

    def entries_of_user() -> None:
        entries = api.get_time_entries_by_user(ws, members[0]["id"])
        check(all(e["userId"] == members[0]["id"] for e in entries), "another user's entries")

    steps.run("time entries of a user", entries_of_user, "users")

    def all_entries() -> None:
        entries = api.get_time_entries(ws)
        check(entries and all("timeInterval" in e for e in entries), "no entries")
        by_name = api.get_time_entries_by_username(ws)
        check(sum(len(v) for v in by_name.values()) == len(entries), "counts differ")

    steps.run("time entries of every member", all_entries, "users")


main(drive)
