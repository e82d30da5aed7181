"""Scoped API keys: one user, one workspace, a few scopes. Shown once; only a sha256 hash is stored.

A request with a key may do what BOTH the user's role and the key's scopes allow.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from app.core import db
from app.services import audit
from app.services.errors import NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from app.services.tenancy import permissions
from models import ApiKey, User

KEY_PREFIX = "qc_"
NAME_MAX = 120
# Scope -> the permissions it unlocks. Reading the workspace itself comes with every key.
SCOPES: dict[str, frozenset[str]] = {
    "posts:read": frozenset({"post:read"}),
    "posts:write": frozenset({"post:read", "post:create", "post:submit", "post:edit_any", "post:schedule",
                              "post:publish", "post:delete", "post:approve", "media:upload", "slot:manage"}),
    "channels:read": frozenset({"channel:read"}),
    "channels:write": frozenset({"channel:read", "channel:manage"}),
    "analytics:read": frozenset({"analytics:read"}),
}
ALWAYS = frozenset({"workspace:read"})
# last_used_at is written at most this often: a busy key must not turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the whole key, shown to the user once; never stored or logged


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def allows(key: ApiKey, permission: str) -> bool:
    return permission in ALWAYS or any(permission in SCOPES.get(s, frozenset()) for s in key.scopes)


def clean_scopes(scopes: list[str]) -> list[str]:
    if not scopes:
        raise ValidationFailed(f"scopes: choose at least one of {', '.join(SCOPES)}", field="scopes")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValidationFailed(
            f"scopes: {unknown[0][:40]!r} is not a scope; use {', '.join(SCOPES)}", field="scopes")
    return sorted(set(scopes))


def create(
    session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID, name: str, scopes: list[str],
    expires_at: datetime | None = None,
) -> CreatedKey:
    permissions.require(session, user_id, workspace_id, "workspace:read")
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationFailed(f"name: give the key a name of 1 to {NAME_MAX} characters (what uses it?)",
                               field="name")
    clean = clean_scopes(scopes)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ValidationFailed("expires_at: give a time zone (e.g. 2027-01-01T00:00:00Z)",
                                   field="expires_at")
        if expires_at <= datetime.now(UTC):
            raise ValidationFailed("expires_at: must be in the future", field="expires_at")
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(workspace_id=workspace_id, user_id=user_id, name=name, prefix=prefix, key_hash=_hash(secret),
                 scopes=clean, expires_at=expires_at)
    session.add(key)
    session.flush()
    audit.record(session, "api_key.created", actor_id=user_id, workspace_id=workspace_id,
                 subject_type="api_key", subject_id=key.id, prefix=prefix, scopes=clean)
    session.flush()
    return CreatedKey(key, secret)


def list_keys(session: Session, user_id: uuid.UUID) -> list[ApiKey]:
    """The user's own keys (revoked ones too, marked), newest first."""
    return list(session.exec(
        select(ApiKey).where(ApiKey.user_id == user_id).order_by(col(ApiKey.created_at).desc())
    ).all())


def revoke(session: Session, user_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.user_id != user_id:
        raise NotFound("api key not found", field="key_id")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        session.add(key)
        audit.record(session, "api_key.revoked", actor_id=user_id, workspace_id=key.workspace_id,
                     subject_type="api_key", subject_id=key.id, prefix=key.prefix)
        session.flush()
    return key


def looks_like_key(raw: str) -> bool:
    return raw.startswith(KEY_PREFIX)


def authenticate(session: Session, raw: str) -> tuple[User, ApiKey]:
    """The key's user and the key, for a valid, unrevoked, unexpired key of an active user."""
    invalid = NotAuthenticated(
        "the API key is invalid, expired or revoked: create a new one in account settings")
    if not looks_like_key(raw) or len(raw) > 200:
        raise invalid
    now = datetime.now(UTC)
    with db.as_service(session):  # nobody is known yet: the key says who it is
        key = session.exec(select(ApiKey).where(ApiKey.key_hash == _hash(raw))).first()
        expired = key is not None and key.expires_at is not None and key.expires_at <= now
        if key is None or key.revoked_at is not None or expired:
            raise invalid
        user = session.get(User, key.user_id)
        if user is None or not user.is_active:
            raise invalid
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            key.last_used_at = now
            session.add(key)
            session.flush()
    return user, key


def require_scope(key: ApiKey, workspace_id: uuid.UUID, permission: str) -> None:
    """A key works only in its own workspace and only within its scopes."""
    if key.workspace_id != workspace_id:
        raise NotFound("workspace not found", field="workspace_id")
    if not allows(key, permission):
        needed = [s for s, perms in SCOPES.items() if permission in perms]
        raise PermissionDenied(
            f"this API key lacks the scope for {permission}; create a key with "
            f"{' or '.join(needed) or 'a session (not a key)'}")
