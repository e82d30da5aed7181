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


def base_backup_if_due() -> None:
    """At `quillcast run`: the embedded PostgreSQL's base backup when none is a day old (a warning if not)."""
    from app.core.pitr import PitrError
    from app.services.operations import backups

    if not backups.base_backup_due():
        return
    say("taking a base backup for point-in-time recovery (none yet, or the newest is a day old)")
    try:
        taken = backups.base_backup_if_due()
    except PitrError as exc:
        say(f"warning: {exc}; point-in-time recovery has no starting point until one succeeds")
        return
    say(f"base backup written: {taken['path']}")


def restore(file: Path = typer.Argument(None, help="A quillcast-*.dump file from `quillcast backup`"),
            to_time: str = typer.Option(None, "--to-time", help="Point-in-time recovery of the embedded "
                                        "PostgreSQL instead: ISO-8601 with offset, or `latest`"),
            yes: bool = typer.Option(False, "--yes", help="Really replace the database's contents")) -> None:
    """Replace the database with a backup file (then migrate), or with its state at a time (--to-time)."""
    from app.core import backup as backups

    if (file is None) == (to_time is None):
        fail("give a backup FILE (from `quillcast backup`) or --to-time T (point-in-time recovery): "
             "one of them")
    if to_time is not None:
        _restore_to_time(to_time, yes)
        return
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


def _restore_to_time(to_time: str, yes: bool) -> None:
    from datetime import UTC, datetime

    from app.core import pitr, pitr_restore

    settings = load_settings()
    if settings.database_url:
        fail("--to-time restores the embedded PostgreSQL (DATABASE_URL unset); a server of your own recovers "
             "from its archive, RDS with `aws rds restore-db-instance-to-point-in-time` (docs/OPERATIONS.md)")
    now = datetime.now(UTC)
    try:
        target = pitr.parse_target(to_time, now)
        base = pitr_restore.check(settings.data_dir, target)
    except pitr.PitrError as exc:
        fail(str(exc))
    point = target.isoformat() if target else "the end of the archive"
    pgdata = pitr.pgdata_of(settings.data_dir)
    if not yes:
        fail(f"this replaces the database in {pgdata} with its state at {point} (the current one is kept "
             "aside): stop Quillcast first, then run again with --yes")
    say(f"restoring to {point} from the base backup of {base.finished_at.isoformat(timespec='seconds')}")
    try:
        done = pitr_restore.restore_to(settings.data_dir, target, now)
        pitr_restore.finish(settings.data_dir)
    except pitr.PitrError as exc:
        fail(str(exc))
    if done.whole_archive:
        say(f"nothing committed after {point} is in the archive: restored all it holds (its last commit is "
            "the nearest to that time there is)")
    if done.replaced:
        say(f"the data directory it replaced is kept in {done.replaced} (delete it once you are sure)")
    say(f"restored to {point}; start Quillcast again (`quillcast run`)")
