"""The zero-downtime release drill: `make upgrade-drill` (a script, not a test).

Runs the system as production does, on this machine: 2 web processes (`quillcast web`: Reflex in
production mode on Granian), 2 workers (`quillcast worker`), 1 beat, on a database and a Redis of the
drill's own, with a local sink standing in for the networks (tests/sink.py: it counts every post it
takes, so a post published twice shows). In front of the web processes a small HTTP load balancer in
this script stands in for the ALB: it spreads requests over the registered web processes, and a web
process is replaced as ECS does it: deregister it, wait for its open requests, SIGTERM it, start the
new one, wait for its readiness (/api/ready), register it.

While targets fall due steadily and a steady HTTP load runs through the balancer (GET /api/health, and
GET /api/workspaces/{id}/posts with an API key), it releases: `quillcast migrate` (a no-op at head),
then restarts every web process, every worker and beat, one at a time, each with SIGTERM to its main
process (as `docker stop` and ECS send it). Then it waits for every target and prints ONE JSON line:
failed requests, lost and duplicated posts, the worst lateness (network receipt - scheduled time), ...
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from drill_traffic import Balancer, Load, wait_until

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def say(msg: str) -> None:
    print(f"drill | {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--targets", type=int, default=900, help="targets falling due during the drill")
    p.add_argument("--window", type=float, default=150.0, help="seconds over which they fall due")
    p.add_argument("--rps", type=float, default=8.0, help="HTTP requests per second (half health, half API)")
    p.add_argument("--latency-ms", type=float, default=200.0,
                   help="the sink's answer time (so publishes are in flight)")
    p.add_argument("--burst", type=int, default=200, help="targets due at once as the roll begins")
    p.add_argument("--webs", type=int, default=2)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=2, help="per worker")
    p.add_argument("--drain-s", type=float, default=2.0, help="WEB_DRAIN_SECONDS of the web processes")
    return p.parse_args()


class Fleet:
    """The processes of the drill: each started as production starts it, stopped with SIGTERM."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env = tmp, env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.forced_kills = 0
        self._n = Counter[str]()

    def spawn(self, name: str, argv: list[str], extra: dict[str, str] | None = None
              ) -> subprocess.Popen[bytes]:
        self._n[name] += 1
        log = (self.tmp / f"{name}-{self._n[name]}.log").open("wb")
        proc = subprocess.Popen(argv, cwd=ROOT, env={**self.env, **(extra or {})}, stdout=log,  # noqa: S603
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def stop(self, name: str, timeout: float = 90) -> float:
        """SIGTERM to the main process only (as `docker stop`); seconds until it exited."""
        proc = self.procs.pop(name)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.forced_kills += 1
            say(f"{name} did not stop in {timeout:.0f} s: SIGKILL")
        # What a container runtime does once the main process is gone: nothing of it survives.
        _killpg(proc.pid)
        proc.wait()
        return time.monotonic() - started

    def close(self) -> None:
        procs = list(self.procs.values())
        self.procs.clear()
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _killpg(proc.pid)


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))], 3)


def services(tmp: Path, cleanups: list) -> dict[str, str]:  # noqa: ANN001
    """A Redis and a database of the drill's own; the environment every process reads."""
    from app.core import embedded
    from tests import support

    port = support.free_port()
    rd = embedded.start_redis(tmp, port)
    cleanups.append(rd.stop)
    server = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not server:
        pg = embedded.start_postgres(ROOT / "data" / "drill", database="postgres")
        cleanups.append(pg.stop)
        server = pg.url
    name = support.unique_name("quillcast_drill")
    db_url = support.create_database(server, name)
    cleanups.append(lambda: support.drop_database(server, name))
    env = {
        "ENVIRONMENT": "test", "LOG_JSON": "false", "LOG_LEVEL": "WARNING", "CELERY_LOG_LEVEL": "WARNING",
        "DATABASE_URL": db_url, "REDIS_URL": f"redis://127.0.0.1:{port}/0", "DATA_DIR": str(tmp),
        "CONNECTOR_RESOLVER": "tests.sink:connector_for", "PYTHONPATH": str(ROOT),
        "BREAKER_FAILURE_THRESHOLD": "1000",
        # The load's own rate must not be what fails: the per-caller API limit is off for the drill.
        "API_RATE_LIMIT_PER_MINUTE": "0",
        "REFLEX_WEB_WORKDIR": str(ROOT / ".web-prod"), "REFLEX_STATES_WORKDIR": str(ROOT / ".states-prod"),
        "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
    }
    os.environ.update(env)
    return {**os.environ, **env}


def seed_workspace(sink_url: str) -> tuple[tuple[uuid.UUID, uuid.UUID, uuid.UUID], str, str]:
    """A workspace with its owner, a sink channel and an API key that reads posts."""
    from app.core import crypto
    from app.core.db import session_scope
    from app.services.tenancy import apikeys
    from models import Channel, Membership, User, Workspace

    with session_scope() as session:
        user = User(email=f"drill-{uuid.uuid4().hex[:8]}@example.com", display_name="Drill")
        ws = Workspace(name="drill", slug=f"drill-{uuid.uuid4().hex[:8]}")
        session.add_all([user, ws])
        session.flush()
        session.add(Membership(workspace_id=ws.id, user_id=user.id, role="owner"))
        ch = Channel(workspace_id=ws.id, network="webhook", name="sink", account="sink",
                     settings={"endpoint": sink_url, "max_chars": 10_000},
                     credentials=crypto.encrypt('{"token": "drill"}'))
        session.add(ch)
        session.flush()
        key = apikeys.create(session, user.id, ws.id, "drill", ["posts:read"]).secret
        return (ws.id, ch.id, user.id), f"/api/workspaces/{ws.id}/posts?limit=20", key


def seed_targets(ids: tuple[uuid.UUID, uuid.UUID, uuid.UUID], times: list[datetime]) -> dict[str, float]:
    """A scheduled post and target due at each time; idempotency key -> due time."""
    from sqlalchemy import insert

    from app.core.db import session_scope
    from models import Post, PostTarget

    ws_id, ch_id, user_id = ids
    due: dict[str, float] = {}
    if not times:
        return due
    posts, targets = [], []
    for when in times:
        post_id, target_id = uuid.uuid4(), uuid.uuid4()
        posts.append({"id": post_id, "workspace_id": ws_id, "author_id": user_id, "status": "scheduled",
                      "body": f"drill {target_id.hex[:8]}"})
        targets.append({"id": target_id, "workspace_id": ws_id, "post_id": post_id, "channel_id": ch_id,
                        "scheduled_at": when, "status": "scheduled", "idempotency_key": target_id.hex,
                        "options": {}})
        due[target_id.hex] = when.timestamp()
    with session_scope() as session:
        session.execute(insert(Post), posts)
        session.execute(insert(PostTarget), targets)
    return due


def publishing_now() -> int:
    """Targets a worker holds right now (status publishing)."""
    from sqlalchemy import text

    from app.core.db import session_scope

    with session_scope() as session:
        query = text("SELECT count(*) FROM post_targets WHERE status = 'publishing'")
        return int(session.execute(query).scalar() or 0)


def ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def ready_status(url: str) -> str:
    try:
        r = httpx.get(f"{url}/api/ready", timeout=5)
        names = [c["name"] for c in r.json().get("checks", []) if not c["ok"]]
        return f"{r.status_code} {','.join(names)}".strip()
    except (httpx.HTTPError, ValueError) as exc:
        return type(exc).__name__


class Release:
    """Starts and replaces the processes, as the orchestrator (ECS) would."""

    def __init__(self, args: argparse.Namespace, fleet: Fleet, lb: Balancer) -> None:
        self.args, self.fleet, self.lb = args, fleet, lb
        self.urls: dict[str, str] = {}
        self.numbers: dict[str, list[float]] = {"web_stop_s": [], "web_start_s": [], "deregister_s": [],
                                                "worker_stop_s": [], "worker_start_s": []}
        self.drain_answers: list[str] = []

    def start_web(self, name: str) -> None:
        from tests.support import free_port

        port = free_port()
        self.fleet.spawn(name, [str(BIN / "quillcast"), "web", "--port", str(port)],
                         {"WEB_DRAIN_SECONDS": str(self.args.drain_s), "WEB_HOST": "127.0.0.1"})
        url = f"http://127.0.0.1:{port}"
        self.numbers["web_start_s"].append(wait_until(lambda: ready(url), 300, name))
        self.urls[name] = url
        self.lb.register(name, url)

    def replace_web(self, name: str) -> None:
        self.numbers["deregister_s"].append(self.lb.deregister(name))
        url, proc = self.urls.pop(name), self.fleet.procs[name]
        stopping = threading.Thread(target=lambda: self.numbers["web_stop_s"].append(self.fleet.stop(name)))
        stopping.start()
        time.sleep(min(0.5, self.args.drain_s / 2))
        # Asked directly (not through the balancer): what a balancer's readiness check would now see.
        self.drain_answers.append(ready_status(url) if proc.poll() is None else "exited")
        stopping.join()
        self.start_web(name)

    def start_worker(self, name: str) -> None:
        from app.core import jobs

        proc = self.fleet.spawn(name, [str(BIN / "quillcast"), "worker", "--concurrency",
                                       str(self.args.concurrency)])
        node = f"quillcast-{proc.pid}@"
        self.numbers["worker_start_s"].append(wait_until(
            lambda: any(n.startswith(node) for n in jobs.workers_alive(timeout=1.0) or []), 120, name))

    def replace_worker(self, name: str) -> None:
        self.numbers["worker_stop_s"].append(self.fleet.stop(name))
        self.start_worker(name)

    def start_beat(self) -> None:
        self.fleet.spawn("beat", [str(BIN / "quillcast"), "beat"])

    def migrate(self) -> float:
        started = time.monotonic()
        done = subprocess.run([str(BIN / "quillcast"), "migrate"], cwd=ROOT, env=self.fleet.env,  # noqa: S603
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"quillcast migrate failed: {done.stderr[-2000:]}")
        return time.monotonic() - started


def main() -> None:
    args = parse()
    tmp = Path(tempfile.mkdtemp(prefix="quillcast-drill-",
                                dir=ROOT / "data" if (ROOT / "data").exists() else None))
    cleanups: list = []
    fleet: Fleet | None = None
    try:
        env = services(tmp, cleanups)
        from tests.sink import Sink

        sink = Sink().start()
        cleanups.append(sink.stop)
        sink.state.latency = args.latency_ms / 1000
        fleet = Fleet(tmp, env)
        lb = Balancer().start()
        release = Release(args, fleet, lb)
        first_migrate_s = release.migrate()
        say(f"schema in {first_migrate_s:.1f} s; starting {args.workers} workers, beat, {args.webs} webs")
        workers = [f"worker{i}" for i in range(args.workers)]
        webs = [f"web{i}" for i in range(args.webs)]
        for name in workers:
            release.start_worker(name)
        release.start_beat()
        for name in webs:  # one after another: each compiles the frontend into the shared build folder
            release.start_web(name)
        start = datetime.now(UTC) + timedelta(seconds=3)
        step = args.window / max(1, args.targets)
        ids, api_path, key = seed_workspace(sink.url)
        due = seed_targets(ids, [start + timedelta(seconds=i * step) for i in range(args.targets)])
        load = Load(f"http://127.0.0.1:{lb.port}", api_path, key, args.rps).start()
        say(f"load {args.rps}/s through the balancer; {args.targets} targets due over {args.window:.0f} s")
        time.sleep(8)
        rolled, roll_start, in_flight = time.monotonic(), time.time(), []
        migrate_s = release.migrate()
        say(f"release: migrate {migrate_s:.1f} s (at head: nothing to do)")
        # A burst due now, so the first workers are stopped with their hands full.
        burst = seed_targets(ids, [datetime.now(UTC)] * args.burst)
        time.sleep(2)
        for name in workers:
            in_flight.append(publishing_now())
            release.replace_worker(name)
            say(f"{name} replaced ({in_flight[-1]} targets were publishing at its SIGTERM)")
        beat_stop = fleet.stop("beat")
        release.start_beat()
        for name in webs:
            release.replace_web(name)
            say(f"{name} replaced (drain answered {release.drain_answers[-1]!r})")
        roll_end = time.time()
        roll_s = time.monotonic() - rolled
        say(f"every process replaced in {roll_s:.0f} s")
        end = start.timestamp() + args.window
        while time.time() < end + 3:
            time.sleep(0.5)
        load.stop()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not (set(due) | set(burst)) <= sink.state.created.keys():
            time.sleep(0.5)
        created = sink.state.created
        published = sum(1 for k in (*due, *burst) if created.get(k))
        lateness = [created[k][0] - t for k, t in due.items() if created.get(k)]
        burst_lateness = [created[k][0] - t for k, t in burst.items() if created.get(k)]
        failed = [r for r in load.results if not 200 <= r[1] < 300]
        n = release.numbers
        result = {
            "failed_requests": len(failed),
            "lost": len(due) + len(burst) - published,
            "duplicates": sink.state.duplicates(),
            "max_lateness_s": round(max(lateness), 3) if lateness else None,
            "requests": len(load.results),
            "published": published,
            "lateness_s": {"p50": percentile(lateness, 50), "p95": percentile(lateness, 95),
                           "p99": percentile(lateness, 99)},
            # The burst waits for its turn (4 publishing slots): its lateness is capacity, not the release.
            "burst": args.burst,
            "burst_max_lateness_s": round(max(burst_lateness), 3) if burst_lateness else None,
            "due_during_roll": sum(1 for t in due.values() if roll_start <= t <= roll_end),
            "publishing_at_worker_sigterm": in_flight,
            "request_p99_s": percentile([r[2] for r in load.results], 99),
            "failures": dict(load.errors.most_common(5)),
            "restarted": {"web": len(webs), "worker": len(workers), "beat": 1},
            "roll_s": round(roll_s, 1),
            "migrate_s": round(migrate_s, 2),
            "web_drain_answers": release.drain_answers,
            "web_deregister_wait_s_max": round(max(n["deregister_s"]), 3),
            "web_stop_s_max": round(max(n["web_stop_s"]), 2),
            "web_ready_after_start_s_max": round(max(n["web_start_s"]), 1),
            "worker_stop_s_max": round(max(n["worker_stop_s"]), 2),
            "worker_ready_after_start_s_max": round(max(n["worker_start_s"]), 1),
            "beat_stop_s": round(beat_stop, 2),
            "forced_kills": fleet.forced_kills,
            "targets": args.targets, "window_s": args.window, "rps": args.rps,
            "sink_latency_ms": args.latency_ms, "web_drain_s": args.drain_s,
            "workers": args.workers, "concurrency": args.concurrency, "webs": args.webs,
            "loadavg": Path("/proc/loadavg").read_text().split()[:3],
            "cpus": os.cpu_count(),
        }
        print(json.dumps(result), flush=True)
    finally:
        if fleet is not None:
            fleet.close()
        from app.core import db

        db.reset_engine()
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception as exc:  # noqa: BLE001
                say(f"cleanup: {exc}")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
