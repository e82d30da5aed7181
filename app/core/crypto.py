"""Encryption at rest for channel credentials, TOTP secrets and other secrets (MultiFernet).

ENCRYPTION_KEYS is a comma-separated list of Fernet keys, newest first: the first encrypts, all
decrypt, `rotate()` re-encrypts with the first. Unset, one key is derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.core.config import get_settings


class DecryptionFailed(Exception):
    """The value was not made with any configured key (a key was removed, or the data was altered)."""


@lru_cache
def _fernet() -> MultiFernet:
    settings = get_settings()
    keys = [k.strip() for k in (settings.encryption_keys or "").split(",") if k.strip()]
    if not keys:
        digest = hashlib.sha256(b"quillcast-encryption:" + settings.secret_key.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(k) for k in keys])


def reset_keys() -> None:
    _fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("cannot decrypt: the key that encrypted this value is not configured") from exc


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()
