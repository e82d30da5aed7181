"""Exactly once across crashes, at the connector level: a publishing process is killed with SIGKILL in
the middle of a burst and then runs the whole burst again (as a retry would). Every post and every
thread reply is on the real PDS exactly once. (The engine's own chaos test kills the Celery worker.)"""

from __future__ import annotations

import collections
import os
import secrets
import signal
import subprocess
import sys
import time

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.peers
COUNT = 40


def run_burst(pds, account, prefix, kill_after: int | None) -> list[int]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.peers.bluesky_burst",
            pds.url,
            account.handle,
            account.app_password,
            prefix,
            str(COUNT),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    done: list[int] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        done.append(int(line))
        if kill_after is not None and len(done) >= kill_after:
            proc.send_signal(signal.SIGKILL)  # mid-burst: possibly between a post and its reply
            break
        assert time.monotonic() < deadline, "the burst took too long"
    proc.wait(timeout=30)
    return done


def test_sigkill_mid_burst_then_rerun_leaves_each_post_exactly_once(bluesky_pds):
    account = bluesky_pds.create_account()
    prefix = secrets.token_hex(6)
    first = run_burst(bluesky_pds, account, prefix, kill_after=COUNT // 3)
    assert COUNT // 3 <= len(first) < COUNT
    again = run_burst(bluesky_pds, account, prefix, kill_after=None)
    assert again == list(range(COUNT))

    texts = collections.Counter(r["value"]["text"] for r in bluesky_pds.list_records(account.did))
    expected = {f"burst post {i}" for i in range(COUNT)} | {f"burst reply {i}" for i in range(COUNT)}
    assert set(texts) == expected
    assert all(n == 1 for n in texts.values()), {t: n for t, n in texts.items() if n != 1}
