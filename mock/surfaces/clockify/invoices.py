"""Clockify handlers: invoices, their payments and the workspace's invoice settings
(invoices-projects.yaml).

Money is integer cents; ``discount``, ``tax`` and ``tax2`` are percentages. ``balance`` is
always ``amount - paid`` and the status follows the payments (PAID, PARTIALLY_PAID), except
that a VOID or UNSENT invoice keeps its status.

A parent id in the path (``invoiceId`` of payments) that names no record of the workspace
answers 404. Rates take the workspace's currency and keep no ``since`` history.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from understudy.mock import errors
from understudy.mock.engine import Call, Engine, Reply, iso, new_id, parse_instant
from understudy.mock.surfaces.clockify import behaviour
from understudy.mock.surfaces.clockify.shared import ids_match, name_matches, owned, sort_by

Record = dict[str, Any]
INVOICES, PAYMENTS, CLIENTS = "invoices", "invoice_payments", "clients"
SETTINGS = "_invoice_settings"  # the mock's own records, one per workspace (no declared schema)

LABELS = {
    "amount": "AMOUNT",
    "billFrom": "BILL FROM",
    "billTo": "BILL TO",
    "description": "DESCRIPTION",
    "discount": "DISCOUNT",
    "dueDate": "DUE DATE",
    "issueDate": "ISSUE DATE",
    "itemType": "ITEM TYPE",
    "notes": "NOTES",
    "paid": "PAID",
    "quantity": "QUANTITY",
    "subtotal": "SUBTOTAL",
    "tax": "TAX",
    "tax2": "TAX2",
    "total": "AMOUNT",
    "totalAmount": "TOTAL AMOUNT DUE",
    "unitPrice": "UNIT PRICE",
}
DEFAULT_SETTINGS: Record = {
    "defaults": {
        "companyId": None,
        "defaultImportExpenseItemTypeId": None,
        "defaultImportTimeItemTypeId": None,
        "itemTypeId": None,
        "dueDays": 30,
        "notes": None,
        "subject": None,
        "tax": 0,
        "tax2": 0,
        "taxPercent": 0,
        "tax2Percent": 0,
        "taxType": "SIMPLE",
    },
    "exportFields": {
        "itemType": True,
        "quantity": True,
        "rtl": False,
        "tax": True,
        "tax2": True,
        "unitPrice": True,
    },
    "labels": LABELS,
}
SORT_COLUMNS = {
    "ID": "id",
    "CLIENT": "clientName",
    "DUE_ON": "dueDate",
    "ISSUE_DATE": "issuedDate",
    "AMOUNT": "amount",
    "BALANCE": "balance",
}


def _settings(engine: Engine, workspace: str) -> Record:
    stored = engine.store.get(SETTINGS, workspace)
    return copy.deepcopy(stored["settings"] if stored else DEFAULT_SETTINGS)


def _client(engine: Engine, workspace: str, client_id: Any) -> Record:
    client = engine.store.get(CLIENTS, str(client_id or ""))
    if client is None or client.get("workspaceId") != workspace:
        raise errors.BadRequest(f"Client doesn't belong to Workspace: {client_id}")
    return client


def _load(engine: Engine, call: Call) -> Record:
    return owned(engine, INVOICES, call.params["invoiceId"], call.params["workspaceId"], "Invoice")


def _settle(invoice: Record) -> Record:
    """``balance`` from amount and paid, and the status the payments give."""
    invoice = {
        **invoice,
        "balance": int(invoice.get("amount") or 0) - int(invoice.get("paid") or 0),
    }
    if invoice.get("status") in ("VOID", "UNSENT"):
        return invoice
    if invoice.get("paid"):
        invoice["status"] = "PAID" if invoice["balance"] <= 0 else "PARTIALLY_PAID"
    else:
        invoice["status"] = "SENT"
    return invoice


def _totals(invoice: Record) -> Record:
    subtotal = sum(int(item.get("amount") or 0) for item in invoice.get("items") or [])
    discount = round(subtotal * float(invoice.get("discount") or 0) / 100)
    base = subtotal - discount
    tax = round(base * float(invoice.get("tax") or 0) / 100)
    compound = invoice.get("taxType") == "COMPOUND"
    tax2 = round((base + tax if compound else base) * float(invoice.get("tax2") or 0) / 100)
    amount = base + tax + tax2
    return {
        **invoice,
        "subtotal": subtotal,
        "discountAmount": discount,
        "taxAmount": tax,
        "tax2Amount": tax2,
        "amount": amount,
        "balance": amount - int(invoice.get("paid") or 0),
    }


# ---------------------------------------------------------------- listing
def _matching(engine: Engine, workspace: str, query: Mapping[str, Any]) -> list[Record]:
    invoices = list(engine.store.scan(INVOICES, {"workspaceId": workspace}))
    statuses = set(query.get("statuses") or [])
    return [i for i in invoices if not statuses or i.get("status") in statuses]


def _answer(engine: Engine, call: Call, invoices: list[Record], column: Any, order: Any) -> Reply:
    ordered = sort_by(invoices, SORT_COLUMNS.get(str(column or "ID"), "id"), order)
    return Reply(200, {"invoices": engine.page(call, ordered).items, "total": len(invoices)})


@behaviour.handler("listInvoices")
def list_invoices(engine: Engine, call: Call) -> Reply:
    """GET .../invoices: the workspace's `invoices` with `status` in `statuses` (any when
    absent); sort by `sort-column` (ID→id, CLIENT→clientName, DUE_ON→dueDate,
    ISSUE_DATE→issuedDate, AMOUNT→amount, BALANCE→balance; default ID) and `sort-order`
    (default ASCENDING); page by `page`/`page-size` (1/50); answer `{invoices: <page>,
    total: <all matching>}`.
    """
    params = call.params
    invoices = _matching(engine, params["workspaceId"], params)
    return _answer(engine, call, invoices, params.get("sort-column"), params.get("sort-order"))


def _amount_ok(value: Any, body: Mapping[str, Any], field: str) -> bool:
    value = int(value or 0)
    filters = body.get(field) or {}
    if not isinstance(filters, Mapping):
        return True
    exact, above, below = (
        filters.get(k) for k in ("exactAmount", "greaterThanAmount", "lessThanAmount")
    )
    return (
        (exact is None or value == exact)
        and (above is None or value > above)
        and (below is None or value < below)
    )


@behaviour.handler("filterInvoices")
def filter_invoices(engine: Engine, call: Call) -> Reply:
    """POST .../invoices/info: as `listInvoices` from the body: `statuses` (any of),
    `clients` (ids, CONTAINS → clientId in ids, DOES_NOT_CONTAIN → not in; `status`
    ACTIVE/ARCHIVED restricts to clients with `archived` false/true), `companies` (same on
    companyId), `invoiceNumber` (contained, case-insensitive; equal with `strictSearch`),
    `exactAmount`/`greaterThanAmount`/`lessThanAmount` on `amount`, the same three on
    `balance`, `issueDate` (`issue-date-start` ≤ issuedDate's date ≤ `issue-date-end`),
    `sortColumn`/`sortOrder`, `page`/`pageSize`; answer `{invoices, total}`.
    """
    workspace, body = call.params["workspaceId"], call.body or {}
    clients = {c["id"]: c for c in engine.store.scan(CLIENTS, {"workspaceId": workspace})}
    client_status = (body.get("clients") or {}).get("status")
    dates = body.get("issueDate") or {}

    def keep(invoice: Record) -> bool:
        if not ids_match([invoice.get("clientId")], body.get("clients")):
            return False
        if not ids_match([invoice.get("companyId")], body.get("companies")):
            return False
        if client_status in ("ACTIVE", "ARCHIVED"):
            client = clients.get(invoice.get("clientId") or "") or {}
            if bool(client.get("archived")) != (client_status == "ARCHIVED"):
                return False
        if not name_matches(
            invoice.get("number"), body.get("invoiceNumber"), body.get("strictSearch")
        ):
            return False
        if not (
            _amount_ok(invoice.get("amount"), body, "amount")
            and _amount_ok(invoice.get("balance"), body, "balance")
        ):
            return False
        day = str(invoice.get("issuedDate") or "")[:10]
        start, end = dates.get("issue-date-start"), dates.get("issue-date-end")
        return (not start or day >= str(start)[:10]) and (not end or day <= str(end)[:10])

    invoices = [i for i in _matching(engine, workspace, body) if keep(i)]
    return _answer(engine, call, invoices, body.get("sortColumn"), body.get("sortOrder"))


# ---------------------------------------------------------------- writing
@behaviour.handler("createInvoice")
def create_invoice(engine: Engine, call: Call) -> Reply:
    """POST .../invoices: 400 unless `clientId` is a `clients` record of the workspace; new
    invoice from the collection defaults + body (`status` UNSENT, zero amounts, `items` [],
    `userId` caller), `clientName` = client.name, `clientAddress` = client.address (or
    null), `billFrom`/`companyId`/`note`(= notes)/`subject`/`tax` (= taxPercent)/`tax2` (=
    tax2Percent)/`taxType` from the invoice settings' defaults when set (else
    null/0/SIMPLE); answer it (201).
    """
    workspace, body = call.params["workspaceId"], call.body or {}
    collection = engine.surface.collections[INVOICES]
    client = _client(engine, workspace, body.get("clientId"))
    defaults = _settings(engine, workspace)["defaults"]
    invoice: Record = {
        "id": new_id(collection, engine.clock.now()),
        "workspaceId": workspace,
        **{k: engine.value(v, call.caller, None) for k, v in collection.defaults.items()},
        **engine.writable(collection, body),
        "clientName": client.get("name"),
        "clientAddress": client.get("address"),
        "billFrom": None,
        "companyId": defaults.get("companyId"),
        "note": defaults.get("notes"),
        "subject": defaults.get("subject"),
        "tax": defaults.get("taxPercent") or 0,
        "tax2": defaults.get("tax2Percent") or 0,
        "taxType": defaults.get("taxType") or "SIMPLE",
    }
    engine.store.put(INVOICES, invoice["id"], invoice)
    return Reply(201, invoice)


@behaviour.handler("updateInvoice")
def update_invoice(engine: Engine, call: Call) -> Reply:
    """PUT .../invoices/{invoiceId}: 400 for a `clientId` that is no client of the workspace
    (then refresh `clientName`/`clientAddress`); set `currency`, `dueDate`, `issuedDate`,
    `number`, `note`, `subject`, `companyId`, `taxType`, `visibleZeroFields`, `discount` =
    discountPercent, `tax` = taxPercent, `tax2` = tax2Percent; recompute `subtotal` = sum of
    items.amount, `discountAmount` = round(subtotal * discount/100), base = subtotal -
    discountAmount, `taxAmount` = round(base * tax/100), `tax2Amount` = round((base +
    taxAmount if COMPOUND else base) * tax2/100), `amount` = base + taxAmount + tax2Amount,
    `balance` = amount - paid; status unchanged; answer the invoice.
    """
    workspace, body = call.params["workspaceId"], call.body or {}
    with engine.store.transaction():
        invoice = _load(engine, call)
        if body.get("clientId"):
            client = _client(engine, workspace, body["clientId"])
            invoice.update(
                clientId=client["id"],
                clientName=client.get("name"),
                clientAddress=client.get("address"),
            )
        for field in (
            "currency",
            "dueDate",
            "issuedDate",
            "number",
            "note",
            "subject",
            "companyId",
            "taxType",
            "visibleZeroFields",
        ):
            if field in body:
                invoice[field] = body[field]
        for field, source in (
            ("discount", "discountPercent"),
            ("tax", "taxPercent"),
            ("tax2", "tax2Percent"),
        ):
            if source in body:
                invoice[field] = body[source]
        for field in ("dueDate", "issuedDate"):
            if isinstance(invoice.get(field), str):
                invoice[field] = iso(parse_instant(invoice[field]))
        invoice = _totals(invoice)
        engine.store.put(INVOICES, invoice["id"], invoice)
    return Reply(200, invoice)


@behaviour.handler("deleteInvoice")
def delete_invoice(engine: Engine, call: Call) -> Reply:
    """DELETE .../invoices/{invoiceId}: the generic delete, also deleting the invoice's
    `invoice_payments`; 200, no body.
    """
    with engine.store.transaction():
        invoice = _load(engine, call)
        for payment in list(engine.store.scan(PAYMENTS, {"invoiceId": invoice["id"]})):
            engine.store.delete(PAYMENTS, payment["id"])
        engine.store.delete(INVOICES, invoice["id"])
    return Reply(200)


def _next_number(engine: Engine, workspace: str, number: str) -> str:
    used = {str(i.get("number")) for i in engine.store.scan(INVOICES, {"workspaceId": workspace})}
    if number.isdigit():
        candidate = int(number) + 1
        while str(candidate).zfill(len(number)) in used:
            candidate += 1
        return str(candidate).zfill(len(number))
    suffix = 1
    while f"{number}-{suffix}" in used:
        suffix += 1
    return f"{number}-{suffix}"


def _due(issued: datetime, days: int) -> datetime:
    try:
        return issued + timedelta(days=days)
    except OverflowError:  # dueDays is any int32; a date past year 9999 is not one
        raise errors.BadRequest(f"dueDays {days} puts the due date past the year 9999") from None


@behaviour.handler("duplicateInvoice")
def duplicate_invoice(engine: Engine, call: Call) -> Reply:
    """POST .../invoices/{invoiceId}/duplicate: copy the invoice with a new id, `number` =
    the next number not used in the workspace (numeric numbers +1, else the number + "-1",
    "-2", ...), `status` UNSENT, `paid` 0, `balance` = amount, `issuedDate` = now, `dueDate`
    = now + (settings `dueDays`, default 30) days, `userId` = caller; no payments; answer it
    (201).
    """
    workspace = call.params["workspaceId"]
    with engine.store.transaction():
        source = _load(engine, call)
        now = engine.clock.now()
        due_days = _settings(engine, workspace)["defaults"].get("dueDays") or 30
        copy_ = {
            **copy.deepcopy(source),
            "id": new_id(engine.surface.collections[INVOICES], now),
            "number": _next_number(engine, workspace, str(source.get("number") or "")),
            "status": "UNSENT",
            "paid": 0,
            "balance": source.get("amount") or 0,
            "issuedDate": iso(now),
            "dueDate": iso(_due(now, int(due_days))),
            "userId": call.caller.actor,
        }
        engine.store.put(INVOICES, copy_["id"], copy_)
    return Reply(201, copy_)


@behaviour.handler("changeInvoiceStatus")
def change_invoice_status(engine: Engine, call: Call) -> Reply:
    """PATCH .../invoices/{invoiceId}/status: set `status` = `invoiceStatus`; 200, no body."""
    with engine.store.transaction():
        invoice = _load(engine, call)
        status = (call.body or {}).get("invoiceStatus")
        engine.store.put(INVOICES, invoice["id"], {**invoice, "status": status})
    return Reply(200)


# ---------------------------------------------------------------- payments
@behaviour.handler("addInvoicePayment")
def add_invoice_payment(engine: Engine, call: Call) -> Reply:
    """POST .../invoices/{invoiceId}/payments: 400 if the invoice is VOID or `amount` >
    balance; add an `invoice_payments` record `{workspaceId, invoiceId, amount, note, date:
    paymentDate or now, author: caller's name}`; invoice `paid` += amount, `balance` =
    amount - paid, `status` PAID when balance is 0 else PARTIALLY_PAID; answer the invoice
    (201).
    """
    workspace, body = call.params["workspaceId"], call.body or {}
    with engine.store.transaction():
        invoice = _load(engine, call)
        amount = int(body.get("amount") or 0)
        balance = int(invoice.get("amount") or 0) - int(invoice.get("paid") or 0)
        if invoice.get("status") == "VOID":
            raise errors.BadRequest("Cannot add a payment to a void invoice")
        if amount > balance:
            raise errors.BadRequest(
                f"The payment ({amount}) exceeds the invoice balance ({balance})"
            )
        now = engine.clock.now()
        user = engine.store.get("users", call.caller.actor or "") or {}
        date = parse_instant(body["paymentDate"]) if body.get("paymentDate") else now
        payment = {
            "id": new_id(engine.surface.collections[PAYMENTS], now),
            "workspaceId": workspace,
            "invoiceId": invoice["id"],
            "amount": amount,
            "note": body.get("note"),
            "date": iso(date),
            "author": user.get("name"),
        }
        engine.store.put(PAYMENTS, payment["id"], payment)
        invoice = {**invoice, "paid": int(invoice.get("paid") or 0) + amount}
        if invoice.get("status") == "UNSENT":
            invoice["status"] = "SENT"  # a paid invoice has been sent
        invoice = _settle(invoice)
        engine.store.put(INVOICES, invoice["id"], invoice)
    return Reply(201, invoice)


@behaviour.handler("deleteInvoicePayment")
def delete_invoice_payment(engine: Engine, call: Call) -> Reply:
    """DELETE .../invoices/{invoiceId}/payments/{paymentId}: 404 unless the payment belongs
    to the invoice; delete it; invoice `paid` -= amount, `balance` recomputed, `status` PAID
    / PARTIALLY_PAID / (nothing paid) SENT — unless the invoice is VOID or UNSENT, which
    stay; answer the invoice (200).
    """
    with engine.store.transaction():
        invoice = _load(engine, call)
        payment = engine.store.get(PAYMENTS, str(call.params["paymentId"]))
        if payment is None or payment.get("invoiceId") != invoice["id"]:
            raise errors.NotFound(f"Payment with id {call.params['paymentId']} doesn't exist")
        engine.store.delete(PAYMENTS, payment["id"])
        paid = max(int(invoice.get("paid") or 0) - int(payment.get("amount") or 0), 0)
        invoice = _settle({**invoice, "paid": paid})
        engine.store.put(INVOICES, invoice["id"], invoice)
    return Reply(200, invoice)


# ---------------------------------------------------------------- settings and export
@behaviour.handler("getInvoiceSettings")
def get_invoice_settings(engine: Engine, call: Call) -> Reply:
    """GET .../invoices/settings: the workspace's invoice settings from an engine-internal
    store keyed by workspace (not a declared collection); default `{defaults: {dueDays: 30,
    tax 0, tax2 0, taxPercent 0, tax2Percent 0, taxType SIMPLE, ids/notes/subject null},
    exportFields: all true except rtl false, labels: English captions (AMOUNT, BILL FROM,
    BILL TO, DESCRIPTION, DISCOUNT, DUE DATE, ISSUE DATE, ITEM TYPE, NOTES, PAID, QUANTITY,
    SUBTOTAL, TAX, TAX2, AMOUNT, TOTAL AMOUNT DUE, UNIT PRICE)}`.
    """
    return Reply(200, _settings(engine, call.params["workspaceId"]))


@behaviour.handler("updateInvoiceSettings")
def update_invoice_settings(engine: Engine, call: Call) -> Reply:
    """PUT .../invoices/settings: replace `labels` (request `totalAmountDue` →
    `labels.totalAmount`; labels left out keep their value), and `defaults`/`exportFields`
    when given (merged; `tax`/`tax2` in the answer mirror `taxPercent`/`tax2Percent`); 200,
    no body.
    """
    workspace, body = call.params["workspaceId"], call.body or {}
    with engine.store.transaction():
        settings = _settings(engine, workspace)
        labels = dict(body.get("labels") or {})
        if "totalAmountDue" in labels:
            labels["totalAmount"] = labels.pop("totalAmountDue")
        settings["labels"].update({k: v for k, v in labels.items() if k in LABELS})
        settings["defaults"].update(body.get("defaults") or {})
        settings["defaults"]["tax"] = settings["defaults"].get("taxPercent") or 0
        settings["defaults"]["tax2"] = settings["defaults"].get("tax2Percent") or 0
        settings["exportFields"].update(body.get("exportFields") or {})
        engine.store.put(SETTINGS, workspace, {"id": workspace, "settings": settings})
    return Reply(200)


@behaviour.handler("exportInvoice")
def export_invoice(engine: Engine, call: Call) -> Reply:
    """GET .../invoices/{invoiceId}/export: 404 for an unknown invoice; answer a small PDF
    (content type application/pdf) listing number, client, dates, items and totals with the
    settings' labels; `userLocale` may be ignored for formatting.
    """
    invoice = _load(engine, call)
    labels = _settings(engine, call.params["workspaceId"])["labels"]
    lines = [
        f"INVOICE {invoice.get('number')}",
        f"{labels['billTo']}: {invoice.get('clientName') or ''}",
        f"{labels['issueDate']}: {str(invoice.get('issuedDate') or '')[:10]}",
        f"{labels['dueDate']}: {str(invoice.get('dueDate') or '')[:10]}",
        *(
            f"{item.get('description') or ''}  {item.get('quantity')} x {item.get('unitPrice')}"
            for item in invoice.get("items") or []
        ),
        f"{labels['subtotal']}: {invoice.get('subtotal')} {invoice.get('currency')}",
        f"{labels['totalAmount']}: {invoice.get('balance')} {invoice.get('currency')}",
    ]
    # an ASCII name for every client, the exact one (RFC 6266) for those that read it
    number = str(invoice.get("number") or invoice["id"])
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", number)
    exact = f"UTF-8''invoice-{quote(number)}.pdf"
    name = f'attachment; filename="invoice-{plain}.pdf"; filename*={exact}'
    headers = {"Content-Type": "application/pdf", "Content-Disposition": name}
    return Reply(200, text_pdf(lines), headers)


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines`` in Helvetica: enough for a client to save and open."""

    def escape(text: str) -> str:
        ascii_text = text.encode("latin-1", "replace").decode("latin-1")
        return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = "".join(f"({escape(line)}) Tj 0 -16 Td " for line in lines)
    stream = f"BT /F1 11 Tf 56 780 Td {text}ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
