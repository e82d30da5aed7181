"""Instance administrators: made by the operator (`quillcast create-admin`, or the first-run setup link of
app.services.identity.setup), never by signing up first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session, func, select

from app.services import audit
from app.services.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from app.services.identity.accounts import normalize_email
from models import User

# argon2id at OWASP's minimum (19 MiB, t=2, p=1): the accounts service verifies these hashes and
# rehashes them to its own parameters at the next sign-in.
_hasher = PasswordHash((Argon2Hasher(memory_cost=19 * 1024, time_cost=2, parallelism=1),))
PASSWORD_MIN, PASSWORD_MAX = 10, 1024


@dataclass(frozen=True)
class AdminResult:
    user: User
    created: bool
    promoted: bool


def create_admin(session: Session, email: str, password: str | None = None, *,
                 via: str = "cli") -> AdminResult:
    """Make `email` an instance administrator: a new account (verified: the operator vouches for it),
    or an existing one promoted. An existing account's password is never changed here."""
    address = normalize_email(email)
    user = session.exec(select(User).where(func.lower(User.email) == address.lower())).first()
    if user is not None:
        promoted = not user.is_admin
        user.is_admin = True
        session.add(user)
        if promoted:
            audit.record(session, "admin.granted", subject_type="user", subject_id=user.id, via=via)
        session.flush()
        return AdminResult(user, created=False, promoted=promoted)
    password_hash = None
    if password is not None:
        if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
            raise ValidationFailed(
                f"password: use {PASSWORD_MIN} to {PASSWORD_MAX} characters", field="password")
        password_hash = _hasher.hash(password)
    user = User(email=address, display_name=address.split("@")[0][:120], password_hash=password_hash,
                email_verified_at=datetime.now(UTC), is_admin=True)
    session.add(user)
    session.flush()
    audit.record(session, "admin.granted", subject_type="user", subject_id=user.id, via=via)
    session.flush()
    return AdminResult(user, created=True, promoted=True)


def require_instance_admin(session: Session, user_id: uuid.UUID | None) -> User:
    """The guard for instance-wide pages (outbox, all audit, system health)."""
    if user_id is None:
        raise NotAuthenticated("sign in first")
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("sign in first")
    if not user.is_admin:
        raise PermissionDenied("only instance administrators can open this page")
    return user
