"""First run: the setup link that makes the first instance administrator, with no shell and no mail.

A fresh instance has no administrator, so nobody can read the outbox that holds the first sign-up's
confirmation mail. `quillcast run` prints a setup link instead (`/setup?token=...`, like a notebook
server's token): whoever holds it, and only they, creates the first account as the administrator,
verified and signed in.

The token is derived, not stored: an HMAC of SECRET_KEY over a fixed purpose. Every web process and the
CLI compute the same one without a table or a migration, and it is valid only while no instance
administrator exists, so the first use ends it. (It is only as secret as SECRET_KEY.)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass

from sqlalchemy import exists, func, text
from sqlmodel import Session, select

from app.core import ratelimit
from app.core.config import get_settings
from app.services import audit
from app.services.errors import Conflict, PermissionDenied, ValidationFailed
from app.services.identity import accounts, admins, passwords, sessions, totp
from app.services.messaging import email
from models import User
from models.base import utcnow

PATH = "/setup"
_PURPOSE = b"quillcast:first-administrator-setup:v1"
# Any fixed number: two setup requests at once must not make two administrators.
_LOCK = 0x5E7_0B
TOKEN_MAX = 200
WHERE_TO_FIND = ("open the setup link printed in the terminal where you ran `make run` "
                 "(or print it again with `quillcast setup-link`)")
ALREADY_SET_UP = "this Quillcast is already set up: sign in instead"


@dataclass(frozen=True)
class FirstAdmin:
    user_id: uuid.UUID
    session_token: str


def setup_needed(session: Session) -> bool:
    """True while the instance has no administrator: the only time the setup link works."""
    return not session.exec(select(exists().where(User.is_admin.is_(True)))).one()  # type: ignore[attr-defined]


def setup_token() -> str:
    digest = hmac.new(get_settings().secret_key.encode(), _PURPOSE, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def setup_link(session: Session, base_url: str | None = None) -> str | None:
    """The link to print while setup is needed, else None."""
    if not setup_needed(session):
        return None
    return f"{(base_url or get_settings().url).rstrip('/')}{PATH}?token={setup_token()}"


def token_matches(token: str | None) -> bool:
    given = (token or "").strip()
    if not given or len(given) > TOKEN_MAX:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), setup_token().encode())


def check_token(session: Session, token: str | None, *, ip: str | None = None, field: str = "token") -> None:
    """Raise unless `token` is the setup token and setup is still needed. Counts as an attempt per address."""
    if ip:
        ratelimit.hit("setup-ip", ip, get_settings().rate_verify_ip, field=field)
    if not setup_needed(session):
        raise Conflict(f"{field}: {ALREADY_SET_UP}", field=field)
    if not (token or "").strip():
        raise PermissionDenied(f"{field}: this needs the setup token: {WHERE_TO_FIND}", field=field)
    if not token_matches(token):
        raise PermissionDenied(f"{field}: this setup token is not valid: {WHERE_TO_FIND}", field=field)


def create_first_admin(
    session: Session, token: str | None, *, email_address: str, password: str, display_name: str = "",
    timezone: str = "UTC", ip: str | None = None, user_agent: str | None = None, field: str = "token",
) -> FirstAdmin:
    """Make the first instance administrator (verified: holding the token vouches for it) and sign it in.

    An account that signed up before setup (its confirmation mail stuck in the outbox) is taken over:
    it never proved its mailbox, and the token holder is the operator. A confirmed account becomes the
    administrator only with its own password.
    """
    check_token(session, token, ip=ip, field=field)
    # Serialise concurrent uses, then look again: the first one wins, the second is told it is set up.
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    if not setup_needed(session):
        raise Conflict(f"{field}: {ALREADY_SET_UP}", field=field)
    address = accounts.normalize_email(email_address)
    name = accounts.clean_display_name(display_name)
    tz = accounts.clean_timezone(timezone)
    user = session.exec(select(User).where(func.lower(User.email) == address.lower())).first()
    if user is not None and user.email_verified_at is not None:
        _check_own_password(user, password)
    else:
        passwords.validate_new_password(password, email=address)
        password_hash = passwords.hash_password(password)
        user = admins.create_admin(session, address, via="setup").user
        user.password_hash, user.password_changed_at = password_hash, utcnow()
        user.display_name, user.timezone = name or user.display_name, tz
        user.is_active = True
    user.is_admin = True
    user.email_verified_at = user.email_verified_at or utcnow()
    user.last_sign_in_at = utcnow()
    session.add(user)
    session.flush()
    audit.record(session, "admin.setup", actor_id=user.id, subject_type="user", subject_id=user.id, ip=ip)
    audit.record(session, "auth.sign_in", actor_id=user.id, ip=ip, method="setup")
    session.flush()
    sessions.revoke_all(user.id)  # a taken-over account keeps no earlier session
    return FirstAdmin(user_id=user.id, session_token=sessions.create(user.id, ip, user_agent))


def _check_own_password(user: User, password: str) -> None:
    if not user.is_active:
        raise ValidationFailed("email: this account is deactivated: use another address", field="email")
    ok, _ = passwords.verify(password or "", user.password_hash)
    if not ok:
        raise ValidationFailed("password: this address already has a confirmed account: enter its password "
                               "to make it the administrator", field="password")
    if totp.is_enabled(user):
        raise ValidationFailed("email: this account uses two-factor authentication: use another address, "
                               "or run `quillcast create-admin --email <address>`", field="email")


def mail_waits_for_admin() -> bool:
    """Whether confirmation mail is held in the outbox for an administrator to pass on (no SMTP)."""
    return email.held()
