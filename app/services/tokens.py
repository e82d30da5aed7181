"""API sessions: a short JWT access token plus a rotating refresh token.

Each refresh hands out a new refresh token and marks the old one used. The old one coming back means
two parties hold the family (a thief and its owner): the whole family is revoked and both must sign in
again. Only sha256 hashes of refresh tokens are stored.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select, update

from app.core import db
from app.core.security import ACCESS_TOKEN_TTL, create_access_token
from app.services import audit
from app.services.errors import NotAuthenticated
from models import RefreshToken, User

REFRESH_TOKEN_TTL = timedelta(days=30)
PREFIX = "qcr_"
_INVALID = "the refresh token is invalid, expired or revoked: sign in again"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds until the access token expires
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new(session: Session, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime) -> TokenPair:
    refresh = PREFIX + secrets.token_urlsafe(32)
    session.add(RefreshToken(user_id=user_id, family_id=family_id, token_hash=_hash(refresh),
                             expires_at=now + REFRESH_TOKEN_TTL))
    session.flush()
    access = create_access_token(user_id)
    return TokenPair(access, refresh, int(ACCESS_TOKEN_TTL.total_seconds()))


def issue(session: Session, user_id: uuid.UUID) -> TokenPair:
    """A new family for a user who just proved who they are (sign-in, OIDC, Supabase)."""
    with db.as_service(session):
        return _new(session, user_id, uuid.uuid4(), datetime.now(UTC))


def rotate(session: Session, refresh_token: str) -> TokenPair:
    """Trade a refresh token for a new pair. A reused token revokes its family, which is committed at
    once (the caller's transaction then fails with NotAuthenticated, but the revocation stays)."""
    if not refresh_token.startswith(PREFIX) or len(refresh_token) > 200:
        raise NotAuthenticated(_INVALID, field="refresh_token")
    now = datetime.now(UTC)
    with db.as_service(session):
        row = session.exec(
            select(RefreshToken).where(RefreshToken.token_hash == _hash(refresh_token)).with_for_update()
        ).first()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise NotAuthenticated(_INVALID, field="refresh_token")
        if row.used_at is not None:
            _revoke_family(session, row.family_id, now)
            audit.record(session, "refresh_token.reused", actor_id=row.user_id, subject_type="token_family",
                         subject_id=row.family_id)
            session.commit()
            raise NotAuthenticated("this refresh token was already used, so it may have been stolen: every "
                                   "session of it is signed out; sign in again", field="refresh_token")
        user = session.get(User, row.user_id)
        if user is None or not user.is_active:
            raise NotAuthenticated(_INVALID, field="refresh_token")
        row.used_at = now
        session.add(row)
        return _new(session, row.user_id, row.family_id, now)


def _revoke_family(session: Session, family_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        update(RefreshToken).where(col(RefreshToken.family_id) == family_id,
                                   col(RefreshToken.revoked_at).is_(None)).values(revoked_at=now)
    )


def revoke(session: Session, refresh_token: str) -> None:
    """Sign-out of an API client: its whole family stops working. Unknown tokens are ignored."""
    with db.as_service(session):
        row = session.exec(
            select(RefreshToken).where(RefreshToken.token_hash == _hash(refresh_token))).first()
        if row is not None:
            _revoke_family(session, row.family_id, datetime.now(UTC))
            session.flush()


def revoke_all(session: Session, user_id: uuid.UUID) -> int:
    """Every refresh token of a user (password change, "sign out everywhere")."""
    with db.as_service(session):
        result = session.execute(
            update(RefreshToken).where(col(RefreshToken.user_id) == user_id,
                                       col(RefreshToken.revoked_at).is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
