"""Audit log page (admins): the workspace's entries, newest first, a page at a time ("Older" /
"Newest"), as sentences in the workspace's time zone. Thin: app/services/audit_log.readable writes them
and checks audit:read."""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from app.services.errors import DomainError
from app.services.tenancy import audit_log
from state.workspace import WorkspaceState

PAGE = 25


def _page(session, user_id, workspace_id, before_iso, zone):  # type: ignore[no-untyped-def]
    before = datetime.fromisoformat(before_iso) if before_iso else None
    lines = audit_log.readable(session, user_id, workspace_id, zone_name=zone, limit=PAGE + 1, before=before)
    out = [{"sentence": line.sentence, "when": line.when, "action": line.action, "cursor": line.cursor}
           for line in lines[:PAGE]]
    return out, len(lines) > PAGE


class AuditState(WorkspaceState):
    rows: list[dict[str, str]] = []
    has_older: bool = False
    page_number: int = 1
    _cursors: list[str] = []
    error: str = ""
    loaded: bool = False

    @rx.var
    def can_read(self) -> bool:
        return "audit:read" in self.allowed

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        if not self._workspace_id:
            return
        self._cursors, self.page_number = [""], 1
        await self._show("")

    async def _show(self, before: str) -> None:
        self.error = ""
        try:
            self.rows, self.has_older = await self.run(_page, before, self.workspace_timezone)
        except DomainError as exc:
            self.rows, self.has_older, self.error = [], False, exc.message
        self.loaded = True

    @rx.event
    async def older(self):  # type: ignore[no-untyped-def]
        if not self.rows or not self.has_older:
            return
        cursor = self.rows[-1]["cursor"]
        self._cursors = [*self._cursors, cursor]
        self.page_number += 1
        await self._show(cursor)

    @rx.event
    async def newer(self):  # type: ignore[no-untyped-def]
        if len(self._cursors) <= 1:
            return
        self._cursors = self._cursors[:-1]
        self.page_number -= 1
        await self._show(self._cursors[-1])
