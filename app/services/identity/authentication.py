"""Signing in and out: the password step (and the two-factor step after it), the session it opens, and
ending sessions (one, by access token, or everywhere).

A wrong password and an unknown address get the same answer in the same time ("wrong e-mail or password");
every failure counts against the sign-in budgets (app.services.identity.signin_throttle) and is kept on
record even though the caller's unit of work rolls back. Accounts themselves (sign-up, e-mail, passwords,
profile) are app.services.identity.accounts.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlmodel import Session

from app.core import ratelimit
from app.core.config import get_settings
from app.core.redis import get_redis
from app.core.security import InvalidToken
from app.services import audit
from app.services.errors import NotAuthenticated, NotFound, ValidationFailed
from app.services.identity import passwords, sessions, signin_throttle, supabase_auth, tokens, totp
from app.services.identity.accounts import find_by_email, normalize_email
from app.services.messaging import email
from models import User
from models.base import utcnow

CHALLENGE_TTL_SECONDS = 300
_CHALLENGE_KEY = "quillcast:2fa-challenge:"
WRONG_CREDENTIALS = "the e-mail address or password is wrong"


@dataclass(frozen=True)
class SignInResult:
    """Either a session (`session_token`) or, when 2FA is on, a `challenge` for complete_two_factor()."""

    user_id: uuid.UUID | None
    session_token: str | None = None
    challenge: str | None = None

    @property
    def needs_two_factor(self) -> bool:
        return self.challenge is not None


def sign_in(
    session: Session, *, email_address: str, password: str, ip: str | None = None,
    user_agent: str | None = None,
) -> SignInResult:
    s = get_settings()
    if ip:
        ratelimit.hit("signin-ip", ip, s.rate_signin_ip)
    try:
        address = normalize_email(email_address)
    except ValidationFailed:
        passwords.verify(password or "", None)  # same time as a real attempt
        raise
    signin_throttle.check(address, ip)
    user: User | None
    if supabase_auth.enabled():
        # Supabase Auth holds the passwords: it answers, the rest (2FA, session) is ours as usual.
        try:
            user = supabase_auth.sign_in_with_password(session, address, password or "")
        except NotAuthenticated:
            signin_throttle.failed(address, ip)
            audit.record(session, "auth.sign_in_failed", ip=ip, reason="supabase_refused")
            session.commit()  # the failed attempt stays on record although the caller's unit rolls back
            raise NotAuthenticated(WRONG_CREDENTIALS) from None
        ok, new_hash = True, None
    else:
        user = find_by_email(session, address)
        ok, new_hash = passwords.verify(password or "", user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        signin_throttle.failed(address, ip)
        audit.record(session, "auth.sign_in_failed", actor_id=user.id if user else None, ip=ip,
                     reason="unknown_email" if user is None else "wrong_password")
        session.commit()  # the failed attempt stays on record although the caller's unit rolls back
        raise NotAuthenticated(WRONG_CREDENTIALS)
    if new_hash:
        user.password_hash = new_hash  # parameters were raised since this hash was made
    if user.email_verified_at is None:
        session.commit()  # a right password's upgraded hash is kept although the sign-in is refused
        raise NotAuthenticated("confirm your e-mail address first: follow the link we sent you, or ask for "
                               "a new one", field="email")
    if totp.is_enabled(user):
        signin_throttle.succeeded(address, ip, signed_in=False)  # the code step has its own limits
        challenge = secrets.token_urlsafe(32)
        get_redis().set(_CHALLENGE_KEY + _sha(challenge), str(user.id), ex=CHALLENGE_TTL_SECONDS)
        audit.record(session, "auth.sign_in_password_ok", actor_id=user.id, ip=ip)
        session.flush()
        return SignInResult(user_id=None, challenge=challenge)
    return _finish_sign_in(session, user, ip, user_agent, method="password")


def complete_two_factor(
    session: Session, *, challenge: str, code: str, ip: str | None = None, user_agent: str | None = None,
) -> SignInResult:
    """Second step of sign-in: a TOTP code or a recovery code for the challenge from sign_in()."""
    key = _CHALLENGE_KEY + _sha(challenge or "")
    user_id = get_redis().get(key)
    if not user_id:
        raise NotAuthenticated("the sign-in step expired: enter your e-mail and password again",
                               field="challenge")
    user = session.get(User, uuid.UUID(user_id))
    if user is None or not user.is_active:
        raise NotAuthenticated(WRONG_CREDENTIALS)
    try:
        method = totp.check_second_factor(session, user.id, code, ip=ip)
    except ValidationFailed:
        audit.record(session, "auth.two_factor_failed", actor_id=user.id, ip=ip)
        session.commit()  # the failed code stays on record although the caller's unit rolls back
        raise
    get_redis().delete(key)
    return _finish_sign_in(session, user, ip, user_agent, method=method)


def _finish_sign_in(session: Session, user: User, ip: str | None, user_agent: str | None, *, method: str
                    ) -> SignInResult:
    known_device = any(s.ip == (ip or "") and s.user_agent == (user_agent or "")[:512]
                       for s in sessions.list_for_user(user.id))
    first_sign_in = user.last_sign_in_at is None
    token = sessions.create(user.id, ip, user_agent)
    user.last_sign_in_at = utcnow()
    session.add(user)
    audit.record(session, "auth.sign_in", actor_id=user.id, ip=ip, method=method)
    if not known_device and not first_sign_in:  # tell the owner about a sign-in from elsewhere
        email.send_template(session, user.email, "new_sign_in", {
            "name": user.display_name, "when": utcnow().strftime("%Y-%m-%d %H:%M"),
            "device": sessions.describe_device(user_agent or ""), "ip": ip,
        })
    session.flush()
    signin_throttle.succeeded(user.email, ip)
    return SignInResult(user_id=user.id, session_token=token)


def sign_out(session: Session, token: str | None, *, ip: str | None = None) -> None:
    """End the session behind a session token, and the refresh token family handed out with it."""
    info = sessions.resolve(token)
    sessions.revoke_token(token)
    if info:
        if info.family_id:
            tokens.end_family(session, info.family_id)
        audit.record(session, "auth.sign_out", actor_id=info.user_id, ip=ip)
        session.flush()


def sign_out_access_token(session: Session, access_token: str, *, ip: str | None = None) -> None:
    """Sign out with only an access token: end what it lives by (its session and the family linked to
    it, or its refresh token family and the session linked to that). An ended or foreign token is
    ignored: signing out twice is not an error."""
    try:
        caller = tokens.verify_access(access_token)
    except (InvalidToken, NotAuthenticated):
        return
    if caller.session_id:
        family = sessions.family_of(caller.session_id)
        sessions.revoke(caller.user_id, caller.session_id)
        if family:
            tokens.end_family(session, family)
    else:
        tokens.end_family(session, caller.family_id)
    audit.record(session, "auth.sign_out", actor_id=caller.user_id, ip=ip)
    session.flush()


def revoke_session(session: Session, user_id: uuid.UUID, session_id: str, *, ip: str | None = None) -> None:
    family = sessions.family_of(session_id)
    if not sessions.revoke(user_id, session_id):
        raise NotFound("that session has already ended")
    if family:
        tokens.end_family(session, family)
    audit.record(session, "auth.session_revoked", actor_id=user_id, subject_type="session",
                 subject_id=session_id[:16], ip=ip)
    session.flush()


def sign_out_everywhere(session: Session, user_id: uuid.UUID, *, ip: str | None = None) -> int:
    """Every session, refresh token and access token of the user ends."""
    ended = sessions.revoke_all(user_id)
    tokens.revoke_all(session, user_id)
    audit.record(session, "auth.sessions_revoked_all", actor_id=user_id, ip=ip, count=ended)
    session.flush()
    return ended


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
