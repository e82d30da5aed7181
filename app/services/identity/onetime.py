"""Single-use links sent by e-mail (verify e-mail, reset password, change e-mail).

The token is 256 random bits; only its SHA-256 is stored. Consuming locks the row and stamps
`used_at` in the same transaction, so two clicks on one link cannot both succeed.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlmodel import Session, col, select, update

from app.services.errors import ValidationFailed
from models import OneTimeToken
from models.base import utcnow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session, user_id: uuid.UUID, purpose: str, ttl: timedelta, *, email: str | None = None
) -> str:
    """A new link token for `purpose`; earlier unused ones of the same purpose stop working."""
    revoke_unused(session, user_id, purpose)
    token = secrets.token_urlsafe(32)
    session.add(OneTimeToken(user_id=user_id, purpose=purpose, token_hash=_hash(token), email=email,
                             expires_at=utcnow() + ttl))
    session.flush()
    return token


def consume(session: Session, purposes: tuple[str, ...], token: str, *, field: str = "token") -> OneTimeToken:
    """Mark the token used and return it; a clear error when it is unknown, used or expired."""
    expired = ValidationFailed(
        f"{field}: this link has expired or was already used; ask for a new one", field=field
    )
    if not token or len(token) > 200:
        raise expired
    row = session.exec(
        select(OneTimeToken).where(OneTimeToken.token_hash == _hash(token)).with_for_update()
    ).first()
    if row is None or row.purpose not in purposes or row.used_at is not None or row.expires_at <= utcnow():
        raise expired
    row.used_at = utcnow()
    session.add(row)
    session.flush()
    return row


def find(session: Session, token: str) -> OneTimeToken | None:
    """The row of a token (used, expired or not), or None for an unknown one."""
    return session.exec(select(OneTimeToken).where(OneTimeToken.token_hash == _hash(token))).first()


def peek(session: Session, purposes: tuple[str, ...], token: str) -> bool:
    """Whether the token would be accepted now (for a form that checks the link before asking more)."""
    if not token or len(token) > 200:
        return False
    row = session.exec(select(OneTimeToken).where(OneTimeToken.token_hash == _hash(token))).first()
    return bool(row and row.purpose in purposes and row.used_at is None and row.expires_at > utcnow())


def revoke_unused(session: Session, user_id: uuid.UUID, purpose: str) -> None:
    session.execute(
        update(OneTimeToken)
        .where(col(OneTimeToken.user_id) == user_id, col(OneTimeToken.purpose) == purpose,
               col(OneTimeToken.used_at).is_(None))
        .values(used_at=utcnow())
    )
