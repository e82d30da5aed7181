"""The database's commands: migrate, backup and restore."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from app.cli.base import fail, load_settings, say
from app.cli.local import database_for_maintenance, local_services, reload_settings


def run_migrations() -> None:
    """Migrate to the head revision, then re-encrypt values of the old default key; one line on failure."""
    from alembic.util.exc import CommandError

    from app.core import dblogin, migrations

    try:
        migrations.upgrade()
    except CommandError as exc:
        fail(f"migration failed: {exc}. The database was migrated by a newer Quillcast, or a migration "
             "file is missing: update this checkout (git pull) and run `quillcast migrate`")
    except dblogin.LoginError as exc:
        fail(str(exc))
    say(f"database schema at {migrations.head_revision()}")
    _reencrypt_legacy()


def _reencrypt_legacy() -> None:
    from app.core import db, rekey

    db.reset_engine()  # connections opened before the migration created the app role cannot switch to it
    try:
        result = rekey.reencrypt_legacy()
    except Exception as exc:  # noqa: BLE001 - one clear line; the values stay as they were
        # The first line only: SQLAlchemy puts the statement's parameters on the lines after it.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        fail(f"re-encrypting values of the old default key failed ({reason}): run `quillcast migrate` again")
    if result.total:
        say(result.summary())
    unreadable = sum(result.unreadable.values())
    if unreadable:
        say(f"warning: {unreadable} encrypted value(s) open with no configured key: put the key that made "
            "them back in ENCRYPTION_KEYS (after the newest)")


def migrate() -> None:
    """Bring the database schema to the latest migration (and re-encrypt values of the old default key)."""
    with local_services(create_database=True):
        run_migrations()


def backup(directory: Path = typer.Option(None, "--dir", help="Where to write (default BACKUP_DIR or "
                                          "DATA_DIR/backups)")) -> None:
    """Back up the database to a file (pg_dump custom format); keeps the newest BACKUP_KEEP."""
    from app.core import backup as backups
    from app.services.operations.backups import media_note

    settings = load_settings()
    target = directory or settings.backups_path
    with database_for_maintenance() as url:
        try:
            taken = backups.take(url, target)
        except backups.BackupError as exc:
            fail(str(exc))
    removed = backups.prune(target, settings.backup_keep)
    say(f"backup written: {taken.path} ({taken.size / 1024:.0f} KiB)"
        + (f"; removed {len(removed)} older" if removed else ""))
    key_file = settings.key_file_used
    keys = f"the key file {key_file}" if key_file else "SECRET_KEY / ENCRYPTION_KEYS"
    say(f"keep {keys} safe as well, apart from the backups: the encrypted secrets in them need it")
    say(media_note())


def restore(file: Path = typer.Argument(..., help="A quillcast-*.dump file from `quillcast backup`"),
            yes: bool = typer.Option(False, "--yes", help="Really replace the database's contents")) -> None:
    """Replace the database's contents with a backup, then migrate it to this version's schema."""
    from app.core import backup as backups

    if not yes:
        fail(f"this replaces everything in the database with {file.name}: stop Quillcast first, then run "
             "again with --yes")
    with database_for_maintenance() as url:
        try:
            backups.restore(url, file)
        except backups.BackupError as exc:
            fail(str(exc))
        os.environ["DATABASE_URL"] = url
        reload_settings()
        run_migrations()
    say(f"restored {file.name}")
