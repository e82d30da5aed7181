"""The key file: SECRET_KEY and ENCRYPTION_KEYS generated on the first start when SECRET_KEY is unset.

A fresh `make run` must not sign tokens with a key printed in the source, yet must work with no setup.
So the first process that needs keys writes random ones to `<DATA_DIR>/secrets.env` (mode 0600) and
every process after it (web, worker, beat, CLI commands) reads the same file. The file is written
under a temporary name and linked into place, so two processes starting together agree on one set.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

KEY_FILE_NAME = "secrets.env"
_HEADER = """\
# Quillcast's keys, generated on the first start because SECRET_KEY was unset. Every process reads them
# from here. Keep this file: without ENCRYPTION_KEYS the channel credentials, two-factor secrets and
# webhook secrets in the database cannot be read. Keep a copy apart from the backups.
# To rotate the encryption key, put a new one in front (newest first) and keep the old one after it.
"""


class KeyFileError(ValueError):
    """The key file cannot be written or read: one line that names the file and the fix."""


def key_file(data_dir: Path) -> Path:
    return data_dir / KEY_FILE_NAME


def _generate() -> str:
    return (
        f"{_HEADER}SECRET_KEY={secrets.token_urlsafe(48)}\n"
        f"ENCRYPTION_KEYS={Fernet.generate_key().decode()}\n"
    )


def _create(path: Path) -> None:
    """Write a new key file unless one exists; the loser of a race keeps the winner's file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(_generate())
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic and never replaces an existing file
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def _parse(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip().strip("'\"")
    return values


def load_or_create(data_dir: Path) -> dict[str, str]:
    """SECRET_KEY and ENCRYPTION_KEYS from the key file under `data_dir`, made first if missing."""
    path = key_file(data_dir)
    try:
        if not path.exists():
            _create(path)
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # a copy restored with loose permissions: only this user may read keys
        values = _parse(path)
    except OSError as exc:
        raise KeyFileError(
            f"cannot use the key file {path} ({exc.strerror or exc}): make DATA_DIR writable, or set "
            "SECRET_KEY and ENCRYPTION_KEYS yourself"
        ) from exc
    if not values.get("SECRET_KEY") or not values.get("ENCRYPTION_KEYS"):
        raise KeyFileError(f"the key file {path} lacks SECRET_KEY or ENCRYPTION_KEYS: restore it from your "
                           "copy (or, on an instance with no data yet, delete it to generate new keys)")
    return values


def derived_fernet_key(secret_key: str) -> str:
    """The Fernet key made from SECRET_KEY when ENCRYPTION_KEYS is unset (how every version did it)."""
    digest = hashlib.sha256(b"quillcast-encryption:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()
