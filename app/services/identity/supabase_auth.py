"""Supabase Auth as an optional identity provider: its access tokens are accepted after full verification.

Verified with PyJWT (not supabase-py's `get_claims`, which skips audience and issuer): audience
`authenticated`, issuer `<SUPABASE_URL>/auth/v1`, exp/iat/sub/role required, role `authenticated`;
HS256 with the project's JWT secret, or ES256/RS256 with the project's JWKS. The Supabase user maps to
the local user with the same e-mail (created on first use).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from sqlmodel import Session, func, select

from app.core import db
from app.core.config import get_settings
from app.services import audit
from app.services.errors import NotAuthenticated
from models import User

AUDIENCE = "authenticated"
ASYMMETRIC = ("ES256", "RS256")
JWKS_TTL_SECONDS = 600
_INVALID = "the Supabase access token is invalid or expired: sign in again"
_jwks_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_jwks_lock = threading.Lock()


def enabled() -> bool:
    s = get_settings()
    return bool(s.supabase_url and s.supabase_anon_key)


def issuer() -> str:
    return f"{(get_settings().supabase_url or '').rstrip('/')}/auth/v1"


def _jwks(refresh: bool = False) -> dict[str, Any]:
    url = f"{issuer()}/.well-known/jwks.json"
    with _jwks_lock:
        hit = _jwks_cache.get(url)
        if hit and not refresh and time.monotonic() - hit[0] < JWKS_TTL_SECONDS:
            return hit[1]
    resp = httpx.get(url, timeout=5, headers={"apikey": get_settings().supabase_anon_key or ""})
    resp.raise_for_status()
    data: dict[str, Any] = resp.json()
    with _jwks_lock:
        _jwks_cache[url] = (time.monotonic(), data)
    return data


def _key_for(token: str, alg: str, kid: str | None) -> Any:
    if alg == "HS256":
        secret = get_settings().supabase_jwt_secret
        if not secret:
            raise NotAuthenticated(_INVALID)
        return secret
    for attempt in (False, True):  # a kid we do not know yet: the project rotated keys; fetch again
        try:
            keys = _jwks(refresh=attempt).get("keys", [])
        except httpx.HTTPError as exc:
            raise NotAuthenticated(
                "cannot check the Supabase token right now (JWKS unreachable); try again") from exc
        for k in keys:
            if k.get("kid") == kid and k.get("alg", alg) == alg:
                return jwt.PyJWK(k, algorithm=alg).key
    raise NotAuthenticated(_INVALID)


def verify(token: str) -> dict[str, Any]:
    """The claims of a genuine, current Supabase access token; NotAuthenticated for anything else."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise NotAuthenticated(_INVALID) from exc
    alg = header.get("alg")
    # Only the algorithms Supabase signs with; "none" and anything else are refused before any key use.
    if alg not in ("HS256", *ASYMMETRIC):
        raise NotAuthenticated(_INVALID)
    key = _key_for(token, alg, header.get("kid"))
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[alg], audience=AUDIENCE, issuer=issuer(),
            options={"require": ["exp", "iat", "sub", "role", "aud", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise NotAuthenticated(_INVALID) from exc
    if claims.get("role") != "authenticated" or not claims.get("email"):
        raise NotAuthenticated(_INVALID)
    return claims


def user_for_token(session: Session, token: str) -> User:
    """The local user of a verified Supabase token: matched by e-mail, created on first sign-in."""
    claims = verify(token)
    email = str(claims["email"]).strip()
    with db.as_service(session):
        user = session.exec(select(User).where(func.lower(User.email) == email.lower())).first()
        if user is None:
            user = User(email=email, display_name=email.split("@")[0][:120],
                        email_verified_at=datetime.now(UTC))  # Supabase confirmed the address
            session.add(user)
            session.flush()
            audit.record(session, "user.created", actor_id=user.id, subject_type="user", subject_id=user.id,
                         via="supabase", supabase_sub=str(claims["sub"]))
            session.flush()
    if not user.is_active:
        raise NotAuthenticated(_INVALID)
    db.set_claims(session, db.user_claims(user.id))
    return user


def sign_in_with_password(session: Session, email_address: str, password: str) -> User:
    """With Supabase Auth as the provider, a password sign-in goes through supabase-py (GoTrue); the
    access token it returns is verified like any Supabase JWT and mapped to the local user."""
    # Lazy: supabase-py is heavy and only loaded where Supabase Auth is the provider.
    from supabase import create_client
    from supabase_auth.errors import AuthError

    s = get_settings()
    client = create_client(s.supabase_url or "", s.supabase_anon_key or "")
    try:
        res = client.auth.sign_in_with_password({"email": email_address, "password": password})
    except AuthError as exc:
        raise NotAuthenticated(_INVALID) from exc
    if res.session is None:
        raise NotAuthenticated(_INVALID)
    return user_for_token(session, res.session.access_token)
