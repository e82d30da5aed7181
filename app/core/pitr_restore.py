"""Restore the embedded PostgreSQL to a point in time: the newest base backup finished before it, plus the
archived WAL up to it. The data directory it replaces is renamed aside, never deleted.

PostgreSQL's own procedure (docs: "Recovering Using a Continuous Archive Backup"): move the cluster aside,
copy the base backup in, add the segments the old pg_wal holds that never reached the archive (so a
surviving disk loses nothing), write recovery.signal and the target, start, wait for the promotion.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from app.core import embedded, pitr
from app.core.pitr import PitrError


@dataclass(frozen=True)
class Restored:
    base: pitr.BaseBackup
    target: datetime | None  # None: the end of the archive
    replaced: Path | None  # where the data directory that was there now is
    copied_unarchived: int  # WAL segments taken from the replaced directory's pg_wal
    whole_archive: bool = False  # nothing after `target` was archived: all of it was replayed


def check(data_dir: Path, target: datetime | None) -> pitr.BaseBackup:
    """What a restore to `target` would start from; the error a restore would meet, before anything moves."""
    pgdata = pitr.pgdata_of(data_dir)
    if embedded.postgres_running(pgdata):
        raise PitrError(f"the embedded PostgreSQL in {pgdata} is running: stop Quillcast (and every command "
                        "using it) first")
    return choose_base(data_dir, target)


def finish(data_dir: Path) -> pitr.BaseBackup:
    """After a restore: a base backup of the new timeline (the next restore starts from it), then stop."""
    try:
        return pitr.take_base_backup(data_dir)
    finally:
        stop(pitr.pgdata_of(data_dir))


def choose_base(data_dir: Path, target: datetime | None) -> pitr.BaseBackup:
    """The newest base backup that is consistent at `target`; the errors say what is possible."""
    backups = pitr.base_backups(data_dir)
    archive = pitr.archive_dir(data_dir)
    if not backups:
        raise PitrError(f"no base backup in {pitr.base_backups_dir(data_dir)}: nothing to restore from "
                        "(one is taken when `quillcast run` starts and daily by beat)")
    if not archive.is_dir() or not any(archive.iterdir()):
        raise PitrError(f"no archived WAL in {archive}: archiving never ran here, so only the base backups "
                        "could come back; copy the archive back, or restore a `quillcast backup` file")
    usable = [b for b in backups if target is None or b.finished_at <= target]
    if not usable:
        oldest = backups[-1].finished_at.isoformat(timespec="seconds")
        raise PitrError(f"--to-time: {target.isoformat() if target else ''} is before the oldest base backup "
                        f"(consistent from {oldest}): choose a time after it")
    return usable[0]


def _copy_unarchived(replaced: Path | None, pgdata: Path, archive: Path) -> int:
    if replaced is None or not (replaced / "pg_wal").is_dir():
        return 0
    copied = 0
    for seg in sorted((replaced / "pg_wal").iterdir()):
        if pitr.SEGMENT.match(seg.name) and not (archive / f"{seg.name}.gz").exists() \
                and not (archive / seg.name).exists():
            shutil.copy2(seg, pgdata / "pg_wal" / seg.name)
            copied += 1
    return copied


def _pg_ctl(pgdata: Path, args: list[str], timeout: float) -> None:
    import subprocess

    import pgserver

    user = "pgserver" if pitr.server_user() else None
    try:
        pgserver.pg_ctl(args, pgdata=pgdata, timeout=timeout,  # type: ignore[attr-defined]
                        **({"user": user} if user else {}))
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise PitrError(f"pg_ctl {args[-1]} failed: {_log_tail(pgdata)}") from exc


def _log_tail(pgdata: Path) -> str:
    log = pgdata / "log"
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if "FATAL" in ln or "ERROR" in ln] \
        if log.exists() else []
    return (lines[-1] if lines else f"see {log}")[:300]


def start(pgdata: Path, timeout: float = 3600) -> None:
    """Start the server as pgserver does (Unix socket in the data directory, no TCP), waiting as long as
    recovery takes (pgserver gives pg_ctl 10 s)."""
    _pg_ctl(pgdata, ["-w", "-t", str(int(timeout)), "-o", '-h ""', "-o", f"-k {pgdata}", "-l",
                     str(pgdata / "log"), "start"], timeout + 30)


def wait_promoted(pgdata: Path, timeout: float = 3600) -> None:
    """Until recovery has ended and the server takes writes; an error naming the log's reason if it stops."""
    import psycopg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not embedded.postgres_running(pgdata):
            raise PitrError(f"recovery stopped: {_log_tail(pgdata)}")
        try:
            with psycopg.connect(host=str(pgdata), user="postgres", dbname="postgres",
                                 connect_timeout=5) as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
                if row is not None and not row[0]:
                    return
        except psycopg.OperationalError:
            pass  # not yet consistent, or shutting down after a failed recovery: the loop looks again
        time.sleep(0.2)
    raise PitrError(f"recovery did not end within {timeout:.0f} s: see {pgdata / 'log'}")


def promote(pgdata: Path, timeout: float = 120) -> None:
    """End a standby's recovery now (fail-over to a replica); returns once it takes writes."""
    _pg_ctl(pgdata, ["-w", "-t", str(int(timeout)), "promote"], timeout + 30)


def stop(pgdata: Path) -> None:
    if not embedded.postgres_running(pgdata):
        return
    try:
        _pg_ctl(pgdata, ["-w", "-m", "fast", "stop"], 120)
    except PitrError:
        pass  # already stopped


class _NothingAfterTarget(PitrError):
    """The replay met no commit after the target: PostgreSQL stops, the target "not reached"."""


def restore_to(data_dir: Path, target: datetime | None, now: datetime | None = None) -> Restored:
    """Replace DATA_DIR/postgres with its state at `target` (None: the latest archived). The server is
    left running and promoted; the caller stops it. On failure the replaced directory is put back."""
    try:
        return _attempt(data_dir.resolve(), target, now or datetime.now(UTC))
    except _NothingAfterTarget:
        # Nothing committed after `target` is in the archive (a quiet hour, or the last minutes were
        # lost): the archive's end is the state at `target`, or the nearest to it there is.
        done = _attempt(data_dir.resolve(), None, datetime.now(UTC))
        return replace(done, target=target, whole_archive=True)


def _attempt(data_dir: Path, target: datetime | None, now: datetime) -> Restored:
    pgdata = pitr.pgdata_of(data_dir)
    base = check(data_dir, target)
    stamp = f"{now:%Y%m%d-%H%M%S-%f}"
    replaced = pgdata.with_name(f"postgres.replaced-{stamp}") if pgdata.exists() else None
    if replaced is not None:
        pgdata.rename(replaced)
    try:
        # The backed-up server's runtime files (its socket lock, pid lists) would stop ours from starting.
        stale = shutil.ignore_patterns(*pitr.RUNTIME_FILES)
        shutil.copytree(base.path, pgdata, symlinks=True, ignore=stale)
        copied = _copy_unarchived(replaced, pgdata, pitr.archive_dir(data_dir))
        recovery = {"recovery_target_action": "promote", "recovery_target_timeline": "latest"}
        if target is not None:
            recovery["recovery_target_time"] = target.isoformat()
        pitr.configure(pgdata, data_dir, recovery)
        (pgdata / "recovery.signal").touch()
        pgdata.chmod(0o700)
        pitr.give_to_server(pgdata)
        start(pgdata)
        wait_promoted(pgdata)
    except Exception as exc:
        stop(pgdata)
        early = isinstance(exc, PitrError) and "before configured recovery target" in str(exc)
        if early:
            shutil.rmtree(pgdata, ignore_errors=True)  # our own copy of a base backup, nothing else
        elif pgdata.exists():
            pgdata.rename(pgdata.with_name(f"postgres.failed-restore-{stamp}"))
        if replaced is not None:
            replaced.rename(pgdata)
        if early:
            raise _NothingAfterTarget(str(exc)) from exc
        raise
    # The target lines are spent: the next start is a normal one. (No sync here: the server fsyncs the
    # copied directory when it starts from a backup, and the end of recovery is a checkpoint.)
    pitr.configure(pgdata, data_dir)
    return Restored(base, target, replaced, copied)
