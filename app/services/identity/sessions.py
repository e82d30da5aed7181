"""Server-side sessions in Redis.

A session token is 128 random bits handed to the browser once; Redis keeps only its SHA-256, so a
Redis dump cannot be replayed. Each session ends after `session_idle_minutes` without use and in any
case `session_absolute_hours` after sign-in. Revoking deletes the key: effective on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from app.core.config import get_settings
from app.core.redis import get_redis
from app.services import usage

_KEY = "quillcast:session:"
_USER_KEY = "quillcast:user-sessions:"
_FAMILY_KEY = "quillcast:family-session:"


@dataclass(frozen=True)
class SessionInfo:
    id: str  # the token's hash: safe to show and to pass back to revoke()
    user_id: uuid.UUID
    ip: str
    user_agent: str
    device: str
    created_at: datetime
    last_seen_at: datetime
    family_id: str = ""  # the refresh token family handed out with this session (API sign-in), if any


# The browser cookie that carries the session token (the Reflex UI reads it; OIDC sign-in sets it).
COOKIE_NAME = "qc_session"

def session_id_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _limits() -> tuple[float, float]:
    s = get_settings()
    return s.session_idle_minutes * 60.0, s.session_absolute_hours * 3600.0


def create(user_id: uuid.UUID, ip: str | None, user_agent: str | None) -> str:
    """A new session for `user_id`; returns the token (shown to the client once, never stored)."""
    token = secrets.token_urlsafe(16)  # 16 bytes = 128 bits
    sid = session_id_of(token)
    now = time.time()
    idle, _absolute = _limits()
    r = get_redis()
    pipe = r.pipeline()
    pipe.hset(_KEY + sid, mapping={
        "user_id": str(user_id), "ip": (ip or "")[:64], "user_agent": (user_agent or "")[:512],
        "created_at": repr(now), "last_seen_at": repr(now),
    })
    pipe.expire(_KEY + sid, int(idle) + 1)
    pipe.sadd(_USER_KEY + str(user_id), sid)
    pipe.execute()
    return token


def _load(sid: str, now: float) -> SessionInfo | None:
    data = get_redis().hgetall(_KEY + sid)
    if not data or "user_id" not in data:
        return None
    idle, absolute = _limits()
    created, last_seen = float(data["created_at"]), float(data["last_seen_at"])
    if now - created > absolute or now - last_seen > idle:
        _delete(sid, data["user_id"])
        return None
    return SessionInfo(
        id=sid, user_id=uuid.UUID(data["user_id"]), ip=data.get("ip", ""),
        user_agent=data.get("user_agent", ""), device=describe_device(data.get("user_agent", "")),
        created_at=datetime.fromtimestamp(created, UTC), last_seen_at=datetime.fromtimestamp(last_seen, UTC),
        family_id=data.get("family_id", ""),
    )


def resolve(token: str | None) -> SessionInfo | None:
    """The live session behind `token` (and mark it used now), or None when unknown, expired or revoked."""
    if not token or len(token) > 128:
        return None
    sid = session_id_of(token)
    now = time.time()
    info = _load(sid, now)
    if info is None:
        return None
    idle, absolute = _limits()
    remaining = absolute - (now - info.created_at.timestamp())
    r = get_redis()
    pipe = r.pipeline()
    pipe.hset(_KEY + sid, "last_seen_at", repr(now))
    pipe.expire(_KEY + sid, max(1, int(min(idle, remaining)) + 1))
    usage.seen(pipe, info.user_id)
    pipe.execute()
    return SessionInfo(**{**info.__dict__, "last_seen_at": datetime.fromtimestamp(now, UTC)})


def is_live(session_id: str) -> bool:
    """Whether a session (by id) still exists and is within its timeouts; does not touch it."""
    if not session_id or len(session_id) != 64:
        return False
    return _load(session_id, time.time()) is not None


def link_family(session_id: str, family_id: uuid.UUID) -> None:
    """Remember the refresh token family handed out with a session: ending one ends the other."""
    key = _KEY + session_id
    r = get_redis()
    if r.exists(key):
        r.hset(key, "family_id", str(family_id))
        r.set(_FAMILY_KEY + str(family_id), session_id, ex=int(_limits()[1]) + 1)


def revoke_family_session(family_id: uuid.UUID | str) -> None:
    """End the session a refresh token family was handed out with, if it still lives."""
    r = get_redis()
    sid = r.get(_FAMILY_KEY + str(family_id))
    if sid:
        owner = r.hget(_KEY + sid, "user_id")
        if owner:
            _delete(sid, owner)
        r.delete(_FAMILY_KEY + str(family_id))


def family_of(session_id: str) -> str:
    """The refresh token family linked to a session ("" when none or the session is gone)."""
    if not session_id or len(session_id) != 64:
        return ""
    return get_redis().hget(_KEY + session_id, "family_id") or ""


def list_for_user(user_id: uuid.UUID) -> list[SessionInfo]:
    """The user's live sessions, most recently used first."""
    now = time.time()
    found = []
    for sid in get_redis().smembers(_USER_KEY + str(user_id)):
        info = _load(sid, now)
        if info is None:
            get_redis().srem(_USER_KEY + str(user_id), sid)
        else:
            found.append(info)
    return sorted(found, key=lambda s: s.last_seen_at, reverse=True)


def revoke(user_id: uuid.UUID, session_id: str) -> bool:
    """End one of `user_id`'s sessions. False when it is not theirs or already gone."""
    r = get_redis()
    if r.hget(_KEY + session_id, "user_id") != str(user_id):
        return False
    _delete(session_id, str(user_id))
    return True


def revoke_token(token: str | None) -> None:
    """Sign out: end the session behind `token`, if any."""
    if not token:
        return
    sid = session_id_of(token)
    owner = get_redis().hget(_KEY + sid, "user_id")
    if owner:
        _delete(sid, owner)


def revoke_all(user_id: uuid.UUID, *, except_session_id: str | None = None) -> int:
    """Sign out everywhere (optionally keeping one session); returns how many sessions ended."""
    r = get_redis()
    ended = 0
    for sid in r.smembers(_USER_KEY + str(user_id)):
        if sid != except_session_id:
            ended += int(r.delete(_KEY + sid))
            r.srem(_USER_KEY + str(user_id), sid)
    return ended


def _delete(sid: str, user_id: str) -> None:
    r = get_redis()
    r.delete(_KEY + sid)
    r.srem(_USER_KEY + user_id, sid)


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"), ("curl/", "curl"), ("python-httpx", "httpx"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe_device(user_agent: str) -> str:
    """A short human label such as "Firefox on Linux" (no library: a rough label is all the list needs)."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "Unknown browser")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    return f"{browser} on {system}" if system else browser
