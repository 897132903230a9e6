"""Clockify webhooks: the handlers of workspaces.yaml and their delivery.

An operation that declares ``event: NAME`` (its ``x-understudy``) fires that event when it
succeeds; every enabled webhook of the workspace for the event whose trigger sources match
gets the answer's record POSTed to its URL in the background by ``mock.outbound``: only to
allowed receivers (``serve --webhook-allow``, default loopback) and never to the mock itself,
with headers ``Clockify-Signature`` (its token), ``Clockify-Webhook-Event-Type`` and
``Clockify-Webhook-Event-Id`` (the same on every retry of a delivery, so a receiver can drop
repeats). A failed attempt (no answer in 5 s, a non-2xx answer) is retried with exponential
back-off and jitter, 5 attempts by default (the schedule is in ``mock/outbound.py``). Every
attempt is one entry of the webhook's logs (``listWebhookLogs``): status 0 when there was no
answer or the URL is not allowed, the reply's first 4,096 bytes; the newest 500 per webhook
are kept."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from typing import Any

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, iso, new_id, parse_instant
from understudy.mock.outbound import Attempt, Delivery
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import is_member, owned

Record = dict[str, Any]
WEBHOOKS = "webhooks"
LOGS = "_webhook_logs"  # the mock's own: one record per delivery attempt
MAX_LOGS = 500  # delivery attempts each webhook's logs keep, the newest
# trigger source type → the record field naming such a record, and the collection of such
# records (whose own id counts when the event is about one of them)
SOURCE_FIELDS = {
    "PROJECT_ID": ("projectId", "projects"),
    "USER_ID": ("userId", "users"),
    "TAG_ID": ("tagIds", "tags"),
    "TASK_ID": ("taskId", "tasks"),
    "ASSIGNMENT_ID": (None, "assignments"),
    "EXPENSE_ID": (None, "expenses"),
}


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


@behaviour.handler("listWebhooks")
def list_webhooks(engine: Engine, call: Call) -> Reply:
    """GET .../webhooks: the workspace's `webhooks` (`type` filters `webhookType`, a record
    without one counting as USER_CREATED), sorted by name; answer `{webhooks,
    workspaceWebhookCount}` (count = all webhooks of the workspace).
    """
    hooks = _webhooks(engine, call.params["workspaceId"])
    wanted = call.params.get("type")
    chosen = [h for h in hooks if not wanted or (h.get("webhookType") or "USER_CREATED") == wanted]
    return _webhook_list(hooks, chosen)


@behaviour.handler("listAddonWebhooks")
def list_addon_webhooks(engine: Engine, call: Call) -> Reply:
    """GET .../addons/{addonId}/webhooks: as `listWebhooks` for records with `webhookType`
    ADDON and this `addonId` (the mock keeps no add-on registry: an unknown add-on has none,
    200).
    """
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


@behaviour.handler("createWebhook")
def create_webhook(engine: Engine, call: Call) -> Reply:
    """POST .../webhooks: 400 if the caller already has 10 webhooks on the workspace or the
    workspace 100, or a `triggerSource` id names no record of `triggerSourceType` in the
    workspace (PROJECT_ID projects, USER_ID members, TAG_ID tags, TASK_ID tasks,
    WORKSPACE_ID this workspace, ASSIGNMENT_ID assignments, EXPENSE_ID expenses); record:
    the body, `enabled` true, `userId` caller, `workspaceId`, `authToken` a new random
    JWT-like token (three base64url parts), `webhookType` ADDON with `addonId` when called
    with an add-on token, else USER_CREATED with `addonId` null; answer 201. 400 too for a
    `url` the mock would not deliver to (itself, or not an allowed receiver).
    """
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
    check_url(engine, body.get("url"))
    with engine.store.transaction():
        hooks = _webhooks(engine, workspace)
        if len(hooks) >= 100 or sum(h.get("userId") == call.caller.actor for h in hooks) >= 10:
            raise errors.BadRequest("Webhook limit reached (10 per user, 100 per workspace)")
        reply = engine.create(call)
        webhook = {**reply.body, "authToken": _token(reply.body["id"])}
        engine.store.put(WEBHOOKS, webhook["id"], webhook)
    return Reply(201, webhook)


@behaviour.handler("updateWebhook")
def update_webhook(engine: Engine, call: Call) -> Reply:
    """PUT .../webhooks/{webhookId}: 400 for a `url` the mock would not deliver to (as
    `createWebhook`); otherwise the fields sent replace the webhook's (token, owner and type
    stay); answer the webhook."""
    check_url(engine, (call.body or {}).get("url"))
    return engine.patch(call)


def _load_webhook(engine: Engine, call: Call) -> Record:
    return owned(engine, WEBHOOKS, call.params["webhookId"], call.params["workspaceId"], "Webhook")


@behaviour.handler("regenerateWebhookToken")
def regenerate_webhook_token(engine: Engine, call: Call) -> Reply:
    """PATCH .../webhooks/{webhookId}/token: replace `authToken` with a new one; answer the
    webhook (200).
    """
    with engine.store.transaction():
        webhook = _load_webhook(engine, call)
        webhook = {**webhook, "authToken": _token(webhook["id"])}
        engine.store.put(WEBHOOKS, webhook["id"], webhook)
    return Reply(200, webhook)


@behaviour.handler("listWebhookLogs")
def list_webhook_logs(engine: Engine, call: Call) -> Reply:
    """The webhook's delivery attempts: ``from``/``to`` on when the receiver answered, ``status``
    SUCCEEDED (2xx) / FAILED / ALL, oldest first unless ``sortByNewest``; zero-based pages.

    POST .../webhooks/{webhookId}/logs: 404 unless the webhook is in the workspace; every
    attempt of the deliveries the mock made for it (retries too), `respondedAt` within `from`/`to`,
    `status` SUCCEEDED (2xx) / FAILED / ALL, oldest first or newest with `sortByNewest`;
    zero-based `page` (default 0) of `size` (default 50); bare array.
    """
    webhook = _load_webhook(engine, call)
    body = call.body if isinstance(call.body, Mapping) else {}
    logs = list(engine.store.scan(LOGS, {"webhookId": webhook["id"]}))
    start = parse_instant(body["from"]) if body.get("from") else None
    end = parse_instant(body["to"]) if body.get("to") else None
    status = body.get("status") or "ALL"

    def keep(log: Record) -> bool:
        when = parse_instant(log["respondedAt"])
        succeeded = 200 <= int(log.get("statusCode") or 0) < 300
        return (
            (start is None or when >= start)
            and (end is None or when <= end)
            and (status == "ALL" or succeeded == (status == "SUCCEEDED"))
        )

    chosen = sorted(
        (log for log in logs if keep(log)),
        key=lambda log: (log["respondedAt"], log["id"]),
        reverse=bool(body.get("sortByNewest")),
    )
    return Reply(200, engine.page(call, chosen).items)


# ---------------------------------------------------------------- delivery
@behaviour.observer("clockify.webhooks")
def fire(engine: Engine, call: Call, reply: Reply) -> None:
    """After an operation that declares an event: deliver it to the matching webhooks."""
    event = call.binding.options.get("event")
    workspace = call.params.get("workspaceId")
    record = _subject(engine, call, reply)
    if not event or not workspace or record is None:
        return
    if event == "NEW_TIME_ENTRY" and not (record.get("timeInterval") or {}).get("end"):
        event = "NEW_TIMER_STARTED"  # an entry without an end is a started timer
    about = call.binding.collection.name if call.binding.collection else None
    for hook in _webhooks(engine, workspace):
        if (
            hook.get("enabled")
            and hook.get("webhookEvent") == event
            and hook.get("url")
            and _triggered(hook, record, about, workspace)
        ):
            _enqueue(engine, dict(hook), event, record)


def _subject(engine: Engine, call: Call, reply: Reply) -> Record | None:
    """The record the event is about: the answer's, or the deleted one (204 answers)."""
    if isinstance(reply.body, Mapping):
        return dict(reply.body)
    collection, id_param = call.binding.collection, call.binding.id_param
    audit_of = getattr(engine.store, "audit_of", None)
    if collection is None or not id_param or audit_of is None:
        return None
    entry = audit_of(collection.name, str(call.params.get(id_param)))
    return dict(entry["document"]) if entry and entry.get("document") else None


def _triggered(
    hook: Mapping[str, Any], record: Mapping[str, Any], about: str | None, ws: str
) -> bool:
    """No trigger sources: every such event of the workspace; else one must be involved."""
    sources = set(hook.get("triggerSource") or [])
    kind = hook.get("triggerSourceType")
    if not sources:
        return True
    if kind == "WORKSPACE_ID":
        return ws in sources
    field, collection = SOURCE_FIELDS.get(str(kind), (None, None))
    involved = {record.get("id")} if about == collection else set()
    value = record.get(field) if field else None
    involved |= set(value) if isinstance(value, list) else {value}
    return bool(involved & sources)


def _enqueue(engine: Engine, hook: Record, event: str, record: Record) -> None:
    body = json.dumps(record, separators=(",", ":"))
    headers = {
        "Content-Type": "application/json",
        "Clockify-Signature": str(hook.get("authToken") or ""),
        "Clockify-Webhook-Event-Type": event,
        # the same on every retry of this delivery, so a receiver can drop a repeat
        "Clockify-Webhook-Event-Id": new_id(
            engine.surface.collections[WEBHOOKS], engine.clock.now()
        ),
    }

    def record_attempt(attempt: Attempt) -> None:
        _log(engine, hook, body, attempt.status, attempt.reply)

    if not engine.outbound.send(Delivery(str(hook["url"]), body.encode(), headers, record_attempt)):
        _log(engine, hook, body, 0, "not sent: too many deliveries under way")


def _log(engine: Engine, hook: Record, body: str, status: int, text: str | None) -> None:
    """One attempt in the webhook's logs; beyond MAX_LOGS the oldest go."""
    now = engine.clock.now()
    log = {
        "id": new_id(engine.surface.collections[WEBHOOKS], now),
        "webhookId": hook["id"],
        "requestBody": body,
        "respondedAt": iso(now),
        "responseBody": text,
        "statusCode": status,
    }
    with engine.store.transaction():
        engine.store.put(LOGS, log["id"], log)
        kept = sorted(
            engine.store.scan(LOGS, {"webhookId": hook["id"]}),
            key=lambda r: (r["respondedAt"], r["id"]),
        )
        for old in kept[: max(0, len(kept) - MAX_LOGS)]:  # retention: the newest MAX_LOGS
            engine.store.delete(LOGS, old["id"])


def check_url(engine: Engine, url: Any) -> None:
    """400 for a webhook URL the mock would not deliver to (``serve --webhook-allow``)."""
    why = engine.outbound.refusal(str(url)) if url else None
    if why:
        raise errors.BadRequest(f"Webhook URL {url} is not allowed: {why}")
