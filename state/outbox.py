"""The instance Outbox page: every mail Quillcast sent or holds. Administrators only (checked in the
service on every load, from the session cookie)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import reflex as rx
from sqlmodel import Session

from app.services.errors import PermissionDenied
from app.services.messaging import email
from state.auth import AuthState, in_db

# A link in a mail's text ends at a space or a bracket; a full stop or comma after it is the sentence's.
LINK = re.compile(r"https?://[^\s<>\"'()\[\]]+")


@dataclass
class Part:
    """A piece of a mail's text: plain text, or a link (`href` set) drawn as an anchor."""

    text: str
    href: str = ""


@dataclass
class Mail:
    id: str
    recipient: str
    subject: str
    status: str
    attempts: str
    error: str
    created: str
    parts: list[Part] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


def split_links(body: str) -> tuple[list[Part], list[str]]:
    """The text in parts, each link its own part, and the links in order (each once)."""
    parts: list[Part] = []
    links: list[str] = []
    at = 0
    for match in LINK.finditer(body):
        url = match.group(0).rstrip(".,;:!?")
        start, end = match.start(), match.start() + len(url)
        if start > at:
            parts.append(Part(body[at:start]))
        parts.append(Part(url, href=url))
        if url not in links:
            links.append(url)
        at = end
    if at < len(body):
        parts.append(Part(body[at:]))
    return parts, links


def _rows(session: Session, viewer_id: uuid.UUID, status: str) -> list[Mail]:
    rows = []
    for m in email.outbox_for_admin(session, viewer_id, status=status):
        parts, links = split_links(m.text_body)
        rows.append(Mail(
            id=str(m.id), recipient=m.to_address, subject=m.subject, status=m.status,
            attempts=str(m.attempts), error=m.last_error or "",
            created=m.created_at.strftime("%Y-%m-%d %H:%M UTC"), parts=parts, links=links,
        ))
    return rows


class OutboxState(AuthState):
    rows: list[Mail] = []
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
