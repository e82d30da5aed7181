"""Point-in-time recovery for the embedded PostgreSQL: WAL archiving and base backups.

Every start of the embedded server (app/core/embedded.py) writes `quillcast.conf` into its data directory:
each finished WAL segment is gzipped into DATA_DIR/wal-archive, and `archive_timeout` finishes a segment
at most ARCHIVE_TIMEOUT_S after a change, so at most that much committed work is only on the server's
own disk. Base backups (`pg_basebackup`, plain format with the WAL they need) go to DATA_DIR/base-backups.
A restore (app/core/pitr_restore.py) copies the newest base backup finished before the chosen time and
replays the archive up to it.

The archive is shell (gzip, sync, mv), not Python: as root, pgserver runs the server as its own user,
which cannot run a Python under /root. Compression matters: a segment finished by the timeout is 16 MiB
on disk, mostly zeros, and gzip makes it a few KiB.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ARCHIVE_TIMEOUT_S = 30  # the RPO bound for a lost disk: half the 60 s goal, archiving's latency on top
CONF_NAME = "quillcast.conf"
INCLUDE_LINE = f"include_if_exists = '{CONF_NAME}'  # WAL archiving, written by Quillcast at each start"
SEGMENT = re.compile(r"^[0-9A-F]{24}$")
BACKUP_PREFIX = "base-"
# What pgserver and the running server keep in the data directory, which pg_basebackup copies along.
RUNTIME_FILES = ("postmaster.pid", "postmaster.opts", ".s.PGSQL.*", ".handle_pids.json")


class PitrError(RuntimeError):
    """A one-line, user-facing reason archiving, a base backup or a restore did not happen."""


@dataclass(frozen=True)
class BaseBackup:
    path: Path
    started_at: datetime
    finished_at: datetime  # the backup is consistent from here: the earliest time it can restore to

    @property
    def start_segment(self) -> str | None:
        label = (self.path / "backup_label")
        found = re.search(r"\(file ([0-9A-F]{24})\)", label.read_text()) if label.exists() else None
        return found.group(1) if found else None


def archive_dir(data_dir: Path) -> Path:
    return data_dir.resolve() / "wal-archive"


def base_backups_dir(data_dir: Path) -> Path:
    return data_dir.resolve() / "base-backups"


def pgdata_of(data_dir: Path) -> Path:
    return data_dir.resolve() / "postgres"


def server_user() -> tuple[int, int] | None:
    """(uid, gid) the server runs as when we are root (pgserver then uses a user of its own), else None."""
    if os.geteuid() != 0:
        return None
    import pwd

    from pgserver.utils import ensure_user_exists  # type: ignore[import-untyped]

    ensure_user_exists("pgserver")
    entry = pwd.getpwnam("pgserver")
    return entry.pw_uid, entry.pw_gid


def give_to_server(path: Path) -> None:
    """Make `path` (recursively) the server's own, as PostgreSQL insists for its data directory."""
    owner = server_user()
    if owner is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, *owner)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), *owner)


def _conf_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def archive_settings(data_dir: Path, recovery: dict[str, str] | None = None) -> str:
    """The text of quillcast.conf. `recovery`: recovery_target_* lines while a restore replays."""
    archive = archive_dir(data_dir)
    a = shlex.quote(str(archive))
    # Written aside, flushed, then renamed: a crash never leaves a half segment under its final name.
    # Overwriting the same name is allowed so a retry after a crash between mv and the server noting
    # it succeeds; two servers must never share one archive directory.
    push = (f"gzip -1 -c %p > {a}/%f.gz.part && sync {a}/%f.gz.part && mv {a}/%f.gz.part {a}/%f.gz")
    # Segments copied into the archive by hand may be plain: take either.
    fetch = (f"if [ -f {a}/%f.gz ]; then gzip -d -c {a}/%f.gz > %p; else cp {a}/%f %p; fi")
    lines = [
        "# Written by Quillcast at each start of the embedded PostgreSQL (app/core/pitr.py); edits here are",
        "# overwritten: use ALTER SYSTEM (postgresql.auto.conf) for your own settings.",
        "wal_level = replica",
        "archive_mode = on",
        f"archive_command = {_conf_string(push)}",
        f"archive_timeout = {ARCHIVE_TIMEOUT_S}",
        f"restore_command = {_conf_string(fetch)}",
        "max_wal_senders = 10",
    ]
    lines += [f"{k} = {_conf_string(v)}" for k, v in (recovery or {}).items()]
    return "\n".join(lines) + "\n"


def configure(pgdata: Path, data_dir: Path, recovery: dict[str, str] | None = None) -> None:
    """Write quillcast.conf (and include it from postgresql.conf once); takes effect at the next start."""
    archive = archive_dir(data_dir)
    archive.mkdir(parents=True, exist_ok=True)
    archive.chmod(0o700)
    owner = server_user()
    if owner:
        os.chown(archive, *owner)
    conf = pgdata / "postgresql.conf"
    text = conf.read_text()
    if INCLUDE_LINE not in text:
        conf.write_text(text.rstrip("\n") + "\n\n" + INCLUDE_LINE + "\n")
    target = pgdata / CONF_NAME
    target.write_text(archive_settings(data_dir, recovery))
    if owner:
        os.chown(target, *owner)


def archives_here(database_url: str, data_dir: Path) -> bool:
    """Whether `database_url` is this DATA_DIR's embedded server, archiving (so base backups are ours)."""
    from sqlalchemy.engine import make_url

    pgdata = pgdata_of(data_dir)
    host = make_url(database_url).query.get("host")
    return host is not None and Path(str(host)).resolve() == pgdata and (pgdata / CONF_NAME).exists()


def archiving_active(show: dict[str, str], data_dir: Path) -> bool:
    """Whether a running server (its `SHOW` values) archives into this DATA_DIR's archive."""
    return show.get("archive_mode") == "on" and str(archive_dir(data_dir)) in show.get("archive_command", "")


def _bin(name: str) -> str:
    from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-untyped]

    return str(Path(POSTGRES_BIN_PATH) / name)


def _run(argv: list[str], what: str, timeout: float = 3600) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout)  # noqa: S603
    except subprocess.TimeoutExpired as exc:
        raise PitrError(f"{what} did not finish within {timeout:.0f} s") from exc
    if done.returncode != 0:
        lines = [ln for ln in (done.stderr or done.stdout).strip().splitlines() if ln.strip()]
        lines = [ln for ln in lines if "error" in ln.lower()] or lines  # not the tool's cleanup notes
        raise PitrError(f"{what} failed: {(lines[-1] if lines else f'exit code {done.returncode}')[:300]}")
    return done.stdout


def base_backups(data_dir: Path) -> list[BaseBackup]:
    """Finished base backups, newest first (one without its .json note was never finished)."""
    found = []
    root = base_backups_dir(data_dir)
    for note in root.glob(f"{BACKUP_PREFIX}*.json") if root.exists() else []:
        path = note.with_suffix("")
        try:
            meta = json.loads(note.read_text())
            found.append(BaseBackup(path, datetime.fromisoformat(meta["started_at"]),
                                    datetime.fromisoformat(meta["finished_at"])))
        except (ValueError, KeyError, OSError):
            continue
    return sorted((b for b in found if b.path.is_dir()), key=lambda b: b.finished_at, reverse=True)


def take_base_backup(data_dir: Path, into: Path | None = None, standby: bool = False) -> BaseBackup:
    """A base backup of DATA_DIR's running embedded server, with the WAL it needs to be consistent, into
    DATA_DIR/base-backups (or `into`). `standby`: a streaming replica's data directory (`-R`)."""
    started = datetime.now(UTC)
    root = base_backups_dir(data_dir)
    if into is None:
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o700)  # a copy of the whole database: password hashes, encrypted credentials
    path = into or root / f"{BACKUP_PREFIX}{started:%Y%m%d-%H%M%S-%f}"
    partial = path.with_name(path.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    argv = [_bin("pg_basebackup"), "--pgdata", str(partial), "--host", str(pgdata_of(data_dir)),
            "--username", "postgres", "--no-password", "--wal-method=stream", "--checkpoint=fast"]
    try:
        _run(argv + (["--write-recovery-conf"] if standby else []), "pg_basebackup")
    except PitrError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    for name in RUNTIME_FILES:  # the source server's, in its data directory: they would stop a start here
        for stale in partial.glob(name):
            stale.unlink()
    partial.rename(path)
    finished = datetime.now(UTC)
    note = path.with_name(path.name + ".json")
    note.write_text(json.dumps({"started_at": started.isoformat(), "finished_at": finished.isoformat()}))
    return BaseBackup(path, started, finished)


def prune(data_dir: Path, keep: int) -> tuple[list[Path], int]:
    """Keep the newest `keep` base backups, and the archived WAL the oldest of them needs onwards.

    Returns the base backups removed and how many archived segments went with them."""
    backups = base_backups(data_dir)
    old = backups[max(keep, 1):]
    for b in old:
        shutil.rmtree(b.path, ignore_errors=True)
        b.path.with_name(b.path.name + ".json").unlink(missing_ok=True)
    kept = backups[: max(keep, 1)]
    oldest_start = kept[-1].start_segment if kept else None
    removed = 0
    if oldest_start:
        # Compare the position only (the last 16 digits): after a restore the timeline number grows.
        for f in archive_dir(data_dir).glob("*.gz"):
            name = f.name.removesuffix(".gz")
            if SEGMENT.match(name) and name[8:] < oldest_start[8:]:
                f.unlink(missing_ok=True)
                removed += 1
    return [b.path for b in old], removed


def parse_target(text: str, now: datetime) -> datetime | None:
    """`latest` (None) or an ISO-8601 time with its offset, not in the future."""
    value = text.strip()
    if value.lower() == "latest":
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise PitrError(f"--to-time: {text!r} is not a time; give ISO-8601 with its offset, such as "
                        "2026-12-03T14:05:00+01:00, or `latest`") from None
    if when.tzinfo is None:
        raise PitrError(f"--to-time: {text!r} has no offset; add one, such as {value}+00:00 for UTC")
    if when > now:
        raise PitrError(f"--to-time: {when.isoformat()} is in the future (now "
                        f"{now.isoformat(timespec='seconds')}); give a past time, or `latest`")
    return when.astimezone(UTC)
