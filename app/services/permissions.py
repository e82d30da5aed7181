"""The one permission matrix and the one guard every UI handler, API route and task goes through."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from app.services.errors import NotFound, PermissionDenied
from models import Membership

# role -> permissions. Contributors write posts that need approval; viewers only read.
_VIEWER = {"workspace:read", "post:read", "channel:read", "analytics:read"}
_CONTRIBUTOR = _VIEWER | {"post:create", "post:submit", "media:upload"}
_EDITOR = _CONTRIBUTOR | {"post:edit_any", "post:schedule", "post:publish", "post:approve", "post:delete",
                          "slot:manage"}
_ADMIN = _EDITOR | {"channel:manage", "member:invite", "member:manage", "workspace:manage", "audit:read"}
_OWNER = _ADMIN | {"workspace:delete", "owner:transfer"}

MATRIX: dict[str, frozenset[str]] = {
    "viewer": frozenset(_VIEWER),
    "contributor": frozenset(_CONTRIBUTOR),
    "editor": frozenset(_EDITOR),
    "admin": frozenset(_ADMIN),
    "owner": frozenset(_OWNER),
}
ALL_PERMISSIONS = frozenset(_OWNER)


def can(role: str, permission: str) -> bool:
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission in MATRIX.get(role, frozenset())


def membership(session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.user_id == user_id, Membership.workspace_id == workspace_id)
    ).first()


def require(session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID, permission: str) -> Membership:
    """The member's row when they may do `permission` in the workspace; raises otherwise.

    A non-member gets NotFound, not PermissionDenied: whether a workspace exists is not told to outsiders.
    """
    m = membership(session, user_id, workspace_id)
    if m is None:
        raise NotFound("workspace not found", field="workspace_id")
    if not can(m.role, permission):
        raise PermissionDenied(f"your role ({m.role}) cannot do this ({permission}); ask a workspace admin")
    return m
