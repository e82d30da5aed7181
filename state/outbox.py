"""The instance Outbox page: every mail Quillcast sent or holds. Administrators only (checked in the
service on every load, from the session cookie)."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx
from sqlmodel import Session

from app.services import email
from app.services.errors import PermissionDenied
from state.auth import AuthState, in_db


def _rows(session: Session, viewer_id: uuid.UUID, status: str) -> list[dict[str, str]]:
    return [
        {
            "id": str(m.id),
            "to": m.to_address,
            "subject": m.subject,
            "status": m.status,
            "attempts": str(m.attempts),
            "error": m.last_error or "",
            "body": m.text_body,
            "created": m.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        }
        for m in email.outbox_for_admin(session, viewer_id, status=status)
    ]


class OutboxState(AuthState):
    rows: list[dict[str, str]] = []
    status_filter: str = "all"
    allowed: bool = True
    opened: str = ""  # the id of the mail whose text is shown

    async def _reload(self) -> Any:
        user_id = self.current_user_id()
        if user_id is None:
            return rx.redirect("/signin")
        status = "" if self.status_filter == "all" else self.status_filter
        try:
            self.rows = await in_db(_rows, user_id, status)
            self.allowed = True
        except PermissionDenied:
            self.rows, self.allowed = [], False
        return None

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        self.opened = ""
        return await self._reload()

    @rx.event
    async def set_status_filter(self, value: str):  # type: ignore[no-untyped-def]
        self.status_filter = value if value in ("all", "held", "queued", "sent", "failed") else "all"
        return await self._reload()

    @rx.event
    def toggle(self, mail_id: str) -> None:
        self.opened = "" if self.opened == mail_id else mail_id
