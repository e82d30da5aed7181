"""Encryption at rest for channel credentials, TOTP secrets and other secrets (MultiFernet).

ENCRYPTION_KEYS is a comma-separated list of Fernet keys, newest first: the first encrypts, all
decrypt, `rotate()` re-encrypts with the first. Unset, the keys come from the generated key file
(app/core/keys.py) or, when SECRET_KEY is set, one key is derived from it.

The key derived from the old published default SECRET_KEY is never among them: only `legacy_decrypt`
opens such values, for app.core.rekey to re-encrypt them.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from app.core.config import LEGACY_DEFAULT_SECRET_KEY, get_settings
from app.core.keys import derived_fernet_key


class DecryptionFailed(Exception):
    """The value was not made with any configured key (a key was removed, or the data was altered)."""


@lru_cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in get_settings().encryption_key_list])


@lru_cache
def _legacy_fernet() -> Fernet:
    return Fernet(derived_fernet_key(LEGACY_DEFAULT_SECRET_KEY))


def reset_keys() -> None:
    _fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("cannot decrypt: the key that encrypted this value is not configured") from exc


def readable(token: str) -> bool:
    """Whether a configured key opens the value."""
    try:
        _fernet().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def legacy_decrypt(token: str) -> str | None:
    """The plaintext of a value made with the old default key, or None."""
    try:
        return _legacy_fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()
