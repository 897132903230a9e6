"""The 161 operations of clockify-api-v1.txt, each in the Clockify spec and answered by the
mock (neither a missing route nor "not implemented")."""

from __future__ import annotations

import re
from typing import Any

import pytest

from understudy import specs
from understudy.mock.app import create_app
from understudy.mock.config import Config

# (method, path) as the document lists them, in its order; the reports root holds the
# shared reports and reports (https://reports.api.clockify.me), the rest the regular root
DOCUMENTED = [
    ("POST", "/v1/file/image"),
    ("GET", "/v1/user"),
    ("GET", "/v1/workspaces/{workspaceId}/member-profile/{userId}"),
    ("PATCH", "/v1/workspaces/{workspaceId}/member-profile/{userId}"),
    ("GET", "/v1/workspaces/{workspaceId}/users"),
    ("POST", "/v1/workspaces/{workspaceId}/users/info"),
    ("PUT", "/v1/workspaces/{workspaceId}/users/{userId}/custom-field/{customFieldId}/value"),
    ("GET", "/v1/workspaces/{workspaceId}/users/{userId}/managers"),
    ("DELETE", "/v1/workspaces/{workspaceId}/users/{userId}/roles"),
    ("POST", "/v1/workspaces/{workspaceId}/users/{userId}/roles"),
    ("GET", "/v1/workspaces"),
    ("POST", "/v1/workspaces"),
    ("GET", "/v1/workspaces/{workspaceId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/cost-rate"),
    ("PUT", "/v1/workspaces/{workspaceId}/hourly-rate"),
    ("POST", "/v1/workspaces/{workspaceId}/users"),
    ("PUT", "/v1/workspaces/{workspaceId}/users/{userId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/users/{userId}/cost-rate"),
    ("PUT", "/v1/workspaces/{workspaceId}/users/{userId}/hourly-rate"),
    ("GET", "/v1/workspaces/{workspaceId}/addons/{addonId}/webhooks"),
    ("GET", "/v1/workspaces/{workspaceId}/webhooks"),
    ("POST", "/v1/workspaces/{workspaceId}/webhooks"),
    ("DELETE", "/v1/workspaces/{workspaceId}/webhooks/{webhookId}"),
    ("GET", "/v1/workspaces/{workspaceId}/webhooks/{webhookId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/webhooks/{webhookId}"),
    ("POST", "/v1/workspaces/{workspaceId}/webhooks/{webhookId}/logs"),
    ("PATCH", "/v1/workspaces/{workspaceId}/webhooks/{webhookId}/token"),
    ("GET", "/v1/workspaces/{workspaceId}/approval-requests"),
    ("POST", "/v1/workspaces/{workspaceId}/approval-requests"),
    ("POST", "/v1/workspaces/{workspaceId}/approval-requests/resubmit-entries-for-approval"),
    ("POST", "/v1/workspaces/{workspaceId}/approval-requests/users/{userId}"),
    (
        "POST",
        "/v1/workspaces/{workspaceId}/approval-requests/users/{userId}/resubmit-entries-for-approval",
    ),
    ("PATCH", "/v1/workspaces/{workspaceId}/approval-requests/{approvalRequestId}"),
    ("GET", "/v1/workspaces/{workspaceId}/clients"),
    ("POST", "/v1/workspaces/{workspaceId}/clients"),
    ("DELETE", "/v1/workspaces/{workspaceId}/clients/{id}"),
    ("GET", "/v1/workspaces/{workspaceId}/clients/{id}"),
    ("PUT", "/v1/workspaces/{workspaceId}/clients/{id}"),
    ("GET", "/v1/workspaces/{workspaceId}/custom-fields"),
    ("POST", "/v1/workspaces/{workspaceId}/custom-fields"),
    ("DELETE", "/v1/workspaces/{workspaceId}/custom-fields/{customFieldId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/custom-fields/{customFieldId}"),
    ("GET", "/v1/workspaces/{workspaceId}/projects/{projectId}/custom-fields"),
    ("DELETE", "/v1/workspaces/{workspaceId}/projects/{projectId}/custom-fields/{customFieldId}"),
    ("PATCH", "/v1/workspaces/{workspaceId}/projects/{projectId}/custom-fields/{customFieldId}"),
    ("GET", "/v1/workspaces/{workspaceId}/expenses"),
    ("POST", "/v1/workspaces/{workspaceId}/expenses"),
    ("GET", "/v1/workspaces/{workspaceId}/expenses/categories"),
    ("POST", "/v1/workspaces/{workspaceId}/expenses/categories"),
    ("DELETE", "/v1/workspaces/{workspaceId}/expenses/categories/{categoryId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/expenses/categories/{categoryId}"),
    ("PATCH", "/v1/workspaces/{workspaceId}/expenses/categories/{categoryId}/status"),
    ("DELETE", "/v1/workspaces/{workspaceId}/expenses/{expenseId}"),
    ("GET", "/v1/workspaces/{workspaceId}/expenses/{expenseId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/expenses/{expenseId}"),
    ("GET", "/v1/workspaces/{workspaceId}/expenses/{expenseId}/files/{fileId}"),
    ("GET", "/v1/workspaces/{workspaceId}/holidays"),
    ("POST", "/v1/workspaces/{workspaceId}/holidays"),
    ("GET", "/v1/workspaces/{workspaceId}/holidays/in-period"),
    ("DELETE", "/v1/workspaces/{workspaceId}/holidays/{holidayId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/holidays/{holidayId}"),
    ("GET", "/v1/workspaces/{workspaceId}/invoices"),
    ("POST", "/v1/workspaces/{workspaceId}/invoices"),
    ("POST", "/v1/workspaces/{workspaceId}/invoices/info"),
    ("GET", "/v1/workspaces/{workspaceId}/invoices/settings"),
    ("PUT", "/v1/workspaces/{workspaceId}/invoices/settings"),
    ("DELETE", "/v1/workspaces/{workspaceId}/invoices/{invoiceId}"),
    ("GET", "/v1/workspaces/{workspaceId}/invoices/{invoiceId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/invoices/{invoiceId}"),
    ("POST", "/v1/workspaces/{workspaceId}/invoices/{invoiceId}/duplicate"),
    ("GET", "/v1/workspaces/{workspaceId}/invoices/{invoiceId}/export"),
    ("GET", "/v1/workspaces/{workspaceId}/invoices/{invoiceId}/payments"),
    ("POST", "/v1/workspaces/{workspaceId}/invoices/{invoiceId}/payments"),
    ("DELETE", "/v1/workspaces/{workspaceId}/invoices/{invoiceId}/payments/{paymentId}"),
    ("PATCH", "/v1/workspaces/{workspaceId}/invoices/{invoiceId}/status"),
    ("GET", "/v1/workspaces/{workspaceId}/projects"),
    ("POST", "/v1/workspaces/{workspaceId}/projects"),
    ("DELETE", "/v1/workspaces/{workspaceId}/projects/{projectId}"),
    ("GET", "/v1/workspaces/{workspaceId}/projects/{projectId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/projects/{projectId}"),
    ("PATCH", "/v1/workspaces/{workspaceId}/projects/{projectId}/estimate"),
    ("PATCH", "/v1/workspaces/{workspaceId}/projects/{projectId}/memberships"),
    ("POST", "/v1/workspaces/{workspaceId}/projects/{projectId}/memberships"),
    ("PATCH", "/v1/workspaces/{workspaceId}/projects/{projectId}/template"),
    ("PUT", "/v1/workspaces/{workspaceId}/projects/{projectId}/users/{userId}/cost-rate"),
    ("PUT", "/v1/workspaces/{workspaceId}/projects/{projectId}/users/{userId}/hourly-rate"),
    ("GET", "/v1/workspaces/{workspaceId}/projects/{projectId}/tasks"),
    ("POST", "/v1/workspaces/{workspaceId}/projects/{projectId}/tasks"),
    ("PUT", "/v1/workspaces/{workspaceId}/projects/{projectId}/tasks/{id}/cost-rate"),
    ("PUT", "/v1/workspaces/{workspaceId}/projects/{projectId}/tasks/{id}/hourly-rate"),
    ("DELETE", "/v1/workspaces/{workspaceId}/projects/{projectId}/tasks/{taskId}"),
    ("GET", "/v1/workspaces/{workspaceId}/projects/{projectId}/tasks/{taskId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/projects/{projectId}/tasks/{taskId}"),
    ("GET", "/v1/workspaces/{workspaceId}/scheduling/assignments/all"),
    ("POST", "/v1/workspaces/{workspaceId}/scheduling/assignments/projects/totals"),
    ("GET", "/v1/workspaces/{workspaceId}/scheduling/assignments/projects/totals/{projectId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/scheduling/assignments/publish"),
    ("POST", "/v1/workspaces/{workspaceId}/scheduling/assignments/recurring"),
    ("DELETE", "/v1/workspaces/{workspaceId}/scheduling/assignments/recurring/{assignmentId}"),
    ("PATCH", "/v1/workspaces/{workspaceId}/scheduling/assignments/recurring/{assignmentId}"),
    ("PUT", "/v1/workspaces/{workspaceId}/scheduling/assignments/series/{assignmentId}"),
    ("POST", "/v1/workspaces/{workspaceId}/scheduling/assignments/user-filter/totals"),
    ("GET", "/v1/workspaces/{workspaceId}/scheduling/assignments/users/{userId}/totals"),
    ("POST", "/v1/workspaces/{workspaceId}/scheduling/assignments/{assignmentId}/copy"),
    ("GET", "/v1/workspaces/{workspaceId}/tags"),
    ("POST", "/v1/workspaces/{workspaceId}/tags"),
    ("DELETE", "/v1/workspaces/{workspaceId}/tags/{id}"),
    ("GET", "/v1/workspaces/{workspaceId}/tags/{id}"),
    ("PUT", "/v1/workspaces/{workspaceId}/tags/{id}"),
    ("POST", "/v1/workspaces/{workspaceId}/time-entries"),
    ("PATCH", "/v1/workspaces/{workspaceId}/time-entries/invoiced"),
    ("GET", "/v1/workspaces/{workspaceId}/time-entries/status/in-progress"),
    ("DELETE", "/v1/workspaces/{workspaceId}/time-entries/{id}"),
    ("GET", "/v1/workspaces/{workspaceId}/time-entries/{id}"),
    ("PUT", "/v1/workspaces/{workspaceId}/time-entries/{id}"),
    ("DELETE", "/v1/workspaces/{workspaceId}/user/{userId}/time-entries"),
    ("GET", "/v1/workspaces/{workspaceId}/user/{userId}/time-entries"),
    ("PATCH", "/v1/workspaces/{workspaceId}/user/{userId}/time-entries"),
    ("POST", "/v1/workspaces/{workspaceId}/user/{userId}/time-entries"),
    ("PUT", "/v1/workspaces/{workspaceId}/user/{userId}/time-entries"),
    ("POST", "/v1/workspaces/{workspaceId}/user/{userId}/time-entries/{id}/duplicate"),
    ("GET", "/v1/workspaces/{workspaceId}/time-off/balance/policy/{policyId}"),
    ("PATCH", "/v1/workspaces/{workspaceId}/time-off/balance/policy/{policyId}"),
    ("GET", "/v1/workspaces/{workspaceId}/time-off/balance/user/{userId}"),
    ("GET", "/v1/workspaces/{workspaceId}/time-off/policies"),
    ("POST", "/v1/workspaces/{workspaceId}/time-off/policies"),
    ("DELETE", "/v1/workspaces/{workspaceId}/time-off/policies/{id}"),
    ("GET", "/v1/workspaces/{workspaceId}/time-off/policies/{id}"),
    ("PATCH", "/v1/workspaces/{workspaceId}/time-off/policies/{id}"),
    ("PUT", "/v1/workspaces/{workspaceId}/time-off/policies/{id}"),
    ("POST", "/v1/workspaces/{workspaceId}/time-off/policies/{policyId}/requests"),
    ("DELETE", "/v1/workspaces/{workspaceId}/time-off/policies/{policyId}/requests/{requestId}"),
    ("PATCH", "/v1/workspaces/{workspaceId}/time-off/policies/{policyId}/requests/{requestId}"),
    ("POST", "/v1/workspaces/{workspaceId}/time-off/policies/{policyId}/users/{userId}/requests"),
    ("POST", "/v1/workspaces/{workspaceId}/time-off/requests"),
    ("GET", "/v1/workspaces/{workspaceId}/user-groups"),
    ("POST", "/v1/workspaces/{workspaceId}/user-groups"),
    ("DELETE", "/v1/workspaces/{workspaceId}/user-groups/{id}"),
    ("PUT", "/v1/workspaces/{workspaceId}/user-groups/{id}"),
    ("POST", "/v1/workspaces/{workspaceId}/user-groups/{userGroupId}/users"),
    ("DELETE", "/v1/workspaces/{workspaceId}/user-groups/{userGroupId}/users/{userId}"),
    ("GET", "/v1/shared-reports/{id}"),
    ("GET", "/v1/workspaces/{workspaceId}/shared-reports"),
    ("POST", "/v1/workspaces/{workspaceId}/shared-reports"),
    ("DELETE", "/v1/workspaces/{workspaceId}/shared-reports/{id}"),
    ("PUT", "/v1/workspaces/{workspaceId}/shared-reports/{id}"),
    ("POST", "/v1/workspaces/{workspaceId}/reports/attendance"),
    ("POST", "/v1/workspaces/{workspaceId}/reports/detailed"),
    ("POST", "/v1/workspaces/{workspaceId}/reports/summary"),
    ("POST", "/v1/workspaces/{workspaceId}/reports/weekly"),
    ("POST", "/v1/workspaces/{workspaceId}/reports/expenses/detailed"),
    ("GET", "/v1/workspaces/{workspaceId}/templates"),
    ("POST", "/v1/workspaces/{workspaceId}/templates"),
    ("DELETE", "/v1/workspaces/{workspaceId}/templates/{templateId}"),
    ("GET", "/v1/workspaces/{workspaceId}/templates/{templateId}"),
    ("PATCH", "/v1/workspaces/{workspaceId}/templates/{templateId}"),
    ("GET", "/v1/workspaces/{workspaceId}/scheduling/assignments/projects/totals"),
    ("DELETE", "/v1/workspaces/{workspaceId}/users/{userId}"),
    ("GET", "/v1/workspaces/{workspaceId}/entities/created"),
    ("GET", "/v1/workspaces/{workspaceId}/entities/deleted"),
    ("GET", "/v1/workspaces/{workspaceId}/entities/updated"),
]

# a path parameter names a record of this collection (besides the binding's own id)
PARAM_COLLECTIONS = {
    "workspaceId": "workspaces",
    "userId": "users",
    "projectId": "projects",
    "taskId": "tasks",
    "policyId": "time_off_policies",
    "userGroupId": "user_groups",
    "invoiceId": "invoices",
    "expenseId": "expenses",
    "categoryId": "expense_categories",
    "customFieldId": "custom_fields",
    "templateId": "templates",
    "holidayId": "holidays",
    "webhookId": "webhooks",
    "approvalRequestId": "approval_requests",
    "assignmentId": "assignments",
    "requestId": "time_off_requests",
    "paymentId": "invoice_payments",
}


def mounted() -> dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, Any]]]:
    """(method, path) → (mount prefix, bundled spec, operation), over both mounts."""
    found = {}
    for mount in specs.surfaces()["clockify"]:
        spec = specs.bundle(mount)
        for method, path, op in specs.operations(spec):
            found[(method, path)] = (mount.prefix, spec, op)
    return found


def test_the_document_lists_161_operations() -> None:
    assert len(DOCUMENTED) == len(set(DOCUMENTED)) == 161


def test_each_documented_operation_is_in_the_spec_and_nothing_else() -> None:
    found = mounted()
    missing = [pair for pair in DOCUMENTED if pair not in found]
    assert not missing, missing
    assert set(found) == set(DOCUMENTED)
    reports = {p for (_, p), (prefix, _, _) in found.items() if prefix == "/clockify/reports"}
    assert all("/reports/" in p or "shared-reports" in p for p in reports)


@pytest.fixture(scope="module")
def answers() -> dict[tuple[str, str], tuple[int, str]]:
    """Every documented operation called once on a mock with the demo world, DELETEs last."""
    mock = create_app(Config(surfaces=("clockify",), validate_responses=True))
    client = mock.app.test_client(base_url="http://localhost")
    credentials = client.get("/__understudy/credentials").json()["clockify"]
    store = mock.stores["clockify"]
    workspace, user = credentials["workspaceId"], credentials["userId"]
    found = mounted()
    out = {}
    for method, path in sorted(DOCUMENTED, key=lambda pair: pair[0] == "DELETE"):
        prefix, spec, op = found[(method, path)]
        binding = op.get("x-understudy", {})
        values = {"workspaceId": workspace, "userId": user}
        # innermost first: a task (a payment, ...) names the project (invoice) it belongs to
        for name in reversed(re.findall(r"{([^}]+)}", path)):
            if name in values:
                continue
            target = (
                binding.get("collection")
                if name == binding.get("id") or name == "id"
                else PARAM_COLLECTIONS.get(name)
            )
            if target is None:  # named by the record it belongs to (an expense's fileId)
                continue
            records = [
                r
                for r in store.scan(target or "", {})
                if r.get("workspaceId") in (None, workspace)
                and ("projectId" not in values or r.get("projectId") in (None, values["projectId"]))
            ]
            # prefer a record naming the path's other ids (an expense with a receipt file)
            names = re.findall(r"{([^}]+)}", path)
            records.sort(key=lambda r: any(n in r and r[n] is None for n in names))
            values[name] = records[0]["id"] if records else "0" * 24
            for parent in re.findall(r"{([^}]+)}", path):
                if records and parent not in values and records[0].get(parent):
                    values[parent] = records[0][parent]
        for name in re.findall(r"{([^}]+)}", path):
            values.setdefault(name, "0" * 24)
        url = prefix + path
        for name, value in values.items():
            url = url.replace("{" + name + "}", value)
        params = {
            p["name"]: p.get("example", specs.resolve(spec, p.get("schema", {})).get("example"))
            for p in (specs.resolve(spec, p) for p in op.get("parameters", ()))
            if p["in"] == "query" and p.get("required")
        }
        content = specs.resolve(spec, op.get("requestBody", {})).get("content", {})
        kwargs: dict[str, Any] = {"params": params, "headers": credentials["headers"]}
        if "application/json" in content:
            media = content["application/json"]
            example = media.get(
                "example", specs.resolve(spec, media.get("schema", {})).get("example")
            )
            kwargs["json"] = example if example is not None else {}
        elif "multipart/form-data" in content:
            kwargs["files"] = {"file": ("receipt.png", b"\x89PNG\r\n", "image/png")}
        answer = client.request(method, url, **kwargs)
        out[(method, path)] = (answer.status_code, answer.text[:300])
    return out


@pytest.mark.parametrize("pair", DOCUMENTED, ids=[f"{m} {p}" for m, p in DOCUMENTED])
def test_each_documented_operation_is_answered(
    pair: tuple[str, str], answers: dict[tuple[str, str], tuple[int, str]]
) -> None:
    status, text = answers[pair]
    assert status not in (404, 405, 501) and status < 500, f"{status} {text}"


@pytest.mark.parametrize(
    ("schema", "pointer"),
    [
        ("TimeEntry", "kioskId"),
        ("TimeEntry", "tagIds"),
        ("Project", "costRate"),
        ("Project", "budgetEstimate"),
        ("Membership", "hourlyRate"),
        ("Membership", "costRate"),
        ("WorkspaceSettings", "automaticLock"),
        ("WorkspaceSettings", "lockTimeEntries"),
        ("WorkspaceSettings", "lockTimeZone"),
    ],
)
def test_fields_real_clients_read_as_null_are_nullable(schema: str, pointer: str) -> None:
    spec = specs.bundle(specs.surfaces()["clockify"][0])
    schemas = spec["components"]["schemas"]
    prop = specs.resolve(spec, specs.resolve(spec, schemas[schema])["properties"][pointer])
    assert prop.get("nullable") is True, f"{schema}.{pointer}"


def test_a_concrete_path_wins_over_a_templated_one() -> None:
    # /expenses/categories is its own path item (GET, POST); it is not expense "categories"
    mock = create_app(Config(surfaces=("clockify",)))
    client = mock.app.test_client(base_url="http://localhost")
    credentials = client.get("/__understudy/credentials").json()["clockify"]
    base = f"/clockify/api/v1/workspaces/{credentials['workspaceId']}"
    answer = client.put(f"{base}/expenses/categories", json={}, headers=credentials["headers"])
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, POST"
    answer = client.delete(f"{base}/invoices/settings", headers=credentials["headers"])
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, PUT"
    listed = client.get(f"{base}/expenses/categories", headers=credentials["headers"])
    assert listed.status_code != 405
