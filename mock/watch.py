"""``understudy serve --watch``: rebuild the mock when a served spec file changes.

The server keeps running; requests go to whichever mock is current. A new mock takes over
the records of every collection whose records all still fit its schema in the new spec (the
others start again from generated data, and the log says so). A spec that no longer loads
keeps the previous mock serving and logs the one-line reason.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from starlette.types import Receive, Scope, Send

from understudy import specs
from understudy.mock.app import Mock, create_app

log = logging.getLogger("understudy.mock")


class Reloader:
    """An ASGI app in front of the current mock."""

    def __init__(self, mock: Mock) -> None:
        self.mock = mock
        self.stop = threading.Event()
        self.paths = [str(u.path) for u in mock.user_specs if u.path]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.mock.app(scope, receive, send)

    def start(self) -> Reloader:
        if self.paths:
            threading.Thread(target=self._watch, name="understudy-watch", daemon=True).start()
        return self

    def _watch(self) -> None:
        from watchfiles import watch

        for _ in watch(*self.paths, stop_event=self.stop, debounce=300):
            self.reload()

    def reload(self) -> Mock | None:
        """Build the mock anew from the files; carry over what still fits. None if the specs
        no longer load (the previous mock keeps serving)."""
        try:
            fresh = create_app(self.mock.config)
        except specs.SpecError as exc:
            log.warning("kept the previous version: %s", exc)
            print(f"understudy: kept the previous version: {exc}", flush=True)
            return None
        kept, dropped = carry_over(self.mock, fresh)
        self.mock = fresh
        print(
            "understudy: reloaded"
            + (f"; kept {', '.join(kept)}" if kept else "")
            + (f"; started afresh: {', '.join(dropped)}" if dropped else ""),
            flush=True,
        )
        return fresh


def carry_over(old: Mock, new: Mock) -> tuple[list[str], list[str]]:
    """Move each collection's records from ``old`` to ``new`` where every record validates
    against the collection's schema in the new spec; returns (kept, dropped) labels."""
    kept: list[str] = []
    dropped: list[str] = []
    for mounted in new.mounted:
        name = mounted.mount.surface
        if name not in old.stores or not any(u.name == name for u in new.user_specs):
            continue
        before = old.stores[name].dump()
        after = new.stores[name].dump()
        for cname, collection in mounted.surface.collections.items():
            records = before.get(cname)
            if records is None:
                continue
            if _fits(mounted.spec, collection.schema, records):
                after[cname] = records
                kept.append(f"{name}.{cname} ({len(records)})")
            else:
                dropped.append(f"{name}.{cname} (its schema changed)")
        new.stores[name].load(after, replace=True)
    return kept, dropped


def _fits(spec: dict[str, Any], schema: str, records: list[Any]) -> bool:
    validator = specs.validator(spec, f"/components/schemas/{schema}")
    return all(validator.is_valid(record) for record in records)
