"""The one permission matrix and the one guard every UI handler, API route and task goes through."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from app.services.errors import NotFound, PermissionDenied
from models import ROLES, Membership, User, Workspace

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
    A workspace that requires two-factor refuses members without it (they are told how to fix it).
    """
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    row = session.exec(
        select(Membership, Workspace.require_2fa)
        .join(Workspace, col(Workspace.id) == col(Membership.workspace_id))
        .where(Membership.user_id == user_id, Membership.workspace_id == workspace_id)
    ).first()
    if row is None:
        raise NotFound("workspace not found", field="workspace_id")
    m, require_2fa = row
    if require_2fa:
        user = session.get(User, user_id)
        if user is None or not user.totp_secret:
            raise PermissionDenied("this workspace requires two-factor authentication: turn it on in your "
                                   "account settings, then try again")
    if not can(m.role, permission):
        raise PermissionDenied(f"your role ({m.role}) cannot do this ({permission}); ask a workspace admin")
    return m


def matrix_markdown() -> str:
    """The matrix as the Markdown table in README.md (a test keeps the two the same)."""
    roles = [r for r in ROLES if r in MATRIX]
    lines = ["| permission | " + " | ".join(roles) + " |", "|---|" + "---|" * len(roles)]
    for perm in sorted(ALL_PERMISSIONS):
        lines.append(f"| `{perm}` | " + " | ".join("✓" if can(r, perm) else "" for r in roles) + " |")
    return "\n".join(lines)
