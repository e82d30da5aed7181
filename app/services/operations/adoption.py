"""Feature adoption as the Status page shows it: only to instance administrators."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from app.services import usage
from app.services.identity import admins


def adoption_for_admin(session: Session, viewer_id: uuid.UUID | None, days: int = 30) -> usage.Adoption:
    admins.require_instance_admin(session, viewer_id)
    return usage.adoption(days)
