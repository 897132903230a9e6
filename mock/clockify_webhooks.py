"""Clockify handlers: webhooks of a workspace and their tokens (workspaces.yaml;
HANDLERS-workspaces.md). The mock records webhooks but delivers no events yet, so their
delivery logs are empty."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from typing import Any

from understudy.mock import errors
from understudy.mock.clockify import is_member, owned
from understudy.mock.engine import Call, Engine, Reply, handler

Record = dict[str, Any]
WEBHOOKS = "webhooks"


def _token(webhook_id: str) -> str:
    def part(data: Mapping[str, Any] | bytes) -> str:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    claims = {"sub": webhook_id, "type": "webhook", "nonce": secrets.token_hex(8)}
    return ".".join(
        (part({"typ": "JWT", "alg": "RS256"}), part(claims), part(secrets.token_bytes(32)))
    )


def _webhooks(engine: Engine, workspace: str) -> list[Record]:
    return list(engine.store.scan(WEBHOOKS, {"workspaceId": workspace}))


def _webhook_list(all_hooks: list[Record], hooks: list[Record]) -> Reply:
    ordered = sorted(hooks, key=lambda h: (str(h.get("name") or ""), h["id"]))
    return Reply(200, {"webhooks": ordered, "workspaceWebhookCount": len(all_hooks)})


@handler("listWebhooks")
def list_webhooks(engine: Engine, call: Call) -> Reply:
    hooks = _webhooks(engine, call.params["workspaceId"])
    wanted = call.params.get("type")
    chosen = [h for h in hooks if not wanted or (h.get("webhookType") or "USER_CREATED") == wanted]
    return _webhook_list(hooks, chosen)


@handler("listAddonWebhooks")
def list_addon_webhooks(engine: Engine, call: Call) -> Reply:
    hooks = _webhooks(engine, call.params["workspaceId"])
    addon = call.params["addonId"]
    chosen = [h for h in hooks if h.get("webhookType") == "ADDON" and h.get("addonId") == addon]
    return _webhook_list(hooks, chosen)


SOURCES = {
    "PROJECT_ID": "projects",
    "TAG_ID": "tags",
    "TASK_ID": "tasks",
    "ASSIGNMENT_ID": "assignments",
    "EXPENSE_ID": "expenses",
}


@handler("createWebhook")
def create_webhook(engine: Engine, call: Call) -> Reply:
    workspace, body = call.params["workspaceId"], call.body or {}
    kind = body.get("triggerSourceType")
    for source in body.get("triggerSource") or []:
        if kind == "WORKSPACE_ID":
            ok = source == workspace
        elif kind == "USER_ID":
            ok = is_member(engine, workspace, source)
        else:
            record = engine.store.get(SOURCES.get(str(kind), ""), source)
            ok = record is not None and record.get("workspaceId") == workspace
        if not ok:
            raise errors.BadRequest(f"Trigger source {source} is no {kind} of the workspace")
    with engine.store.transaction():
        hooks = _webhooks(engine, workspace)
        if len(hooks) >= 100 or sum(h.get("userId") == call.caller.actor for h in hooks) >= 10:
            raise errors.BadRequest("Webhook limit reached (10 per user, 100 per workspace)")
        reply = engine.create(call)
        webhook = {**reply.body, "authToken": _token(reply.body["id"])}
        engine.store.put(WEBHOOKS, webhook["id"], webhook)
    return Reply(201, webhook)


def _load_webhook(engine: Engine, call: Call) -> Record:
    return owned(engine, WEBHOOKS, call.params["webhookId"], call.params["workspaceId"], "Webhook")


@handler("regenerateWebhookToken")
def regenerate_webhook_token(engine: Engine, call: Call) -> Reply:
    with engine.store.transaction():
        webhook = _load_webhook(engine, call)
        webhook = {**webhook, "authToken": _token(webhook["id"])}
        engine.store.put(WEBHOOKS, webhook["id"], webhook)
    return Reply(200, webhook)


@handler("listWebhookLogs")
def list_webhook_logs(engine: Engine, call: Call) -> Reply:
    """Deliveries of the webhook; the mock delivers none yet, so the log is empty."""
    _load_webhook(engine, call)
    return Reply(200, [])
