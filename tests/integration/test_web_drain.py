"""A web process told to stop (SIGTERM) says so on /api/ready (503, "draining") while it keeps serving
for WEB_DRAIN_SECONDS, then Granian stops taking connections and the process exits by itself."""

import signal
import subprocess
import time

import httpx

from tests import support


def test_sigterm_turns_readiness_to_503_while_the_process_keeps_serving(app_env):
    port = support.free_port()
    env = {**app_env, "WEB_DRAIN_SECONDS": "2", "PYTHONPATH": str(support.ROOT)}
    argv = [str(support.BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", "2", "tests.drain_app:app"]
    proc = subprocess.Popen(argv, cwd=support.ROOT, env=env, stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "the web process did not start"
            time.sleep(0.1)
        before = httpx.get(f"{base}/api/ready", timeout=10).json()
        assert "draining" not in {c["name"] for c in before["checks"]}

        proc.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        time.sleep(0.3)
        answers = []
        while time.monotonic() - stopped_at < 1.5:  # inside the drain: still serving, not ready
            ready = httpx.get(f"{base}/api/ready", timeout=5)
            answers.append((ready.status_code, [c["name"] for c in ready.json()["checks"] if not c["ok"]],
                            httpx.get(f"{base}/api/health", timeout=5).status_code))
            time.sleep(0.1)
        assert answers and all(a == (503, ["draining"], 200) for a in answers), answers
        proc.wait(15)  # it stops by itself once the drain is over
        assert time.monotonic() - stopped_at >= 2
        try:
            httpx.get(f"{base}/api/health", timeout=2)
            raise AssertionError("still taking connections after the drain")
        except httpx.ConnectError:
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
