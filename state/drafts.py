"""Drafts page: the workspace's unscheduled posts; open one in the composer, or delete it (confirmed).

Thin: drafts.list_drafts and posts.delete_post through `self.run` (post:delete checked by the service)."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import reflex as rx

from app.services.errors import DomainError
from app.services.planning import drafts, posts
from state.forms import ConfirmDialog
from state.workspace import WorkspaceState


def _rows(session, user_id, workspace_id, tz_name):  # type: ignore[no-untyped-def]
    tz = ZoneInfo(tz_name)
    return [
        {"id": str(d.post_id), "excerpt": d.excerpt or "(no text yet)",
         "channels": ", ".join(d.channels) or "no channel yet",
         "status": d.status.replace("_", " "),
         "updated": d.updated_at.astimezone(tz).strftime("%d %b %Y, %H:%M")}
        for d in drafts.list_drafts(session, user_id, workspace_id)
    ]


def _delete(session, user_id, workspace_id, post_id):  # type: ignore[no-untyped-def]
    posts.delete_post(session, user_id, post_id)


class DraftsState(ConfirmDialog, WorkspaceState):
    rows: list[dict[str, str]] = []
    error: str = ""
    loaded: bool = False

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        if not self._workspace_id:
            return
        self.confirm_id, self.error = "", ""
        await self._refresh()

    async def _refresh(self) -> None:
        self.rows = await self.run(_rows, self.workspace_timezone)
        self.loaded = True

    @rx.event
    def ask_delete(self, post_id: str) -> None:
        row = next((r for r in self.rows if r["id"] == post_id), None)
        if row is not None:
            self.confirm_id, self.confirm_label, self.error = post_id, row["excerpt"][:80], ""

    @rx.event
    async def delete(self):  # type: ignore[no-untyped-def]
        post_id = self._confirmed()
        if not post_id:
            return
        try:
            await self.run(_delete, uuid.UUID(post_id))
        except DomainError as exc:
            self.error = exc.message
        await self._refresh()
        if not self.error:
            yield rx.toast.success("Draft deleted.")
