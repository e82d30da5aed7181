"""Local accounts: the input rules of an account (e-mail address, display name, time zone), sign up and
verify the e-mail address, reset and change the password, change the e-mail address, profile.

No answer tells whether an e-mail address has an account: sign-up and forgot-password answer the
same way (and hash a password either way, so they take the same time). A reset never signs in, so it
cannot bypass two-factor authentication. Signing in and out is app.services.identity.authentication.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlmodel import Session, select

from app.core import ratelimit
from app.core.config import get_settings
from app.services import audit, zones
from app.services.errors import NotAuthenticated, ValidationFailed
from app.services.identity import onetime, passwords, sessions, signin_throttle, tokens
from app.services.messaging import email
from models import User
from models.base import utcnow

VERIFY_TTL = timedelta(hours=24)
RESET_TTL = timedelta(minutes=30)
DISPLAY_NAME_MAX = 120
EMAIL_MAX = 320  # RFC 5321's practical limit


# --- input rules ---

def normalize_email(raw: str | None, *, field: str = "email",
                    missing: str = "enter your e-mail address") -> str:
    """The address as stored (domain lower-cased, IDNA-normalised), or a clear error naming `field`.

    The one e-mail address rule: sign-up, sign-in, invitations, administrators and social login."""
    value = (raw or "").strip()
    if not value:
        raise ValidationFailed(f"{field}: {missing}", field=field)
    if len(value) > EMAIL_MAX:
        raise ValidationFailed(f"{field}: an e-mail address has at most {EMAIL_MAX} characters", field=field)
    try:
        result = validate_email(value, check_deliverability=False,
                                test_environment=get_settings().environment != "production")
    except EmailNotValidError as exc:
        raise ValidationFailed(f"{field}: {exc}", field=field) from exc
    return str(result.normalized)


def clean_display_name(raw: str | None, *, field: str = "display_name") -> str:
    """Any script (RTL included) and any characters, stored as text: the UI renders it inert.

    Control and formatting characters that could spoof the layout (except the joiners emoji and
    Arabic scripts need) are refused, and so is an over-long name.
    """
    name = unicodedata.normalize("NFC", (raw or "").strip())
    if len(name) > DISPLAY_NAME_MAX:
        raise ValidationFailed(f"{field}: use at most {DISPLAY_NAME_MAX} characters", field=field)
    bad = [ch for ch in name if unicodedata.category(ch) == "Cc"
           or (unicodedata.category(ch) == "Cf" and ch not in "\u200c\u200d\u200e\u200f")]
    if bad:
        raise ValidationFailed(f"{field}: remove control characters (line breaks, tabs, direction overrides)",
                               field=field)
    return name


def clean_timezone(raw: str | None, *, field: str = "timezone") -> str:
    """A typed zone name, trimmed, by the one time-zone rule (app.services.zones)."""
    return zones.valid_zone((raw or "").strip(), field)


def find_by_email(session: Session, address: str) -> User | None:
    return session.exec(select(User).where(func.lower(User.email) == address.lower())).first()


def _link(path: str, token: str) -> str:
    return f"{get_settings().url.rstrip('/')}{path}?token={token}"


# --- sign up and verify ---

def sign_up(
    session: Session, *, email_address: str, password: str, display_name: str = "",
    timezone: str = "UTC", ip: str | None = None,
) -> None:
    """Create an unverified account and mail the verification link. Answers the same for a taken address."""
    if ip:
        ratelimit.hit("signup-ip", ip, get_settings().rate_signup_ip)
    address = normalize_email(email_address)
    passwords.validate_new_password(password, email=address)
    name = clean_display_name(display_name)
    tz = clean_timezone(timezone)
    password_hash = passwords.hash_password(password)  # hashed either way: same time for known e-mails
    existing = find_by_email(session, address)
    if existing is not None:
        if existing.email_verified_at is None and existing.is_active:
            _send_verification(session, existing)  # the owner may have lost the first mail
        audit.record(session, "auth.sign_up_existing", actor_id=existing.id, ip=ip)
        session.flush()
        return
    user = User(email=address, display_name=name, timezone=tz, password_hash=password_hash,
                password_changed_at=utcnow())
    session.add(user)
    session.flush()
    _send_verification(session, user)
    audit.record(session, "auth.sign_up", actor_id=user.id, subject_type="user", subject_id=user.id, ip=ip)
    session.flush()


def resend_verification(session: Session, *, email_address: str, ip: str | None = None) -> None:
    if ip:
        ratelimit.hit("verify-ip", ip, get_settings().rate_verify_ip)
    address = normalize_email(email_address)
    user = find_by_email(session, address)
    if user is not None and user.is_active and user.email_verified_at is None:
        _send_verification(session, user)
    session.flush()


def _send_verification(session: Session, user: User) -> None:
    token = onetime.issue(session, user.id, "verify_email", VERIFY_TTL)
    email.send_template(session, user.email, "verification", {
        "name": user.display_name, "link": _link("/verify", token), "hours": 24, "change": False,
    })


def verify_email(session: Session, *, token: str, ip: str | None = None) -> User:
    """Follow a verification (or e-mail change) link: single-use, 24 h."""
    if ip:
        ratelimit.hit("verify-ip", ip, get_settings().rate_verify_ip, field="token")
    row = onetime.consume(session, ("verify_email", "change_email"), token)
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ValidationFailed("token: this link has expired or was already used; ask for a new one",
                               field="token")
    if row.purpose == "change_email":
        assert row.email is not None
        taken = find_by_email(session, row.email)
        if taken is not None and taken.id != user.id:
            raise ValidationFailed("token: that e-mail address is now used by another account", field="token")
        old = user.email
        user.email, user.pending_email = row.email, None
        audit.record(session, "auth.email_changed", actor_id=user.id, subject_type="user", subject_id=user.id,
                     ip=ip, old_domain=old.rsplit("@", 1)[-1])
    else:
        audit.record(session, "auth.email_verified", actor_id=user.id, subject_type="user",
                     subject_id=user.id, ip=ip)
    user.email_verified_at = user.email_verified_at or utcnow()
    session.add(user)
    session.flush()
    return user


# --- passwords ---

def request_password_reset(session: Session, *, email_address: str, ip: str | None = None) -> None:
    """Mail a reset link if the account exists. The answer is the same either way."""
    s = get_settings()
    if ip:
        ratelimit.hit("reset-ip", ip, s.rate_reset_ip)
    address = normalize_email(email_address)
    ratelimit.hit("reset-account", address, s.rate_reset_account)
    user = find_by_email(session, address)
    if user is not None and user.is_active:
        token = onetime.issue(session, user.id, "reset_password", RESET_TTL)
        email.send_template(session, user.email, "reset", {
            "name": user.display_name, "link": _link("/reset", token), "minutes": 30,
        })
        audit.record(session, "auth.password_reset_requested", actor_id=user.id, ip=ip)
    session.flush()


def reset_password(session: Session, *, token: str, new_password: str, ip: str | None = None) -> None:
    """Set a new password from a reset link (single-use, 30 min). Ends every session; does not sign in."""
    if ip:
        ratelimit.hit("verify-ip", ip, get_settings().rate_verify_ip, field="token")
    if not onetime.peek(session, ("reset_password",), token):
        raise ValidationFailed("token: this link has expired or was already used; ask for a new one",
                               field="token")
    # Check the new password before using up the link, so a refused password can be retried.
    row_user = _user_of_token(session, token)
    passwords.validate_new_password(new_password, email=row_user.email)
    onetime.consume(session, ("reset_password",), token)
    row_user.password_hash = passwords.hash_password(new_password)
    row_user.password_changed_at = utcnow()
    row_user.email_verified_at = row_user.email_verified_at or utcnow()  # they proved the mailbox is theirs
    session.add(row_user)
    audit.record(session, "auth.password_reset", actor_id=row_user.id, ip=ip)
    tokens.revoke_all(session, row_user.id)
    session.flush()
    sessions.revoke_all(row_user.id)


def _user_of_token(session: Session, token: str) -> User:
    row = onetime.find(session, token)
    user = session.get(User, row.user_id) if row is not None else None
    if user is None or not user.is_active:
        raise ValidationFailed("token: this link has expired or was already used", field="token")
    return user


def change_password(
    session: Session, *, user_id: uuid.UUID, current_password: str, new_password: str,
    ip: str | None = None, user_agent: str | None = None,
) -> str:
    """Needs the current password. Ends every session and token and returns a new session token for this
    device."""
    user = _get_active(session, user_id)
    _check_password(user, current_password, field="current_password", ip=ip)
    passwords.validate_new_password(new_password, field="new_password", email=user.email)
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    session.add(user)
    audit.record(session, "auth.password_changed", actor_id=user.id, ip=ip)
    tokens.revoke_all(session, user.id)
    session.flush()
    sessions.revoke_all(user.id)
    return sessions.create(user.id, ip, user_agent)


def change_email(
    session: Session, *, user_id: uuid.UUID, password: str, new_email: str, ip: str | None = None,
) -> None:
    """Mail a confirmation link to the new address; the change happens when it is followed.

    An address already taken gets no mail and the same answer (no account enumeration).
    """
    user = _get_active(session, user_id)
    _check_password(user, password, field="password", ip=ip)
    address = normalize_email(new_email, field="new_email")
    if address.lower() == user.email.lower():
        raise ValidationFailed("new_email: that is already your e-mail address", field="new_email")
    ratelimit.hit("reset-account", address, get_settings().rate_reset_account, field="new_email")
    if find_by_email(session, address) is None:
        user.pending_email = address
        token = onetime.issue(session, user.id, "change_email", VERIFY_TTL, email=address)
        email.send_template(session, address, "verification", {
            "name": user.display_name, "link": _link("/verify", token), "hours": 24, "change": True,
        })
        session.add(user)
    audit.record(session, "auth.email_change_requested", actor_id=user.id, ip=ip)
    session.flush()


def _check_password(user: User, password: str, *, field: str, ip: str | None) -> None:
    # Guessing the password here counts against the same budgets as signing in.
    signin_throttle.check(user.email, ip, field=field)
    ok, _ = passwords.verify(password or "", user.password_hash)
    if not ok:
        signin_throttle.failed(user.email, ip)
        raise ValidationFailed(f"{field}: the password is wrong", field=field)


# --- profile ---

def _get_active(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("sign in again")
    return user


def get_user(session: Session, user_id: uuid.UUID) -> User:
    return _get_active(session, user_id)


def update_profile(
    session: Session, *, user_id: uuid.UUID, display_name: str | None = None, timezone: str | None = None,
) -> User:
    user = _get_active(session, user_id)
    if display_name is not None:
        user.display_name = clean_display_name(display_name)
    if timezone is not None:
        user.timezone = clean_timezone(timezone)
    session.add(user)
    session.flush()
    return user
