"""Measure `quillcast run`: time to /api/ready, idle RSS per process, and a clean Ctrl-C.

Usage: python scripts/measure_run.py [--port 3000] [--idle 20]
Prints one JSON line. Run it twice to see cold and warm starts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]


def classify(proc: psutil.Process) -> str:
    cmd = " ".join(proc.cmdline())
    if "redis-server" in cmd:
        return "redis"
    if "postgres" in cmd and "pgserver" in cmd or proc.name() == "postgres":
        return "postgres"
    if " beat" in cmd:
        return "beat"
    if "celery" in cmd and "worker" in cmd:
        return "worker"
    return "web"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=3000)
    ap.add_argument("--idle", type=float, default=20, help="seconds to idle before reading RSS")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    before = {p.pid for p in psutil.process_iter()}
    started = time.monotonic()
    runner = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "app.cli", "run", "--port", str(args.port)], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    ready_s = None
    while time.monotonic() - started < 900 and runner.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{args.port}/api/ready", timeout=5).status_code == 200:
                ready_s = round(time.monotonic() - started, 1)
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    time.sleep(args.idle)
    rss: dict[str, float] = {}
    for p in psutil.process_iter():
        if p.pid in before or p.pid == runner.pid:
            continue
        try:
            kind = classify(p)
            rss[kind] = rss.get(kind, 0) + p.memory_info().rss / 2**20
        except psutil.Error:
            continue
    runner.send_signal(signal.SIGINT)
    runner.wait(120)
    time.sleep(1)
    left = []
    for p in psutil.process_iter():
        if p.pid in before:
            continue
        try:
            cmd = " ".join(p.cmdline())
        except psutil.Error:
            continue
        if any(w in cmd for w in ("celery", "reflex", "redis-server", "granian", "pgserver", "bun", "node")):
            left.append(cmd[:120])
    print(json.dumps({
        "ready_seconds": ready_s, "rss_mib": {k: round(v) for k, v in sorted(rss.items())},
        "runner_exit": runner.returncode, "left_running": left,
    }))


if __name__ == "__main__":
    main()
