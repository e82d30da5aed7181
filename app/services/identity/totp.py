"""Two-factor authentication: TOTP (RFC 6238, pyotp) and single-use recovery codes.

Each code is accepted once: the last accepted time step is stored and only later steps pass.
The secret is encrypted at rest (app.core.crypto); recovery codes are stored as SHA-256 hashes
(they carry 50 random bits and verification is rate-limited, so a fast hash is enough).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
import uuid
from dataclasses import dataclass

import pyotp
import qrcode
import qrcode.image.svg
from sqlmodel import Session, col, delete, select

from app.core import crypto, ratelimit
from app.core.config import get_settings
from app.services import audit
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.identity import passwords, sessions, signin_throttle, tokens
from app.services.messaging import email
from models import RecoveryCode, User
from models.base import utcnow

ISSUER = "Quillcast"
RECOVERY_CODE_COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read off paper


@dataclass(frozen=True)
class Enrolment:
    secret: str  # the manual key, shown once during enrolment
    uri: str
    qr_svg: str  # an <svg> document, rendered here (no external QR service sees the secret)


def _load_user(session: Session, user_id: uuid.UUID, *, lock: bool = False) -> User:
    query = select(User).where(User.id == user_id)
    user = session.exec(query.with_for_update() if lock else query).first()
    if user is None or not user.is_active:
        raise NotFound("account not found")
    return user


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def _require_password(user: User, password: str, ip: str | None) -> None:
    # Guessing the password here counts against the same budgets as signing in.
    signin_throttle.check(user.email, ip, field="password")
    ok, _ = passwords.verify(password or "", user.password_hash)
    if not ok:
        signin_throttle.failed(user.email, ip)
        raise ValidationFailed("password: the password is wrong", field="password")


def qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buf = io.BytesIO()
    image.save(buf)
    return buf.getvalue().decode()


def begin_enrolment(
    session: Session, user_id: uuid.UUID, password: str, *, ip: str | None = None
) -> Enrolment:
    """Start (or restart) enrolment: a new secret, not active until confirm_enrolment() sees a code."""
    user = _load_user(session, user_id, lock=True)
    _require_password(user, password, ip)
    if is_enabled(user):
        raise Conflict("two-factor authentication is already on; turn it off first to enrol again")
    secret = pyotp.random_base32()
    user.totp_secret = crypto.encrypt(secret)
    user.totp_last_step = None
    session.add(user)
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri, qr_svg=qr_svg(uri))


def confirm_enrolment(
    session: Session, user_id: uuid.UUID, code: str, *, ip: str | None = None, user_agent: str | None = None
) -> tuple[list[str], str]:
    """Turn 2FA on with a first valid code. Returns (recovery codes shown once, a new session token).

    Turning 2FA on is a privilege change: every session, refresh token and access token ends (they were
    won without the second factor) and the caller gets a new session.
    """
    user = _load_user(session, user_id, lock=True)
    if user.totp_secret is None or is_enabled(user):
        raise Conflict("start two-factor enrolment first")
    _rate_limit(user, ip)
    if not _accept_totp(user, code):
        raise ValidationFailed("code: the code is wrong or was already used; enter the current one",
                               field="code")
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(session, user)
    audit.record(session, "auth.two_factor_enabled", actor_id=user.id, subject_type="user",
                 subject_id=user.id, ip=ip)
    email.send_template(session, user.email, "two_factor_changed",
                        {"name": user.display_name, "enabled": True, "when": _now_text(), "ip": ip})
    session.add(user)
    tokens.revoke_all(session, user.id)
    session.flush()
    sessions.revoke_all(user.id)
    return codes, sessions.create(user.id, ip, user_agent)


def disable(session: Session, user_id: uuid.UUID, password: str, *, ip: str | None = None) -> None:
    """Turn 2FA off (needs the password); the recovery codes go with it and the user is told by e-mail.

    Every access token ends (an API caller gets a new one for its session or family); sessions and
    refresh tokens stay: they were won with more than is now asked for."""
    user = _load_user(session, user_id, lock=True)
    _require_password(user, password, ip)
    if not is_enabled(user):
        raise Conflict("two-factor authentication is not on")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    audit.record(session, "auth.two_factor_disabled", actor_id=user.id, subject_type="user",
                 subject_id=user.id, ip=ip)
    email.send_template(session, user.email, "two_factor_changed",
                        {"name": user.display_name, "enabled": False, "when": _now_text(), "ip": ip})
    session.add(user)
    session.flush()
    tokens.end_access_tokens(user.id)


def regenerate_recovery_codes(
    session: Session, user_id: uuid.UUID, password: str, *, ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[list[str], str]:
    """New recovery codes (the old ones stop working). Returns (codes shown once, a new session token).

    Asked for when old codes may have leaked, and whoever used one may be signed in: like turning 2FA
    on, every session, refresh token and access token ends and the caller gets a new session."""
    user = _load_user(session, user_id, lock=True)
    _require_password(user, password, ip)
    if not is_enabled(user):
        raise Conflict("two-factor authentication is not on")
    codes = _new_recovery_codes(session, user)
    audit.record(session, "auth.recovery_codes_renewed", actor_id=user.id, subject_type="user",
                 subject_id=user.id, ip=ip)
    tokens.revoke_all(session, user.id)
    session.flush()
    sessions.revoke_all(user.id)
    return codes, sessions.create(user.id, ip, user_agent)


def remaining_recovery_codes(session: Session, user_id: uuid.UUID) -> int:
    rows = session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user_id,
                                                   col(RecoveryCode.used_at).is_(None)))
    return len(list(rows))


def check_second_factor(session: Session, user_id: uuid.UUID, code: str, *, ip: str | None = None) -> str:
    """Accept a TOTP code or a recovery code once; returns "totp" or "recovery_code".

    The caller commits. Raises ValidationFailed(field="code") on a wrong or reused code.
    """
    user = _load_user(session, user_id, lock=True)
    if not is_enabled(user):
        raise Conflict("two-factor authentication is not on for this account")
    _rate_limit(user, ip)
    cleaned = re.sub(r"[\s-]", "", code or "").lower()
    if cleaned.isdigit() and _accept_totp(user, cleaned):
        session.add(user)
        return "totp"
    if not cleaned.isdigit() and _use_recovery_code(session, user, cleaned):
        return "recovery_code"
    raise ValidationFailed(
        "code: the code is wrong or was already used; enter the current code from your app or an unused "
        "recovery code", field="code"
    )


def _rate_limit(user: User, ip: str | None) -> None:
    s = get_settings()
    ratelimit.hit("totp-account", str(user.id), s.rate_totp_account, field="code")
    if ip:
        ratelimit.hit("totp-ip", ip, s.rate_totp_ip, field="code")


def _accept_totp(user: User, code: str) -> bool:
    """Check `code` against the steps around now (one step of clock drift) and never reuse a step."""
    code = re.sub(r"\s", "", code or "")
    if user.totp_secret is None or not re.fullmatch(r"\d{6}", code):
        return False
    totp = pyotp.TOTP(crypto.decrypt(user.totp_secret))
    now_step = totp.timecode(utcnow())
    for step in (now_step - 1, now_step, now_step + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(raw)))
    session.flush()
    return codes


def _use_recovery_code(session: Session, user: User, cleaned: str) -> bool:
    row = session.exec(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_code(cleaned),
            col(RecoveryCode.used_at).is_(None),
        ).with_for_update()
    ).first()
    if row is None:
        return False
    row.used_at = utcnow()
    session.add(row)
    session.flush()
    return True


def _now_text() -> str:
    return utcnow().strftime("%Y-%m-%d %H:%M")
