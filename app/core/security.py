"""Access tokens (short JWTs). Refresh tokens, API keys and sessions build on this."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from app.core.config import get_settings

ALGORITHM = "HS256"
ACCESS_TOKEN_TTL = timedelta(minutes=15)
ISSUER = "quillcast"
AUDIENCE = "quillcast-api"


class InvalidToken(Exception):
    pass


def create_access_token(user_id: uuid.UUID, *, ttl: timedelta = ACCESS_TOKEN_TTL, **claims: Any) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(user_id), "iat": now, "exp": now + ttl, "iss": ISSUER, "aud": AUDIENCE,
        "jti": uuid.uuid4().hex, "typ": "access", **claims,
    }
    return jwt.encode(payload, get_settings().secret_key, algorithm=ALGORITHM)


def decode_access_token(token: str) -> dict[str, Any]:
    """Claims of a valid token; raises InvalidToken for a bad signature, algorithm, expiry or audience."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, get_settings().secret_key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    return claims
