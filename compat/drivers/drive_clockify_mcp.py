"""clockify-mcp 0.3.2 (Alan, tracegazer): an MCP server for agents, 112 tools across the
API's domains. Driven through the MCP dispatch (``call_tool``) as an agent would; base URLs
through its documented ``Config(regular_base=..., reports_base=...)``, writes enabled."""

import asyncio
import json
import logging
from typing import Any

from _steps import Steps, check, main, today_at
from clockify_mcp.client import ClockifyClient
from clockify_mcp.config import Config
from clockify_mcp.server import build_server

ISO = "%Y-%m-%dT%H:%M:%SZ"


def drive(steps: Steps) -> None:
    logging.disable(logging.INFO)  # httpx logs every request
    config = Config(
        api_key=steps.key,
        regular_base=steps.api,
        reports_base=steps.reports,
        access_mode="full",
    )
    server = build_server(ClockifyClient(config))
    loop = asyncio.new_event_loop()
    tag = steps.tag

    def call(tool: str, **arguments: Any) -> Any:
        content = loop.run_until_complete(server.call_tool(tool, arguments))
        if isinstance(content, tuple):  # (content blocks, structured result)
            content = content[0]
        # FastMCP sends a list as one content block per item, anything else as one block
        values = [_parse(getattr(block, "text", "")) for block in content]
        if tool.startswith(("list_", "bulk_")):
            return values
        return values[0] if values else None

    def step(name: str, tool: str, /, *needs: str, expect: Any = None, **arguments: Any) -> Any:
        def run() -> Any:
            answer = call(tool, **arguments)
            if expect is not None:
                check(expect(answer), f"{tool} answered {str(answer)[:200]}")
            return answer

        return steps.run(name, run, *needs)

    me = step("get_current_user", "get_current_user", expect=lambda u: u["id"]) or {}
    ws, uid = me.get("activeWorkspace"), me.get("id")
    step("list_workspaces", "list_workspaces", expect=lambda w: ws in [x["id"] for x in w])
    step("get_workspace", "get_workspace", workspace_id=ws, expect=lambda w: w["id"] == ws)
    step("list_users", "list_users", workspace_id=ws, expect=lambda u: uid in [x["id"] for x in u])
    step(
        "get_user_member_profile",
        "get_user_member_profile",
        workspace_id=ws,
        user_id=uid,
        expect=lambda p: p["email"] == me["email"],
    )
    step(
        "list_user_groups",
        "list_user_groups",
        workspace_id=ws,
        expect=lambda g: isinstance(g, list),
    )

    # clients, projects, tags, tasks: create, read, update, list, archive
    client = (
        step(
            "create_client",
            "create_client",
            workspace_id=ws,
            name=f"Globex Retail {tag}",
            email="ap@globex.example",
            note="Quarterly invoicing",
            expect=lambda c: c["note"] == "Quarterly invoicing",
        )
        or {}
    )
    cid = client.get("id")
    step(
        "get_client",
        "get_client",
        "create_client",
        workspace_id=ws,
        client_id=cid,
        expect=lambda c: c["id"] == cid,
    )
    step(
        "update_client",
        "update_client",
        "create_client",
        workspace_id=ws,
        client_id=cid,
        name=f"Globex Retail Inc {tag}",
        address="1 Market St",
        expect=lambda c: c["address"],
    )
    step(
        "list_clients",
        "list_clients",
        "create_client",
        workspace_id=ws,
        name="Globex",
        expect=lambda cs: cid in [c["id"] for c in cs],
    )
    project = (
        step(
            "create_project",
            "create_project",
            "create_client",
            workspace_id=ws,
            name=f"Loyalty app {tag}",
            client_id=cid,
            billable=True,
            color="#03A9F4",
            expect=lambda p: p["clientId"] == cid,
        )
        or {}
    )
    pid = project.get("id")
    step(
        "get_project",
        "get_project",
        "create_project",
        workspace_id=ws,
        project_id=pid,
        hydrated=True,
        expect=lambda p: p["id"] == pid,
    )
    step(
        "update_project",
        "update_project",
        "create_project",
        workspace_id=ws,
        project_id=pid,
        note="Phase 2: rewards",
        expect=lambda p: p["note"] == "Phase 2: rewards",
    )
    step(
        "list_projects",
        "list_projects",
        "create_project",
        workspace_id=ws,
        name="Loyalty",
        expect=lambda ps: pid in [p["id"] for p in ps],
    )
    tag_rec = (
        step(
            "create_tag",
            "create_tag",
            workspace_id=ws,
            name=f"Frontend {tag}",
            expect=lambda t: t["id"],
        )
        or {}
    )
    gid = tag_rec.get("id")
    step(
        "get_tag",
        "get_tag",
        "create_tag",
        workspace_id=ws,
        tag_id=gid,
        expect=lambda t: t["id"] == gid,
    )
    step(
        "update_tag",
        "update_tag",
        "create_tag",
        workspace_id=ws,
        tag_id=gid,
        name=f"Front-end {tag}",
        expect=lambda t: t["name"] == f"Front-end {tag}",
    )
    step(
        "list_tags",
        "list_tags",
        "create_tag",
        workspace_id=ws,
        name="Front-end",
        expect=lambda ts: gid in [t["id"] for t in ts],
    )
    task = (
        step(
            "create_task",
            "create_task",
            "create_project",
            workspace_id=ws,
            project_id=pid,
            name="Points balance screen",
            expect=lambda t: t["projectId"] == pid,
        )
        or {}
    )
    tid = task.get("id")
    step(
        "get_task",
        "get_task",
        "create_task",
        workspace_id=ws,
        project_id=pid,
        task_id=tid,
        expect=lambda t: t["id"] == tid,
    )
    step(
        "update_task",
        "update_task",
        "create_task",
        workspace_id=ws,
        project_id=pid,
        task_id=tid,
        name="Points balance screen",
        status="DONE",
        expect=lambda t: t["status"] == "DONE",
    )
    step(
        "list_tasks",
        "list_tasks",
        "create_task",
        workspace_id=ws,
        project_id=pid,
        expect=lambda ts: tid in [t["id"] for t in ts],
    )

    # time entries, the timer, reports
    start, end = today_at(10, days_ago=1).strftime(ISO), today_at(12, days_ago=1).strftime(ISO)
    entry = (
        step(
            "create_time_entry",
            "create_time_entry",
            "create_task",
            workspace_id=ws,
            start=start,
            end=end,
            description="Code review: checkout flow",
            project_id=pid,
            task_id=tid,
            tag_ids=[gid],
            billable=True,
            expect=lambda e: e["timeInterval"]["duration"] == "PT2H" and e["tagIds"] == [gid],
        )
        or {}
    )
    eid = entry.get("id")
    step(
        "get_time_entry",
        "get_time_entry",
        "create_time_entry",
        workspace_id=ws,
        time_entry_id=eid,
        hydrated=True,
        expect=lambda e: e["project"]["id"] == pid,
    )
    step(
        "update_time_entry",
        "update_time_entry",
        "create_time_entry",
        workspace_id=ws,
        time_entry_id=eid,
        start=start,
        end=end,
        description="Code review: cart",
        project_id=pid,
        expect=lambda e: e["description"] == "Code review: cart",
    )
    step(
        "list_time_entries",
        "list_time_entries",
        "create_time_entry",
        workspace_id=ws,
        user_id=uid,
        project=pid,
        expect=lambda es: eid in [e["id"] for e in es],
    )
    copy = (
        step(
            "duplicate_time_entry",
            "duplicate_time_entry",
            "create_time_entry",
            workspace_id=ws,
            user_id=uid,
            time_entry_id=eid,
            expect=lambda e: e["id"] != eid and e["description"] == "Code review: cart",
        )
        or {}
    )
    step(
        "bulk_update_time_entries",
        "bulk_update_time_entries",
        "duplicate_time_entry",
        workspace_id=ws,
        user_id=uid,
        entries=[{"id": copy.get("id"), "start": start, "end": end, "description": "Pairing"}],
        expect=lambda es: es[0]["description"] == "Pairing",
    )
    step(
        "delete_time_entry",
        "delete_time_entry",
        "duplicate_time_entry",
        workspace_id=ws,
        time_entry_id=copy.get("id"),
    )
    step(
        "start timer (create_time_entry_for_user)",
        "create_time_entry_for_user",
        workspace_id=ws,
        user_id=uid,
        start=today_at(0).strftime(ISO),
        description="Standup",
        expect=lambda e: e["timeInterval"]["end"] is None,
    )
    step(
        "stop_running_timer",
        "stop_running_timer",
        "start timer (create_time_entry_for_user)",
        workspace_id=ws,
        user_id=uid,
        end=today_at(0, 15).strftime(ISO),
        expect=lambda e: e["timeInterval"]["duration"] == "PT15M",
    )
    period = {
        "date_range_start": today_at(0, days_ago=7).strftime(ISO),
        "date_range_end": today_at(23, 59).strftime(ISO),
    }
    step(
        "generate_summary_report",
        "generate_summary_report",
        "create_time_entry",
        workspace_id=ws,
        groups=["PROJECT", "TASK"],
        **period,
        expect=lambda r: pid in [g["_id"] for g in r["groupOne"]],
    )
    step(
        "generate_detailed_report",
        "generate_detailed_report",
        "create_time_entry",
        workspace_id=ws,
        page_size=200,
        **period,
        expect=lambda r: eid in [e["_id"] for e in r["timeentries"]],
    )
    step(
        "generate_weekly_report",
        "generate_weekly_report",
        workspace_id=ws,
        group="PROJECT",
        **period,
        expect=lambda r: isinstance(r, dict),
    )
    step(
        "generate_attendance_report",
        "generate_attendance_report",
        workspace_id=ws,
        **period,
        expect=lambda r: isinstance(r, dict),
    )
    step(
        "generate_expense_report",
        "generate_expense_report",
        workspace_id=ws,
        **period,
        expect=lambda r: isinstance(r, dict),
    )
    shared = (
        step(
            "create_shared_report",
            "create_shared_report",
            workspace_id=ws,
            name=f"Weekly hours {tag}",
            type="SUMMARY",
            **period,
            expect=lambda r: r["id"],
        )
        or {}
    )
    step(
        "list_shared_reports",
        "list_shared_reports",
        "create_shared_report",
        workspace_id=ws,
        expect=lambda r: r is not None,
    )
    step(
        "get_shared_report",
        "get_shared_report",
        "create_shared_report",
        shared_report_id=shared.get("id"),
        expect=lambda r: isinstance(r, dict),
    )
    step(
        "delete_shared_report",
        "delete_shared_report",
        "create_shared_report",
        workspace_id=ws,
        shared_report_id=shared.get("id"),
    )

    # the other domains: a read of each, and a create/delete where it is harmless
    step(
        "list_time_off_policies",
        "list_time_off_policies",
        workspace_id=ws,
        expect=lambda r: r is not None,
    )
    step(
        "list_time_off_requests",
        "list_time_off_requests",
        workspace_id=ws,
        expect=lambda r: r is not None,
    )
    holiday = (
        step(
            "create_holiday",
            "create_holiday",
            workspace_id=ws,
            name=f"Founders day {tag}",
            start_date=today_at(0, days_ago=-30).strftime("%Y-%m-%d"),
            end_date=today_at(0, days_ago=-30).strftime("%Y-%m-%d"),
            everyone_including_new=True,
            expect=lambda h: h["id"],
        )
        or {}
    )
    step("list_holidays", "list_holidays", workspace_id=ws, expect=lambda r: isinstance(r, list))
    step(
        "delete_holiday",
        "delete_holiday",
        "create_holiday",
        workspace_id=ws,
        holiday_id=holiday.get("id"),
    )
    category = (
        step(
            "create_expense_category",
            "create_expense_category",
            workspace_id=ws,
            name=f"Travel {tag}",
            expect=lambda c: c["id"],
        )
        or {}
    )
    step(
        "list_expense_categories",
        "list_expense_categories",
        workspace_id=ws,
        expect=lambda r: r is not None,
    )
    expense = (
        step(
            "create_expense",
            "create_expense",
            "create_expense_category",
            "create_project",
            workspace_id=ws,
            amount=42.5,
            category_id=category.get("id"),
            date=today_at(9).strftime(ISO),
            project_id=pid,
            user_id=uid,
            notes="Taxi to client site",
            expect=lambda e: e["id"],
        )
        or {}
    )
    step(
        "get_expense",
        "get_expense",
        "create_expense",
        workspace_id=ws,
        expense_id=expense.get("id"),
        expect=lambda e: e["id"] == expense["id"],
    )
    step("list_expenses", "list_expenses", workspace_id=ws, expect=lambda r: r is not None)
    step(
        "delete_expense",
        "delete_expense",
        "create_expense",
        workspace_id=ws,
        expense_id=expense.get("id"),
    )
    step(
        "list_approval_requests",
        "list_approval_requests",
        workspace_id=ws,
        expect=lambda r: isinstance(r, list),
    )
    step(
        "list_workspace_custom_fields",
        "list_workspace_custom_fields",
        workspace_id=ws,
        expect=lambda r: isinstance(r, list),
    )
    step(
        "list_scheduled_assignments",
        "list_scheduled_assignments",
        workspace_id=ws,
        start=today_at(0, days_ago=7).strftime(ISO),
        end=today_at(0, days_ago=-7).strftime(ISO),
        expect=lambda r: isinstance(r, list),
    )
    invoice = (
        step(
            "create_invoice",
            "create_invoice",
            "create_client",
            workspace_id=ws,
            client_id=cid,
            currency="USD",
            number=f"INV-{tag}",
            issued_date=today_at(0).strftime(ISO),
            due_date=today_at(0, days_ago=-30).strftime(ISO),
            expect=lambda i: i["id"],
        )
        or {}
    )
    step(
        "get_invoice",
        "get_invoice",
        "create_invoice",
        workspace_id=ws,
        invoice_id=invoice.get("id"),
        expect=lambda i: i["id"] == invoice["id"],
    )
    step("list_invoices", "list_invoices", workspace_id=ws, expect=lambda r: r is not None)
    step(
        "delete_invoice",
        "delete_invoice",
        "create_invoice",
        workspace_id=ws,
        invoice_id=invoice.get("id"),
    )
    step("list_webhooks", "list_webhooks", workspace_id=ws, expect=lambda r: r is not None)

    # archive, then delete (the API refuses to delete what is still active)
    step(
        "delete_time_entry",
        "delete_time_entry",
        "create_time_entry",
        workspace_id=ws,
        time_entry_id=eid,
    )
    step("delete_task", "delete_task", "create_task", workspace_id=ws, project_id=pid, task_id=tid)
    step(
        "archive project (update_project)",
        "update_project",
        "create_project",
        workspace_id=ws,
        project_id=pid,
        archived=True,
        expect=lambda p: p["archived"] is True,
    )
    step(
        "delete_project",
        "delete_project",
        "archive project (update_project)",
        workspace_id=ws,
        project_id=pid,
    )
    step(
        "archive tag (update_tag)",
        "update_tag",
        "create_tag",
        workspace_id=ws,
        tag_id=gid,
        archived=True,
        expect=lambda t: t["archived"] is True,
    )
    step("delete_tag", "delete_tag", "create_tag", workspace_id=ws, tag_id=gid)
    step(
        "archive client (update_client)",
        "update_client",
        "create_client",
        workspace_id=ws,
        client_id=cid,
        name=f"Globex Retail Inc {tag}",
        archived=True,
        expect=lambda c: c["archived"] is True,
    )
    step(
        "delete_client",
        "delete_client",
        "archive client (update_client)",
        workspace_id=ws,
        client_id=cid,
    )


def _parse(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


main(drive)
