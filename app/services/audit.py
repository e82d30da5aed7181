"""The audit log of security and publishing events. Never pass a secret in `details`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from models import AuditLog


def record(
    session: Session,
    action: str,
    *,
    actor_id: uuid.UUID | None = None,
    workspace_id: uuid.UUID | None = None,
    subject_type: str | None = None,
    subject_id: uuid.UUID | str | None = None,
    ip: str | None = None,
    **details: Any,
) -> AuditLog:
    entry = AuditLog(
        action=action, actor_id=actor_id, workspace_id=workspace_id, subject_type=subject_type,
        subject_id=str(subject_id) if subject_id else None, ip=ip, details=details,
    )
    session.add(entry)
    return entry
