"""API sessions: a short JWT access token plus a rotating refresh token.

Each refresh hands out a new refresh token and marks the old one used. The old one coming back means
two parties hold the family (a thief and its owner): the whole family is revoked and both must sign in
again. Only sha256 hashes of refresh tokens are stored.

Every access token names what it lives by: `sid` (a session in Redis, app.services.identity.sessions) or `fam`
(a refresh token family), and carries the user's token generation `gen`. `verify_access` checks both on
every request in Redis, without a database query: a session that ended, a family marked as ended (the
mark outlives the access tokens: it expires with them), or a generation bumped by "sign out
everywhere", a password change or a 2FA change ends the token on its next request.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select, update

from app.core import db
from app.core.redis import get_redis
from app.core.security import ACCESS_TOKEN_TTL, InvalidToken, create_access_token, decode_access_token
from app.services import audit
from app.services.errors import NotAuthenticated
from app.services.identity import sessions
from models import RefreshToken, User

REFRESH_TOKEN_TTL = timedelta(days=30)
PREFIX = "qcr_"
_INVALID = "the refresh token is invalid, expired or revoked: sign in again"
ENDED = ("this access token has ended (signed out, or the password or two-factor settings changed): "
         "sign in again")
_FAMILY_ENDED = "quillcast:token-family-ended:"
_GENERATION = "quillcast:token-generation:"
# An ended family's mark must outlive every access token minted from it (plus clock skew).
_MARK_SECONDS = int(ACCESS_TOKEN_TTL.total_seconds()) + 120


@dataclass(frozen=True)
class AccessClaims:
    """A live access token's caller: the user and what the token lives by (exactly one is set)."""

    user_id: uuid.UUID
    session_id: str = ""
    family_id: str = ""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds until the access token expires
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- access tokens ---

def _generation(user_id: uuid.UUID) -> int:
    return int(get_redis().get(_GENERATION + str(user_id)) or 0)


def access_token(user_id: uuid.UUID, *, session_id: str = "", family_id: uuid.UUID | str = "") -> str:
    """A 15-minute access token bound to a session or a refresh family (one of them is required)."""
    if bool(session_id) == bool(family_id):
        raise ValueError("an access token lives by exactly one session or refresh token family")
    if session_id:
        return create_access_token(user_id, sid=session_id, gen=_generation(user_id))
    return create_access_token(user_id, fam=str(family_id), gen=_generation(user_id))


def verify_access(token: str) -> AccessClaims:
    """The caller of a valid, live access token. Raises InvalidToken when it is not one of ours (bad
    signature, expired, ...), NotAuthenticated when it was ours but has ended."""
    claims = decode_access_token(token)
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError as exc:
        raise InvalidToken("the subject is not a user id") from exc
    sid, fam = str(claims.get("sid") or ""), str(claims.get("fam") or "")
    if not sid and not fam:  # bound to nothing (an older version's, or hand-made): nothing could end it
        raise NotAuthenticated(ENDED)
    pipe = get_redis().pipeline()
    pipe.get(_GENERATION + str(user_id))
    pipe.exists(_FAMILY_ENDED + fam)
    generation, family_ended = pipe.execute()
    if claims.get("gen", 0) != int(generation or 0) or (fam and family_ended):
        raise NotAuthenticated(ENDED)
    if sid and not sessions.is_live(sid):
        raise NotAuthenticated(ENDED)
    return AccessClaims(user_id, session_id=sid, family_id=fam)


def end_access_tokens(user_id: uuid.UUID) -> None:
    """Every access token the user holds stops working on its next request (new ones work)."""
    get_redis().incr(_GENERATION + str(user_id))


# --- refresh tokens ---

def _new(session: Session, user_id: uuid.UUID, family_id: uuid.UUID, now: datetime, *,
         session_id: str = "") -> TokenPair:
    refresh = PREFIX + secrets.token_urlsafe(32)
    session.add(RefreshToken(user_id=user_id, family_id=family_id, token_hash=_hash(refresh),
                             expires_at=now + REFRESH_TOKEN_TTL))
    session.flush()
    access = access_token(user_id, session_id=session_id) if session_id else access_token(
        user_id, family_id=family_id)
    return TokenPair(access, refresh, int(ACCESS_TOKEN_TTL.total_seconds()))


def issue(session: Session, user_id: uuid.UUID, *, session_token: str | None = None) -> TokenPair:
    """A new family for a user who just proved who they are (sign-in, OIDC, Supabase).

    With the `session_token` of a sign-in, the access token lives by that session and the family is
    linked to it, so ending either ends both."""
    family_id = uuid.uuid4()
    session_id = sessions.session_id_of(session_token) if session_token else ""
    with db.as_service(session):
        pair = _new(session, user_id, family_id, datetime.now(UTC), session_id=session_id)
    if session_id:
        sessions.link_family(session_id, family_id)
    return pair


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
            session.commit()  # the revocation stays although the caller's unit rolls back
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
    # Its access tokens and the session it was handed out with end too (before the commit: a failed
    # commit only ends them early).
    get_redis().set(_FAMILY_ENDED + str(family_id), "1", ex=_MARK_SECONDS)
    sessions.revoke_family_session(family_id)


def end_family(session: Session, family_id: uuid.UUID | str) -> None:
    """Sign-out of one API client by family: its refresh tokens and access tokens stop working."""
    try:
        family = uuid.UUID(str(family_id))
    except ValueError:
        return
    with db.as_service(session):
        _revoke_family(session, family, datetime.now(UTC))
        session.flush()


def family_of(session: Session, refresh_token: str) -> uuid.UUID | None:
    """The family a refresh token belongs to (revoked or not), or None for an unknown token."""
    with db.as_service(session):
        return session.exec(
            select(RefreshToken.family_id).where(RefreshToken.token_hash == _hash(refresh_token))).first()


def revoke(session: Session, refresh_token: str) -> None:
    """Sign-out of an API client: its whole family stops working. Unknown tokens are ignored."""
    family = family_of(session, refresh_token)
    if family is not None:
        end_family(session, family)


def revoke_all(session: Session, user_id: uuid.UUID) -> int:
    """Every refresh token and every access token of a user (password change, 2FA turned on, "sign out
    everywhere"). The caller commits; new tokens minted after this call work."""
    with db.as_service(session):
        result = session.execute(
            update(RefreshToken).where(col(RefreshToken.user_id) == user_id,
                                       col(RefreshToken.revoked_at).is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    end_access_tokens(user_id)
    return int(result.rowcount)  # type: ignore[attr-defined]
