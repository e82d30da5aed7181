"""Benchmark the publishing engine: `make bench-publish` (a script, not a test).

Starts its own Redis (embedded) and its own database (on TEST_DATABASE_URL's or DATABASE_URL's server,
else an embedded PostgreSQL under data/bench), a local sink server that acknowledges like a network
(tests/sink.py: configurable latency and error rate, counts every post it takes), real Celery workers and
beat. Then, in the same run:
  1. raw Celery: N no-op tasks through the same broker, queue and worker settings -> tasks/s;
  2. burst: N targets due at once -> publishes/s (the throughput compared with 1.);
  3. schedule: N targets due spread over --window seconds (10,000 per minute by default) -> lateness
     (network receipt - scheduled time) p50/p95/p99/max.
Prints ONE JSON line on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def say(msg: str) -> None:
    print(f"bench | {msg}", file=sys.stderr, flush=True)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--targets", type=int, default=10_000, help="targets in the scheduled phase")
    p.add_argument(
        "--burst",
        type=int,
        default=None,
        help="targets (and no-op tasks) in the throughput phases (default: same as --targets)",
    )
    p.add_argument("--window", type=float, default=60.0, help="seconds over which the targets fall due")
    p.add_argument("--latency-ms", type=float, default=50.0, help="sink answer latency")
    p.add_argument("--error-rate", type=float, default=0.0, help="share of publishes answered 503")
    p.add_argument("--workers", type=int, default=2, help="worker processes")
    p.add_argument("--pool", default="threads", choices=["threads", "prefork", "solo"])
    p.add_argument("--concurrency", type=int, default=12, help="per worker process")
    p.add_argument("--tick", type=float, default=0.2, help="dispatcher interval (seconds)")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for a phase to finish")
    return p.parse_args()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Stack:
    """Redis, database, sink, workers and beat of this run; `close()` stops all of them."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tmp = Path(
            tempfile.mkdtemp(
                prefix="quillcast-bench-", dir=ROOT / "data" if (ROOT / "data").exists() else None
            )
        )
        self.children: list[subprocess.Popen[bytes]] = []
        self.cleanups: list = []

    def start_services(self) -> None:
        from app.core import embedded
        from tests import support

        port = support.free_port()
        rd = embedded.start_redis(self.tmp, port)
        self.cleanups.append(rd.stop)
        server = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
        if not server:
            pg = embedded.start_postgres(ROOT / "data" / "bench", database="postgres")
            self.cleanups.append(pg.stop)
            server = pg.url
        name = support.unique_name("quillcast_bench")
        db_url = support.create_database(server, name)
        self.cleanups.append(lambda: support.drop_database(server, name))
        os.environ.update(
            {
                "ENVIRONMENT": "test",
                "LOG_JSON": "false",
                "LOG_LEVEL": "WARNING",
                "DATABASE_URL": db_url,
                "REDIS_URL": f"redis://127.0.0.1:{port}/0",
                "CONNECTOR_RESOLVER": "tests.sink:connector_for",
                "PYTHONPATH": str(ROOT),
                "DISPATCHER_INTERVAL_SECONDS": str(self.args.tick),
                "DISPATCHER_BATCH_SIZE": "1000",
                "PUBLISH_BACKOFF_BASE_SECONDS": "1",
                "PUBLISH_BACKOFF_CAP_SECONDS": "10",
                "BREAKER_FAILURE_THRESHOLD": "1000",
                "DATA_DIR": str(self.tmp),
            }
        )
        from app.core import migrations

        migrations.upgrade(db_url)

    def start_workers(self) -> None:
        from app.core import jobs

        for i in range(self.args.workers):
            argv = [
                str(BIN / "celery"),
                "-A",
                "tasks",
                "worker",
                "-Q",
                "publish,maintenance",
                "--pool",
                self.args.pool,
                "--concurrency",
                str(self.args.concurrency),
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
                "-I",
                "tests.bench_tasks",
                "--hostname",
                f"bench{i}-{secrets.token_hex(2)}@%h",
            ]
            self._spawn(argv, f"worker{i}")
        deadline = time.monotonic() + 60
        while len(jobs.workers_alive(timeout=1.0) or []) < 1:
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not start: see {self.tmp}")
        time.sleep(1.0)  # let every worker process finish starting

    def start_beat(self) -> None:
        self._spawn(
            [
                str(BIN / "celery"),
                "-A",
                "tasks",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(self.tmp / "celerybeat-schedule"),
            ],
            "beat",
        )

    def _spawn(self, argv: list[str], name: str) -> None:
        log = (self.tmp / f"{name}.log").open("wb")
        self.children.append(
            subprocess.Popen(
                argv,
                cwd=ROOT,
                env=dict(os.environ),
                stdout=log,  # noqa: S603
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def close(self) -> None:
        for child in reversed(self.children):
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        from app.core import db

        db.reset_engine()
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001
                say(f"cleanup: {exc}")
        shutil.rmtree(self.tmp, ignore_errors=True)


def cpu_seconds(pids: list[int], recursive: bool = True) -> float:
    """User+system CPU of these processes and their children (what a phase cost, not wall time)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *(proc.children(recursive=True) if recursive else [])]:
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.NoSuchProcess:
            continue
    return total


def seed(channel_id: uuid.UUID, workspace_id: uuid.UUID, times: list[datetime]) -> list[str]:
    """Posts and scheduled targets, inserted in bulk; returns their idempotency keys."""
    from sqlalchemy import insert

    from app.core.db import session_scope
    from models import Post, PostTarget

    keys = []
    with session_scope() as session:
        posts, targets = [], []
        for when in times:
            post_id, target_id = uuid.uuid4(), uuid.uuid4()
            posts.append(
                {
                    "id": post_id,
                    "workspace_id": workspace_id,
                    "status": "scheduled",
                    "body": f"bench {target_id.hex[:8]}",
                }
            )
            targets.append(
                {
                    "id": target_id,
                    "workspace_id": workspace_id,
                    "post_id": post_id,
                    "channel_id": channel_id,
                    "scheduled_at": when,
                    "status": "scheduled",
                    "idempotency_key": target_id.hex,
                    "options": {},
                }
            )
            keys.append(target_id.hex)
        for i in range(0, len(posts), 2000):
            session.execute(insert(Post), posts[i : i + 2000])
            session.execute(insert(PostTarget), targets[i : i + 2000])
    return keys


def wait_published(sink, keys: list[str], timeout: float) -> float:
    """Seconds until every key reached the sink (or the timeout)."""
    started = time.monotonic()
    wanted = set(keys)
    while time.monotonic() - started < timeout:
        if wanted <= sink.state.created.keys():
            break
        time.sleep(0.05)
    return time.monotonic() - started


def main() -> None:
    args = parse()
    burst = args.burst or args.targets
    stack = Stack(args)
    try:
        stack.start_services()
        from app.core import crypto, jobs
        from app.core.db import session_scope
        from app.core.redis import get_redis
        from models import Channel, Workspace
        from tests.bench_tasks import NOOP_COUNTER
        from tests.sink import Sink

        sink = Sink().start()
        stack.cleanups.append(sink.stop)
        sink.state.latency = args.latency_ms / 1000
        with session_scope() as session:
            ws = Workspace(name="bench", slug=f"bench-{secrets.token_hex(4)}")
            session.add(ws)
            session.flush()
            ch = Channel(
                workspace_id=ws.id,
                network="webhook",
                name="sink",
                account="sink",
                settings={"endpoint": sink.url, "max_chars": 10_000},
                credentials=crypto.encrypt('{"token": "bench"}'),
            )
            session.add(ch)
            session.flush()
            ws_id, ch_id = ws.id, ch.id
        say(f"workers: {args.workers} x {args.pool}({args.concurrency}); sink latency {args.latency_ms} ms")
        stack.start_workers()

        # 1. raw Celery: the same broker, queue, acks_late/prefetch settings, an empty task body.
        worker_pids = [c.pid for c in stack.children[: args.workers]]
        cpu_noop = cpu_seconds(worker_pids)
        started = time.monotonic()
        for _ in range(burst):
            jobs.send("quillcast.bench.noop", queue=jobs.PUBLISH_QUEUE)
        while int(get_redis().get(NOOP_COUNTER) or 0) < burst and time.monotonic() - started < args.timeout:
            time.sleep(0.02)
        raw_rate = int(get_redis().get(NOOP_COUNTER) or 0) / (time.monotonic() - started)
        cpu_noop = cpu_seconds(worker_pids) - cpu_noop
        say(f"raw celery no-op: {raw_rate:.0f}/s")

        stack.start_beat()
        # 2. burst: every target due now; dispatcher (beat) -> workers -> sink.
        sink.state.error_rate = 0.0
        now = datetime.now(UTC)
        burst_keys = seed(ch_id, ws_id, [now] * burst)
        cpu_workers, cpu_self = cpu_seconds(worker_pids), cpu_seconds([os.getpid()], recursive=False)
        elapsed = wait_published(sink, burst_keys, args.timeout)
        cpu_workers = cpu_seconds(worker_pids) - cpu_workers
        cpu_self = cpu_seconds([os.getpid()], recursive=False) - cpu_self
        burst_done = sum(1 for k in burst_keys if k in sink.state.created)
        burst_rate = burst_done / elapsed
        say(f"burst: {burst_done}/{burst} in {elapsed:.1f} s = {burst_rate:.0f}/s")

        # 3. schedule: targets due evenly over the window, starting shortly; lateness at the network.
        sink.state.error_rate = args.error_rate
        start = datetime.now(UTC) + timedelta(seconds=3)
        step = args.window / max(1, args.targets)
        times = [start + timedelta(seconds=i * step) for i in range(args.targets)]
        keys = seed(ch_id, ws_id, times)
        due = dict(zip(keys, (t.timestamp() for t in times), strict=True))
        time.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()) + args.window)
        wait_published(sink, keys, args.timeout)
        lateness = [sink.state.created[k][0] - due[k] for k in keys if sink.state.created.get(k)]
        all_keys = burst_keys + keys
        published = sum(1 for k in all_keys if sink.state.created.get(k))
        result = {
            "published": published,
            "duplicates": sink.state.duplicates(),
            "lost": len(all_keys) - published,
            "throughput_per_s": round(burst_rate, 1),
            "lateness_s": {
                "p50": round(percentile(lateness, 50), 3),
                "p95": round(percentile(lateness, 95), 3),
                "p99": round(percentile(lateness, 99), 3),
                "max": round(max(lateness), 3) if lateness else None,
            },
            "raw_celery_noop_per_s": round(raw_rate, 1),
            # What one publish costs in CPU during the burst: workers, and this process (mostly the sink).
            "cpu_ms_per_publish": {
                "workers": round(cpu_workers / max(1, burst_done) * 1000, 2),
                "sink": round(cpu_self / max(1, burst_done) * 1000, 2),
                "workers_noop_task": round(cpu_noop / max(1, burst) * 1000, 2),
            },
            "throughput_ratio": round(burst_rate / raw_rate, 3) if raw_rate else None,
            "scheduled": args.targets,
            "window_s": args.window,
            "burst": burst,
            "rate_per_min": round(args.targets / args.window * 60),
            "workers": args.workers,
            "pool": args.pool,
            "concurrency": args.concurrency,
            "sink_latency_ms": args.latency_ms,
            "error_rate": args.error_rate,
            "tick_s": args.tick,
            "cpus": os.cpu_count(),
        }
        print(json.dumps(result), flush=True)
    finally:
        stack.close()


if __name__ == "__main__":
    main()
