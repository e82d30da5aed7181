"""Re-encrypt what the old published default key encrypted, with the current key.

Versions before the key file derived the Fernet key from a default SECRET_KEY written in the source, so
values stored by a `make run` of those versions are readable by anyone. `quillcast migrate` and
`quillcast run` call `reencrypt_legacy()` after the schema upgrade: each value that no configured key
opens but the legacy key does is re-encrypted with the newest key. It is idempotent (a second run finds
nothing), commits per batch, and logs counts only, never a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import structlog
from sqlalchemy import text

from app.core import crypto, db

log = structlog.get_logger("rekey")

# Every column that holds crypto.encrypt() output (models mark them "Fernet-encrypted"; a unit test
# keeps this list in step with them). Constants only: they are formatted into the SQL below.
ENCRYPTED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("channels", "credentials"),
    ("users", "totp_secret"),
    ("webhooks", "secret"),
)


@dataclass
class Rekeyed:
    reencrypted: dict[str, int] = field(default_factory=dict)  # "table.column" -> values re-encrypted
    unreadable: dict[str, int] = field(default_factory=dict)  # no key opens them, the legacy one neither

    @property
    def total(self) -> int:
        return sum(self.reencrypted.values())

    def summary(self) -> str:
        parts = [f"{name} {n}" for name, n in self.reencrypted.items() if n]
        line = f"re-encrypted {self.total} value(s) made with the old default key"
        return line + (f" ({', '.join(parts)})" if parts else "")


def reencrypt_legacy(batch_size: int = 500) -> Rekeyed:
    result = Rekeyed()
    for table, column in ENCRYPTED_COLUMNS:
        name = f"{table}.{column}"
        result.reencrypted[name], result.unreadable[name] = _table(table, column, batch_size)
    if result.total:
        log.info("encryption.legacy_reencrypted", count=result.total, columns=result.reencrypted)
    for name, n in result.unreadable.items():
        if n:
            log.warning("encryption.unreadable", column=name, count=n)
    return result


def _table(table: str, column: str, batch_size: int) -> tuple[int, int]:
    # Service claims: row-level security lets the system see every workspace's rows.
    first = text(f"SELECT id, {column} FROM {table} WHERE coalesce({column}, '') <> ''"  # noqa: S608
                 " ORDER BY id LIMIT :n")
    after = text(f"SELECT id, {column} FROM {table} WHERE coalesce({column}, '') <> ''"  # noqa: S608
                 " AND id > :last ORDER BY id LIMIT :n")
    # Compare-and-set: a value changed meanwhile (the user re-enrolled) is left as it is now.
    update = text(f"UPDATE {table} SET {column} = :new WHERE id = :id AND {column} = :old")  # noqa: S608
    done = unreadable = 0
    last = None
    with db.session_scope() as session:
        while True:
            if last is None:
                rows = session.execute(first, {"n": batch_size}).all()
            else:
                rows = session.execute(after, {"n": batch_size, "last": last}).all()
            if not rows:
                return done, unreadable
            for row_id, value in rows:
                if crypto.readable(value):
                    continue
                plain = crypto.legacy_decrypt(value)
                if plain is None:
                    unreadable += 1
                    continue
                changed = session.execute(update, {"new": crypto.encrypt(plain), "id": row_id, "old": value})
                done += changed.rowcount  # type: ignore[attr-defined]
            last = rows[-1][0]
            session.commit()
