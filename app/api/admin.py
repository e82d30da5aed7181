"""Instance-wide views for instance administrators (made with `quillcast create-admin`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import InstanceAdmin, SessionDep
from app.api.workspaces import AuditEntryOut
from app.services.tenancy import audit_log

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/audit", response_model=list[AuditEntryOut])
def instance_audit_log(
    admin: InstanceAdmin, session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=audit_log.PAGE_MAX)] = 50,
    before: datetime | None = None, action: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AuditEntryOut]:
    """The whole instance's audit log, newest first."""
    rows = audit_log.instance_entries(session, admin.id, limit=limit, before=before, action=action)
    return [AuditEntryOut(id=e.id, action=e.action, actor_id=e.actor_id, actor_email=email,
                          subject_type=e.subject_type, subject_id=e.subject_id, ip=e.ip, details=e.details,
                          created_at=e.created_at) for e, email in rows]
