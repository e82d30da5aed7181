"""Invitations by e-mail: a single-use token, valid 7 days, for one address and one role.

Only the token's sha256 is stored; the token itself travels in the e-mail alone. Accepting runs the
look-up as the system (the invitee is not a member yet, so Row Level Security hides the row from them)
and checks everything itself: the address, expiry, single use.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.core import db
from app.core.config import get_settings
from app.services import audit
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.identity import accounts
from app.services.messaging import email as email_service
from app.services.tenancy import permissions
from models import INVITABLE_ROLES, Invitation, Membership, User, Workspace

INVITATION_TTL = timedelta(days=7)
EMAIL_MAX = accounts.EMAIL_MAX
TOKEN_MAX = 200


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    token: str  # for the e-mail only: never stored, never logged
    accept_url: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_email(email: str, field: str = "email") -> str:
    return accounts.normalize_email(email, field=field, missing="enter the e-mail address to invite")


def _send_mail(session: Session, to: str, context: dict[str, Any]) -> None:
    """Through the e-mail service's outbox (same transaction: no mail for an invitation rolled back)."""
    email_service.send_template(session, to, "invitation", context)


def invite(
    session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, email: str, role: str
) -> SentInvitation:
    permissions.require(session, actor_id, workspace_id, "member:invite")
    address = clean_email(email)
    if role not in INVITABLE_ROLES:
        raise ValidationFailed(
            f"role: invite as one of {', '.join(INVITABLE_ROLES)} (an owner is made by an owner, "
            "after joining)", field="role")
    with db.as_service(session):  # is the address already a member? (a non-member's row is hidden)
        already = session.exec(
            select(Membership.id).join(User, col(User.id) == col(Membership.user_id))
            .where(Membership.workspace_id == workspace_id, User.email.ilike(address))  # type: ignore[attr-defined]
        ).first()
    if already:
        raise Conflict(f"email: {address} is already a member of this workspace", field="email")
    now = datetime.now(UTC)
    # A new invitation replaces a pending one to the same address: only the latest link works.
    for old in session.exec(
        select(Invitation).where(
            Invitation.workspace_id == workspace_id, Invitation.email == address,
            Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),  # type: ignore[union-attr]
        )
    ).all():
        old.revoked_at = now
        session.add(old)
    token = secrets.token_urlsafe(32)
    inv = Invitation(workspace_id=workspace_id, email=address, role=role, token_hash=token_hash(token),
                     invited_by_id=actor_id, expires_at=now + INVITATION_TTL)
    session.add(inv)
    session.flush()
    ws = session.get(Workspace, workspace_id)
    inviter = session.get(User, actor_id)
    assert ws is not None and inviter is not None
    accept_url = f"{get_settings().url}/invitations/accept?token={token}"
    audit.record(session, "invitation.sent", actor_id=actor_id, workspace_id=workspace_id,
                 subject_type="invitation", subject_id=inv.id, role=role)
    inviter_name = inviter.display_name or inviter.email
    _send_mail(session, address, {
        "workspace_name": ws.name, "inviter_name": inviter_name, "role": role,
        "accept_url": accept_url, "expires_at": inv.expires_at.isoformat(),
        # the names app/emails/invitation.* use (without them rendering raised UndefinedError)
        "workspace": ws.name, "inviter": inviter_name, "link": accept_url,
        "expires": inv.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
    })
    session.flush()
    return SentInvitation(inv, token, accept_url)


def pending(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID) -> list[Invitation]:
    permissions.require(session, actor_id, workspace_id, "member:invite")
    return list(session.exec(
        select(Invitation).where(
            Invitation.workspace_id == workspace_id, Invitation.accepted_at.is_(None),  # type: ignore[union-attr]
            Invitation.revoked_at.is_(None), Invitation.expires_at > datetime.now(UTC),  # type: ignore[union-attr]
        ).order_by(col(Invitation.created_at))
    ).all())


def revoke(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, invitation_id: uuid.UUID) -> None:
    permissions.require(session, actor_id, workspace_id, "member:invite")
    inv = session.get(Invitation, invitation_id)
    if inv is None or inv.workspace_id != workspace_id:
        raise NotFound("invitation not found", field="invitation_id")
    if inv.accepted_at is None and inv.revoked_at is None:
        inv.revoked_at = datetime.now(UTC)
        session.add(inv)
        audit.record(session, "invitation.revoked", actor_id=actor_id, workspace_id=workspace_id,
                     subject_type="invitation", subject_id=inv.id)
        session.flush()


def accept(session: Session, user_id: uuid.UUID, token: str) -> Membership:
    """The signed-in user joins with the invited role; the token is used up."""
    bad_link = "token: this invitation link is not valid; ask the workspace admin for a new one"
    if not token or len(token) > TOKEN_MAX:
        raise NotFound(bad_link, field="token")
    with db.as_service(session):
        inv = session.exec(
            select(Invitation).where(Invitation.token_hash == token_hash(token)).with_for_update()
        ).first()
        if inv is None:
            raise NotFound(bad_link, field="token")
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(bad_link, field="token")
        if inv.accepted_at is not None:
            raise Conflict("token: this invitation was already used; ask for a new one if you need it",
                           field="token")
        if inv.revoked_at is not None:
            raise Conflict("token: this invitation was withdrawn or replaced by a newer one; use the "
                           "latest e-mail or ask for a new invitation", field="token")
        now = datetime.now(UTC)
        if inv.expires_at <= now:
            raise ValidationFailed(
                f"token: this invitation expired on {inv.expires_at:%Y-%m-%d %H:%M} UTC; ask the workspace "
                "admin to invite you again", field="token")
        if user.email.casefold() != inv.email.casefold():
            raise _wrong_address(inv.email)
        if permissions.membership(session, user_id, inv.workspace_id) is not None:
            raise Conflict("token: you are already a member of this workspace", field="token")
        inv.accepted_at, inv.accepted_by_id = now, user_id
        session.add(inv)
        m = Membership(workspace_id=inv.workspace_id, user_id=user_id, role=inv.role)
        session.add(m)
        audit.record(session, "invitation.accepted", actor_id=user_id, workspace_id=inv.workspace_id,
                     subject_type="invitation", subject_id=inv.id, role=inv.role)
        session.flush()
    return m


def _wrong_address(invited: str) -> ValidationFailed:
    """Wrong account: say which address was invited only in masked form (no leak to a stranger)."""
    local, _, domain = invited.partition("@")
    masked = f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"
    return ValidationFailed(
        f"token: this invitation was sent to {masked}; sign in with that address to accept it",
        field="token")
