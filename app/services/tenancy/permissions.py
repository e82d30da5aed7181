"""The one permission matrix and the one guard every UI handler, API route and task goes through."""

from __future__ import annotations

import uuid

from sqlalchemy import event, inspect
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
    found = _member_of(session, user_id, workspace_id)
    if found is None:
        raise NotFound("workspace not found", field="workspace_id")
    m, workspace = found
    if workspace.require_2fa:
        user = session.get(User, user_id)
        if user is None or not user.totp_secret:
            raise PermissionDenied("this workspace requires two-factor authentication: turn it on in your "
                                   "account settings, then try again")
    if not can(m.role, permission):
        raise PermissionDenied(f"your role ({m.role}) cannot do this ({permission}); ask a workspace admin")
    return m


# (user, workspace) -> (membership, workspace), for the rest of the transaction: the API's route dependency
# and the service it calls check the same member, and the second check reuses the rows the first one read
# (the same objects: a role or 2FA policy changed in this session shows; a deleted row is looked up again).
_SEEN = "quillcast_memberships_seen"
Seen = dict[tuple[uuid.UUID, uuid.UUID], tuple[Membership, Workspace]]


def _seen(session: Session) -> Seen:
    seen = session.info.get(_SEEN)
    if seen is None:
        seen = session.info[_SEEN] = {}
        event.listen(session, "after_transaction_end", _forget_seen)
    return seen


def _forget_seen(session: Session, _transaction: object) -> None:
    # Another transaction may have changed the membership since: the next one looks again.
    session.info[_SEEN] = {}


def _member_of(session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID,
               ) -> tuple[Membership, Workspace] | None:
    key = (user_id, workspace_id)
    seen = _seen(session)
    if key in seen and all(_live(session, row) for row in seen[key]):
        return seen[key]
    row = session.exec(
        select(Membership, Workspace)
        .join(Workspace, col(Workspace.id) == col(Membership.workspace_id))
        .where(Membership.user_id == user_id, Membership.workspace_id == workspace_id)
        # Fresh from the database (after the autoflush), not as an earlier transaction left the objects.
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        seen.pop(key, None)
        return None
    seen[key] = (row[0], row[1])
    return seen[key]


def _live(session: Session, row: object) -> bool:
    return inspect(row).persistent and row not in session.deleted


def matrix_markdown() -> str:
    """The matrix as the Markdown table in README.md (a test keeps the two the same)."""
    roles = [r for r in ROLES if r in MATRIX]
    lines = ["| permission | " + " | ".join(roles) + " |", "|---|" + "---|" * len(roles)]
    for perm in sorted(ALL_PERMISSIONS):
        lines.append(f"| `{perm}` | " + " | ".join("✓" if can(r, perm) else "" for r in roles) + " |")
    return "\n".join(lines)
