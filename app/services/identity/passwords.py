"""Password hashing (argon2id) and the rules for new passwords.

NIST SP 800-63B / OWASP ASVS 2.1: 10..1024 characters, no composition rules, refuse the commonest
passwords. Hashing costs ~20 ms on purpose; callers on an event loop run it in a thread.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.services.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 1024
# OWASP's argon2id minimum: m = 19 MiB, t = 2, p = 1 (memory_cost is in KiB).
MEMORY_COST_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1
_COMMON_FILE = Path(__file__).parent / "data" / "common_passwords.txt"

_hasher = PasswordHash(
    (Argon2Hasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM),)
)


@lru_cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def validate_new_password(password: str, *, field: str = "password", email: str | None = None) -> None:
    """Raise ValidationFailed naming `field` and what to do; say nothing about composition."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ValidationFailed(f"{field}: use at least {MIN_LENGTH} characters", field=field)
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"{field}: use at most {MAX_LENGTH} characters", field=field)
    lowered = password.lower()
    if lowered in common_passwords():
        raise ValidationFailed(
            f"{field}: this is one of the 10,000 most common passwords; choose a less common one", field=field
        )
    if email and lowered == email.strip().lower():
        raise ValidationFailed(f"{field}: do not use your e-mail address as your password", field=field)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(password: str, password_hash: str | None) -> tuple[bool, str | None]:
    """(ok, new_hash): new_hash is set when the stored hash used older parameters and should be replaced.

    With no stored hash (unknown e-mail, social-only account) a dummy hash is verified instead, so the
    answer takes as long as for a real account.
    """
    if not password_hash or len(password) > MAX_LENGTH:
        _hasher.verify(password[:MAX_LENGTH], _dummy_hash())
        return False, None
    try:
        return _hasher.verify_and_update(password, password_hash)
    except Exception:  # noqa: BLE001 - a malformed stored hash is a failed sign-in, not a 500
        return False, None


@lru_cache
def _dummy_hash() -> str:
    return _hasher.hash("quillcast-dummy-password-for-timing")
