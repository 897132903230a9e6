"""Clockify projects, tasks and invoices on the engine (every answer checked against the spec)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mock.surfaces.clockify.kit import Kit

UNKNOWN = "0" * 24


@pytest.fixture
def kit() -> Kit:
    return Kit()


def client_id(kit: Kit) -> str:
    return str(kit.records("clients", workspaceId=kit.workspace)[0]["id"])


def new_project(kit: Kit, name: str = "Apollo", **body: Any) -> dict[str, Any]:
    reply = kit.call("createProject", body={"name": name, **body})
    assert reply.status == 201, reply.body
    return dict(reply.body)


# ---------------------------------------------------------------- projects
def test_a_created_project_has_its_creator_as_member_and_rates_in_the_workspace_currency(
    kit: Kit,
) -> None:
    other = kit.other()
    project = new_project(
        kit,
        clientId=client_id(kit),
        isPublic=True,
        hourlyRate={"amount": 20000},
        memberships=[{"userId": other, "costRate": {"amount": 5000}}],
        tasks=[{"name": "Design"}, {"name": "Build", "status": "DONE"}],
    )
    assert project["public"] is True and project["template"] is False
    client = kit.store.get("clients", client_id(kit))
    assert client and project["clientName"] == client["name"]
    assert project["hourlyRate"]["amount"] == 20000 and project["hourlyRate"]["currency"]
    users = {m["userId"]: m for m in project["memberships"]}
    assert set(users) == {kit.user, other}
    assert users[other]["costRate"]["amount"] == 5000 and users[kit.user]["costRate"] is None
    tasks = kit.call("getTasks", {"projectId": project["id"]}).body
    assert sorted(t["name"] for t in tasks) == ["Build", "Design"]
    got = kit.call("getProject", {"projectId": project["id"]}).body
    assert got == project


def test_project_names_are_unique_and_references_must_exist(kit: Kit) -> None:
    new_project(kit, "Apollo")
    assert kit.call("createProject", body={"name": "apollo"}).status == 400
    assert kit.call("createProject", body={"name": "Gemini", "clientId": UNKNOWN}).status == 400
    bad_member = {"name": "Gemini", "memberships": [{"userId": UNKNOWN}]}
    assert kit.call("createProject", body=bad_member).status == 400
    assert not [p for p in kit.records("projects") if p["name"] == "Gemini"]


def test_list_projects_filters_sorts_and_pages(kit: Kit) -> None:
    for name in ("Zeta probe", "Alpha probe", "Mid probe"):
        new_project(kit, name, billable=name != "Mid probe")
    listed = kit.call("getProjects", {"name": "PROBE"}).body
    assert [p["name"] for p in listed] == ["Alpha probe", "Mid probe", "Zeta probe"]
    strict = kit.call("getProjects", {"name": "alpha probe", "strict-name-search": True}).body
    assert [p["name"] for p in strict] == ["Alpha probe"]
    billable = kit.call("getProjects", {"name": "probe", "billable": False}).body
    assert [p["name"] for p in billable] == ["Mid probe"]
    desc = kit.call(
        "getProjects", {"name": "probe", "sort-order": "DESCENDING", "page": 2, "page-size": 2}
    ).body
    assert [p["name"] for p in desc] == ["Alpha probe"]
    mine = kit.call("getProjects", {"name": "probe", "users": [kit.user]}).body
    assert len(mine) == 3
    not_mine = kit.call(
        "getProjects", {"name": "probe", "users": [kit.user], "contains-user": False}
    ).body
    assert not_mine == []


def test_update_template_and_delete_of_a_project(kit: Kit) -> None:
    project = new_project(kit)
    params = {"projectId": project["id"]}
    updated = kit.call("updateProject", params, {"name": "Apollo II", "isPublic": True}).body
    assert updated["name"] == "Apollo II" and updated["public"] is True
    assert kit.call("updateProjectTemplate", params, {"isTemplate": True}).body["template"] is True
    assert kit.call("deleteProject", params).status == 400  # an active project stays
    kit.call("updateProject", params, {"archived": True})
    deleted = kit.call("deleteProject", params)
    assert deleted.status == 200 and deleted.body["id"] == project["id"]
    assert kit.call("getProject", params).status == 404
    assert kit.records("tasks", projectId=project["id"]) == []


def test_project_memberships_and_user_rates(kit: Kit) -> None:
    project = new_project(kit)
    params = {"projectId": project["id"]}
    other = kit.other()
    group = kit.records("user_groups", workspaceId=kit.workspace)[0]["id"]
    body = {"memberships": [{"userId": other, "hourlyRate": {"amount": 100}}]}
    body["userGroups"] = {"ids": [group]}
    replaced = kit.call("updateProjectMemberships", params, body).body
    kinds = {(m["userId"], m["membershipType"]) for m in replaced["memberships"]}
    assert kinds == {(other, "PROJECT"), (group, "USERGROUP")}
    assert kit.call("assignProjectUsers", params, {"userIds": [kit.user]}).status == 200
    stored = kit.store.get("projects", project["id"])
    assert stored and kit.user in {m["userId"] for m in stored["memberships"]}
    kit.call("assignProjectUsers", params, {"userIds": [other], "remove": True})
    stored = kit.store.get("projects", project["id"])
    assert stored and other not in {m["userId"] for m in stored["memberships"]}
    assert kit.call("assignProjectUsers", params, {"userIds": [UNKNOWN]}).status == 400
    rated = kit.call(
        "updateProjectUserBillableRate", {**params, "userId": other}, {"amount": 4200}
    ).body
    mine = next(m for m in rated["memberships"] if m["userId"] == other)
    assert mine["hourlyRate"]["amount"] == 4200
    cost = kit.call("updateProjectUserCostRate", {**params, "userId": kit.user}, {"amount": 10})
    assert cost.status == 200
    assert (
        kit.call("updateProjectUserCostRate", {**params, "userId": UNKNOWN}, {"amount": 1}).status
        == 404
    )


def test_projects_of_another_workspace_are_not_found(kit: Kit) -> None:
    assert kit.call("updateProject", {"projectId": UNKNOWN}, {"name": "Nope"}).status == 404
    assert kit.call("getTasks", {"projectId": UNKNOWN}).status == 404


# ---------------------------------------------------------------- tasks
def test_task_lifecycle(kit: Kit) -> None:
    project = new_project(kit)
    params = {"projectId": project["id"]}
    created = kit.call("createTask", params, {"name": "Design", "assigneeIds": [kit.user]})
    assert created.status == 201
    task = created.body
    assert task["assigneeId"] == kit.user and task["status"] == "ACTIVE"
    assert kit.call("createTask", params, {"name": "DESIGN"}).status == 400
    assert kit.call("createTask", params, {"name": "X", "assigneeIds": [UNKNOWN]}).status == 400
    ids = {**params, "taskId": task["id"]}
    done = kit.call("updateTask", ids, {"name": "Design", "status": "DONE", "assigneeIds": []})
    assert done.body["status"] == "DONE" and done.body["assigneeId"] is None
    assert kit.call("getTasks", {**params, "is-active": True}).body == []
    rate = kit.call("updateTaskBillableRate", {**params, "id": task["id"]}, {"amount": 900}).body
    assert rate["hourlyRate"]["amount"] == 900
    cost = kit.call("updateTaskCostRate", {**params, "id": task["id"]}, {"amount": 300}).body
    assert cost["costRate"]["amount"] == 300
    assert kit.call("updateTaskCostRate", {**params, "id": UNKNOWN}, {"amount": 1}).status == 404


# ---------------------------------------------------------------- invoices
def new_invoice(kit: Kit, number: str = "1001") -> dict[str, Any]:
    body = {
        "clientId": client_id(kit),
        "currency": "USD",
        "number": number,
        "issuedDate": "2026-03-01T00:00:00Z",
        "dueDate": "2026-03-31T00:00:00Z",
    }
    reply = kit.call("createInvoice", body=body)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def test_invoice_totals_payments_and_status(kit: Kit) -> None:
    invoice = new_invoice(kit)
    assert invoice["status"] == "UNSENT" and invoice["userId"] == kit.user
    params = {"invoiceId": invoice["id"]}
    stored = kit.store.get("invoices", invoice["id"])
    assert stored
    kit.store.put("invoices", invoice["id"], {**stored, "items": [{"amount": 10000}]})
    update = {
        "currency": "USD",
        "number": "1001",
        "issuedDate": "2026-03-01T00:00:00Z",
        "dueDate": "2026-03-31T00:00:00Z",
        "discountPercent": 10,
        "taxPercent": 20,
        "tax2Percent": 0,
    }
    updated = kit.call("updateInvoice", params, update).body
    assert (updated["subtotal"], updated["discountAmount"], updated["taxAmount"]) == (
        10000,
        1000,
        1800,
    )
    assert updated["amount"] == 10800 and updated["balance"] == 10800
    assert kit.call("addInvoicePayment", params, {"amount": 99999}).status == 400
    paid = kit.call("addInvoicePayment", params, {"amount": 800}).body
    assert paid["status"] == "PARTIALLY_PAID" and paid["balance"] == 10000
    payment = kit.records("invoice_payments", invoiceId=invoice["id"])[0]
    listed = kit.call("getInvoicePayments", params).body
    assert [p["id"] for p in listed] == [payment["id"]]
    kit.call("addInvoicePayment", params, {"amount": 10000})
    assert kit.store.get("invoices", invoice["id"])["status"] == "PAID"  # type: ignore[index]
    after = kit.call("deleteInvoicePayment", {**params, "paymentId": payment["id"]}).body
    assert after["paid"] == 10000 and after["status"] == "PARTIALLY_PAID"
    assert kit.call("changeInvoiceStatus", params, {"invoiceStatus": "VOID"}).status == 200
    assert kit.call("addInvoicePayment", params, {"amount": 1}).status == 400
    assert kit.call("deleteInvoice", params).status == 200
    assert kit.records("invoice_payments", invoiceId=invoice["id"]) == []
    assert kit.call("getInvoice", params).status == 404


def test_invoice_lists_filters_duplicates_and_exports(kit: Kit) -> None:
    first = new_invoice(kit, "2001")
    copy = kit.call("duplicateInvoice", {"invoiceId": first["id"]})
    assert copy.status == 201 and copy.body["number"] == "2002"
    assert copy.body["status"] == "UNSENT" and copy.body["id"] != first["id"]
    unsent = kit.call("getInvoices", {"statuses": ["UNSENT"], "sort-column": "ID"}).body
    assert {first["id"], copy.body["id"]} <= {i["id"] for i in unsent["invoices"]}
    assert all(i["status"] == "UNSENT" for i in unsent["invoices"])
    found = kit.call(
        "filterInvoices", body={"page": 1, "pageSize": 10, "invoiceNumber": "200"}
    ).body
    assert found["total"] == 2
    strict = kit.call(
        "filterInvoices",
        body={"page": 1, "pageSize": 10, "invoiceNumber": "2001", "strictSearch": True},
    ).body
    assert [i["id"] for i in strict["invoices"]] == [first["id"]]
    pdf = kit.call("exportInvoice", {"invoiceId": first["id"]})
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF-") and b"2001" in pdf.body
    assert kit.call("exportInvoice", {"invoiceId": UNKNOWN}).status == 404
    assert kit.call("createInvoice", body={**first, "clientId": UNKNOWN}).status == 400


def test_invoice_settings_round_trip(kit: Kit) -> None:
    settings = kit.call("getInvoiceSettings").body
    assert settings["labels"]["totalAmount"] == "TOTAL AMOUNT DUE"
    body = {"labels": {"totalAmountDue": "DUE NOW"}, "defaults": {"taxPercent": 7, "dueDays": 14}}
    assert kit.call("updateInvoiceSettings", body=body).status == 200
    settings = kit.call("getInvoiceSettings").body
    assert settings["labels"]["totalAmount"] == "DUE NOW" and settings["labels"]["tax"] == "TAX"
    assert settings["defaults"]["tax"] == 7 and settings["defaults"]["dueDays"] == 14
    assert new_invoice(kit, "3001")["tax"] == 7


def test_an_invoice_number_in_any_script_exports_and_huge_due_days_are_refused(kit: Kit) -> None:
    invoice = new_invoice(kit, "Rechnung-ü-請求")
    pdf = kit.call("exportInvoice", {"invoiceId": invoice["id"]})
    disposition = pdf.headers["Content-Disposition"]
    disposition.encode("latin-1")  # what HTTP headers carry; raised before the fix
    assert 'filename="invoice-Rechnung-_-__.pdf"' in disposition
    assert "filename*=UTF-8''invoice-Rechnung-%C3%BC-" in disposition
    kit.call("updateInvoiceSettings", body={"labels": {}, "defaults": {"dueDays": 2_000_000_000}})
    refused = kit.call("duplicateInvoice", {"invoiceId": invoice["id"]})
    assert refused.status == 400 and "dueDays" in refused.body["message"]


def test_an_update_is_checked_against_the_rules_of_the_fields_it_sets(kit: Kit) -> None:
    project = new_project(kit, clientId=client_id(kit))
    kit.store.delete("clients", client_id(kit))  # the project now names a client that is gone
    params = {"projectId": project["id"]}
    estimate = {"timeEstimate": {"active": True, "estimate": "PT10H"}}
    assert kit.call("updateProjectEstimate", params, estimate).status == 200
    refused = kit.call("updateProjectEstimate", params, {"clientId": UNKNOWN})
    assert refused.status == 400 and "clientId" in refused.body["message"]
