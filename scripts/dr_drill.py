"""Disaster-recovery drill: `make dr-drill` (a script, not a test). Prints ONE JSON line on stdout.

On a DATA_DIR of its own (a temporary directory), as `quillcast run` would: the embedded PostgreSQL with
WAL archiving, migrated, a base backup. Then posts are written continuously (SQL, one transaction each;
acknowledged = the commit returned; each acknowledged id and its time are recorded), and the database is
destroyed: the server and all its processes SIGKILLed and its data directory deleted.

  default    restore with `quillcast restore --to-time latest --yes` (base backup + archive), start it;
  --replica  a streaming replica made with `pg_basebackup -R` before the writes (the stand-in for another
             region) is promoted instead.

Then what came back is compared with what was acknowledged:
  rpo_s  the last acknowledged write's time minus the newest acknowledged write that came back
  rto_s  from the destruction (processes killed, directory deleted) to the database answering with the
         restored data (no detection time: the drill acts at once)
  rows_lost, rows_lost_before_rpo_window  acknowledged rows missing; of those, acknowledged more than
         --rpo-goal seconds before the destruction (must be 0)
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def say(msg: str) -> None:
    print(f"dr-drill | {msg}", file=sys.stderr, flush=True)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--replica", action="store_true", help="promote a streaming replica instead of restoring")
    # Random by default: the loss then falls anywhere in the archive_timeout cycle, so repeated drills
    # sample the RPO's range instead of one phase of it (a fixed 75 s always lost the same 15 s).
    p.add_argument("--seconds", type=float, default=None,
                   help="how long posts are written before the loss (default: random, 60 to 90)")
    p.add_argument("--interval", type=float, default=0.01, help="pause between two writes (seconds)")
    p.add_argument("--rpo-goal", type=float, default=60.0, help="the RPO promised (seconds)")
    p.add_argument("--keep", action="store_true", help="keep the temporary DATA_DIR (its path on stderr)")
    return p.parse_args()


class Writer(threading.Thread):
    """Inserts posts one transaction at a time until told to stop or the server is gone."""

    def __init__(self, pgdata: Path, workspace: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.pgdata, self.workspace, self.interval = pgdata, workspace, interval
        self.acked: dict[str, float] = {}
        self.stopping = threading.Event()
        self.error = ""
        self.started_at = time.time()

    def run(self) -> None:
        import psycopg

        n = 0
        self.started_at = time.time()
        try:
            with psycopg.connect(host=str(self.pgdata), user="postgres", dbname="quillcast",
                                 autocommit=True) as conn:
                while not self.stopping.is_set():
                    n += 1
                    post_id = str(uuid.uuid4())
                    conn.execute("INSERT INTO posts (id, workspace_id, status, body) "
                                 "VALUES (%s, %s, 'draft', %s)", (post_id, self.workspace, f"post #{n}"))
                    self.acked[post_id] = time.time()  # autocommit: execute returned = committed
                    time.sleep(self.interval)
        except psycopg.Error as exc:
            self.error = type(exc).__name__


def destroy(pgdata: Path) -> None:
    """What a lost machine looks like: every server process SIGKILLed, the data directory gone."""
    import psutil

    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    main = psutil.Process(pid)
    procs = [main, *main.children(recursive=True)]
    for p in procs:
        p.kill()
    psutil.wait_procs(procs, timeout=10)
    shutil.rmtree(pgdata)


def answering(pgdata: Path, ids: list[str], timeout: float = 600) -> set[str]:
    """Poll until the server answers; then the acknowledged ids it holds."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(host=str(pgdata), user="postgres", dbname="quillcast",
                                 connect_timeout=2) as conn:
                rows = conn.execute("SELECT id FROM posts WHERE id = ANY(%s::uuid[])", (ids,))
                return {str(r[0]) for r in rows}
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def prepare(data_dir: Path) -> tuple[object, str]:
    from app.core import embedded, migrations, pitr

    pg = embedded.start_postgres(data_dir)
    os.environ["DATABASE_URL"] = pg.url
    say(f"embedded PostgreSQL in {pg.pgdata} (archiving: {pg.archived}); migrating")
    migrations.upgrade(pg.url)
    os.environ.pop("DATABASE_URL")
    pitr.take_base_backup(data_dir)
    import psycopg

    workspace = str(uuid.uuid4())
    with psycopg.connect(host=str(pg.pgdata), user="postgres", dbname="quillcast", autocommit=True) as c:
        c.execute("INSERT INTO workspaces (id, name, slug, timezone, require_2fa) "
                  "VALUES (%s, 'Drill', %s, 'UTC', false)", (workspace, f"drill-{workspace[:8]}"))
    return pg, workspace


def start_replica(data_dir: Path, pgdata: Path) -> Path:
    from app.core import pitr, pitr_restore

    replica = data_dir / "replica"
    pitr.take_base_backup(data_dir, into=replica, standby=True)
    replica.chmod(0o700)
    pitr.give_to_server(replica)
    pitr_restore.start(replica, timeout=120)
    import psycopg

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with psycopg.connect(host=str(pgdata), user="postgres", dbname="postgres", autocommit=True) as c:
            row = c.execute("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'").fetchone()
        if row and row[0]:
            return replica
        time.sleep(0.2)
    raise RuntimeError("the replica did not start streaming within 60 s")


def recover(data_dir: Path, replica: Path | None) -> Path:
    """Bring the database back; returns the data directory that now serves."""
    from app.core import pitr, pitr_restore

    if replica is not None:  # no detection, no DNS: the drill promotes at once
        pitr_restore.promote(replica)
        return replica
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run([sys.executable, "-m", "app.cli", "restore", "--to-time", "latest", "--yes"],  # noqa: S603
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"quillcast restore failed: {done.stderr.strip()[-500:]}")
    say(done.stderr.strip().splitlines()[-1])
    return pitr.pgdata_of(data_dir)


def main() -> None:
    args = parse()
    if args.seconds is None:
        args.seconds = round(random.uniform(60, 90), 1)  # noqa: S311 - a drill's timing, not a secret
    data_dir = Path(tempfile.mkdtemp(prefix="quillcast-dr-"))
    os.environ.update(DATA_DIR=str(data_dir), ENVIRONMENT="development", LOG_JSON="false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    for var in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(var, None)
    from app.core import pitr, pitr_restore

    serving: Path | None = None
    replica: Path | None = None
    try:
        pg, workspace = prepare(data_dir)
        pgdata = pitr.pgdata_of(data_dir)
        if args.replica:
            replica = start_replica(data_dir, pgdata)
            say(f"streaming replica in {replica}")
        writer = Writer(pgdata, workspace, args.interval)
        writer.start()
        say(f"writing posts for {args.seconds:.0f} s")
        time.sleep(args.seconds)
        destroyed_at = time.time()
        destroy(pgdata)
        writer.stopping.set()
        writer.join(10)
        t_destroy = time.monotonic()  # the loss is complete (the writer saw it): recovery begins
        say(f"destroyed the primary (writer stopped on {writer.error or 'nothing'}); recovering")
        serving = recover(data_dir, replica)
        recovered = time.monotonic() - t_destroy
        if replica is None:
            pitr_restore.start(serving, timeout=600)  # as `quillcast run` starts it after the restore
        acked = dict(writer.acked)
        back = answering(serving, list(acked))
        rto = time.monotonic() - t_destroy
        last_ack = max(acked.values())
        # Nothing back: everything since the writes began was lost.
        newest_back = max((acked[i] for i in back), default=writer.started_at)
        lost = [i for i in acked if i not in back]
        window_start = destroyed_at - args.rpo_goal
        result = {
            "drill": "replica" if args.replica else "archive",
            "rpo_s": round(last_ack - newest_back, 3),
            "rto_s": round(rto, 3),
            # The restore command (or the promotion) alone; the rest of rto_s is starting and answering.
            "recover_s": round(recovered, 3),
            "rows_acknowledged": len(acked),
            "rows_back": len(back),
            "rows_lost": len(lost),
            "rows_lost_before_rpo_window": sum(1 for i in lost if acked[i] < window_start),
            "rpo_goal_s": args.rpo_goal,
            "archive_timeout_s": pitr.ARCHIVE_TIMEOUT_S,
            "seconds_written": args.seconds,
            "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        }
        print(json.dumps(result), flush=True)
    finally:
        for d in (serving, replica, pitr.pgdata_of(data_dir)):
            if d is not None and d.exists():
                pitr_restore.stop(d)
        if args.keep:
            say(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
