"""Reading the audit log: a workspace's admins see its entries, newest first, a page at a time."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from app.core import db
from app.services import admins, permissions
from app.services.errors import ValidationFailed
from models import AuditLog, User

PAGE_MAX = 200


def entries(
    session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID, *, limit: int = 50,
    before: datetime | None = None, action: str | None = None,
) -> list[tuple[AuditLog, str | None]]:
    """(entry, actor e-mail) pairs; `before` pages back in time, `action` filters (prefix, e.g. "member.")."""
    permissions.require(session, user_id, workspace_id, "audit:read")
    if not 1 <= limit <= PAGE_MAX:
        raise ValidationFailed(f"limit: ask for 1 to {PAGE_MAX} entries", field="limit")
    query = (
        select(AuditLog, User.email).outerjoin(User, col(User.id) == col(AuditLog.actor_id))
        .where(AuditLog.workspace_id == workspace_id)
    )
    if before is not None:
        if before.tzinfo is None:
            raise ValidationFailed("before: give a time zone (e.g. 2026-11-26T12:00:00Z)", field="before")
        query = query.where(col(AuditLog.created_at) < before)
    if action:
        query = query.where(col(AuditLog.action).startswith(action[:64], autoescape=True))
    rows = session.exec(query.order_by(col(AuditLog.created_at).desc()).limit(limit)).all()
    return [(entry, email) for entry, email in rows]


def instance_entries(
    session: Session, user_id: uuid.UUID, *, limit: int = 50, before: datetime | None = None,
    action: str | None = None,
) -> list[tuple[AuditLog, str | None]]:
    """Every workspace's entries and the instance's own (sign-ins, admin grants): instance admins only."""
    admins.require_instance_admin(session, user_id)
    if not 1 <= limit <= PAGE_MAX:
        raise ValidationFailed(f"limit: ask for 1 to {PAGE_MAX} entries", field="limit")
    query = select(AuditLog, User.email).outerjoin(User, col(User.id) == col(AuditLog.actor_id))
    if before is not None:
        if before.tzinfo is None:
            raise ValidationFailed("before: give a time zone (e.g. 2026-11-26T12:00:00Z)", field="before")
        query = query.where(col(AuditLog.created_at) < before)
    if action:
        query = query.where(col(AuditLog.action).startswith(action[:64], autoescape=True))
    with db.as_service(session):  # beyond the admin's own workspaces, by design of the role
        rows = session.exec(query.order_by(col(AuditLog.created_at).desc()).limit(limit)).all()
    return [(entry, email) for entry, email in rows]
