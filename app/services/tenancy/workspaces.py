"""Workspaces and their members: create, rename, time zone, 2FA policy, roles, removal.

Every change goes through `permissions.require`; Row Level Security below it refuses the same things
again if a bug ever skipped the guard. Invitations live in `app/services/tenancy/invitations.py`.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.services import audit, zones
from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.tenancy import permissions
from models import ROLES, Membership, User, Workspace

NAME_MAX = 120


@dataclass(frozen=True)
class MyWorkspace:
    workspace: Workspace
    role: str


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    email: str
    display_name: str
    role: str
    has_2fa: bool
    joined_at: datetime


def has_2fa(user: User) -> bool:
    """Two-factor is on when the user holds a confirmed TOTP secret (the accounts service sets it)."""
    return bool(user.totp_secret)


def clean_name(name: str, field: str = "name") -> str:
    """A workspace name: 1-120 characters, no control characters. HTML is kept as text (the UI escapes)."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise ValidationFailed(f"{field}: give the workspace a name", field=field)
    if len(name) > NAME_MAX:
        raise ValidationFailed(f"{field}: at most {NAME_MAX} characters (this one has {len(name)})",
                               field=field)
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise ValidationFailed(f"{field}: remove line breaks and control characters", field=field)
    return name


def clean_timezone(tz: str | None, field: str = "timezone") -> str:
    """A typed zone name, trimmed, by the one time-zone rule (app.services.zones)."""
    return zones.valid_zone((tz or "").strip(), field)


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:48] or "workspace"
    return f"{base}-{secrets.token_hex(4)}"


def create_workspace(session: Session, user_id: uuid.UUID, name: str, timezone: str = "UTC") -> Workspace:
    """A new workspace; its creator is its owner."""
    ws = Workspace(name=clean_name(name), slug=_slug(name), timezone=clean_timezone(timezone))
    session.add(ws)
    session.flush()  # the workspace row first: the owner's membership points at it
    session.add(Membership(workspace_id=ws.id, user_id=user_id, role="owner"))
    session.flush()
    audit.record(session, "workspace.created", actor_id=user_id, workspace_id=ws.id,
                 subject_type="workspace", subject_id=ws.id)
    session.flush()
    return ws


def my_workspaces(session: Session, user_id: uuid.UUID) -> list[MyWorkspace]:
    """The workspaces the user belongs to, by name: what the workspace switcher lists."""
    rows = session.exec(
        select(Workspace, Membership.role)
        .join(Membership, col(Membership.workspace_id) == col(Workspace.id))
        .where(Membership.user_id == user_id)
        .order_by(col(Workspace.name), col(Workspace.created_at))
    ).all()
    return [MyWorkspace(ws, role) for ws, role in rows]


def get_workspace(session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID) -> MyWorkspace:
    m = permissions.require(session, user_id, workspace_id, "workspace:read")
    ws = session.get(Workspace, workspace_id)
    assert ws is not None
    return MyWorkspace(ws, m.role)


def _manage(session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID) -> Workspace:
    permissions.require(session, user_id, workspace_id, "workspace:manage")
    ws = session.get(Workspace, workspace_id)
    assert ws is not None
    return ws


def rename(session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID, name: str) -> Workspace:
    ws = _manage(session, user_id, workspace_id)
    new = clean_name(name)
    if new != ws.name:
        audit.record(session, "workspace.renamed", actor_id=user_id, workspace_id=ws.id,
                     subject_type="workspace", subject_id=ws.id, old=ws.name, new=new)
        ws.name = new
        session.add(ws)
        session.flush()
    return ws


def set_timezone(session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID, timezone: str) -> Workspace:
    ws = _manage(session, user_id, workspace_id)
    tz = clean_timezone(timezone)
    if tz != ws.timezone:
        audit.record(session, "workspace.timezone_changed", actor_id=user_id, workspace_id=ws.id,
                     subject_type="workspace", subject_id=ws.id, old=ws.timezone, new=tz)
        ws.timezone = tz
        session.add(ws)
        session.flush()
    return ws


def set_require_2fa(
    session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID, required: bool
) -> Workspace:
    """Require two-factor of every member. The one turning it on must have it, or they lock themself out."""
    ws = _manage(session, user_id, workspace_id)
    if required and not ws.require_2fa:
        me = session.get(User, user_id)
        if me is None or not has_2fa(me):
            raise ValidationFailed(
                "require_2fa: turn on two-factor authentication for your own account first "
                "(account settings), then require it of the workspace", field="require_2fa")
    if required != ws.require_2fa:
        audit.record(session, "workspace.2fa_policy_changed", actor_id=user_id, workspace_id=ws.id,
                     subject_type="workspace", subject_id=ws.id, required=required)
        ws.require_2fa = required
        session.add(ws)
        session.flush()
    return ws


def delete_workspace(session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID) -> None:
    permissions.require(session, user_id, workspace_id, "workspace:delete")
    ws = session.get(Workspace, workspace_id)
    assert ws is not None
    audit.record(session, "workspace.deleted", actor_id=user_id, subject_type="workspace",
                 subject_id=ws.id, name=ws.name)
    session.delete(ws)
    session.flush()


def members(session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID) -> list[Member]:
    permissions.require(session, user_id, workspace_id, "workspace:read")
    rows = session.exec(
        select(Membership, User).join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.workspace_id == workspace_id)
        .order_by(col(Membership.created_at))
    ).all()
    return [Member(u.id, u.email, u.display_name, m.role, has_2fa(u), m.created_at) for m, u in rows]


def _owners_locked(session: Session, workspace_id: uuid.UUID) -> list[Membership]:
    """The owners' rows, locked: two owners demoting each other at once cannot leave none."""
    return list(session.exec(
        select(Membership).where(Membership.workspace_id == workspace_id, Membership.role == "owner")
        .with_for_update()
    ).all())


def _member_row(session: Session, workspace_id: uuid.UUID, member_id: uuid.UUID) -> Membership:
    m = permissions.membership(session, member_id, workspace_id)
    if m is None:
        raise NotFound("member: this person is not a member of the workspace", field="user_id")
    return m


def change_role(
    session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, member_id: uuid.UUID, role: str
) -> Membership:
    """Owners and admins change roles; only an owner makes or unmakes an owner; the last owner stays."""
    if role not in ROLES:
        raise ValidationFailed(f"role: {role[:40]!r} is not a role; pick one of {', '.join(ROLES)}",
                               field="role")
    actor = permissions.require(session, actor_id, workspace_id, "member:manage")
    target = _member_row(session, workspace_id, member_id)
    if (role == "owner" or target.role == "owner") and not permissions.can(actor.role, "owner:transfer"):
        raise PermissionDenied("role: only an owner can make someone an owner or change an owner's role")
    if target.role == role:
        return target
    if target.role == "owner":
        owners = _owners_locked(session, workspace_id)
        if len(owners) <= 1:
            raise Conflict("role: this is the workspace's last owner; make another member owner first",
                           field="role")
    old = target.role
    target.role = role
    session.add(target)
    audit.record(session, "member.role_changed", actor_id=actor_id, workspace_id=workspace_id,
                 subject_type="user", subject_id=member_id, old=old, new=role)
    session.flush()
    return target


def remove_member(
    session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, member_id: uuid.UUID
) -> None:
    """Admins remove members (owners only by an owner); anyone may leave; the last owner cannot go."""
    if member_id == actor_id:
        actor = permissions.require(session, actor_id, workspace_id, "workspace:read")
        target = actor
    else:
        actor = permissions.require(session, actor_id, workspace_id, "member:manage")
        target = _member_row(session, workspace_id, member_id)
        if target.role == "owner" and not permissions.can(actor.role, "owner:transfer"):
            raise PermissionDenied("user_id: only an owner can remove an owner")
    if target.role == "owner" and len(_owners_locked(session, workspace_id)) <= 1:
        raise Conflict("user_id: this is the workspace's last owner; make another member owner first, "
                       "or delete the workspace", field="user_id")
    audit.record(session, "member.removed", actor_id=actor_id, workspace_id=workspace_id,
                 subject_type="user", subject_id=member_id, role=target.role)
    session.flush()  # written while the actor is still a member (RLS checks that)
    session.delete(target)
    session.flush()
