"""The answer of an operation no collection backs: its spec's example, or a value generated
from its schema when the spec was read (``respond`` in its declaration)."""

from __future__ import annotations

import json

from understudy.mock.engine import Call, Engine, Reply
from understudy.mock.surfaces.own import behaviour


@behaviour.handler("examples")
def examples(engine: Engine, call: Call) -> Reply:
    """The operation's declared answer: its status, its media type, its example body."""
    respond = call.binding.options.get("respond") or {}
    status = int(respond.get("status", 200))
    media = respond.get("media")
    body = respond.get("body")
    if media is None or status == 204:
        return Reply(status)
    if "json" in media:
        if media == "application/json":
            return Reply(status, body)
        return Reply(status, json.dumps(body).encode(), {"Content-Type": media})
    text = body if isinstance(body, str) else ""
    return Reply(status, text.encode(), {"Content-Type": media})
