"""The doorstep, as a stranger meets it: `quillcast run` on an empty data directory with none of our
settings in its environment (no database, Redis, key or mail server), the setup link read from its
terminal, then in Chromium: the first account, two-factor authentication, a channel, a post scheduled a
minute ahead, and the post page turning published without a reload. Once at 1280 px, once at 390 px.

The channel is a webhook channel pointed at a real HTTP receiver on loopback (tests/peers/receiver.py):
the one network that needs no outside service. `make run`'s development default allows loopback endpoints.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import goto, screenshot
from tests.integration.test_run_lifecycle import _log, _stop, _wait_ready
from tests.peers.receiver import WebhookReceiver
from tests.support import PROD_BUILD_ENV, free_port, processes_with_marker

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "amber tide under nine bridges"  # noqa: S105 - a test account's password
ZONE = "Europe/Berlin"
# What a stranger's shell has: nothing of ours. (PATH and HOME so that the venv and caches are found.)
KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR", "REFLEX_TELEMETRY_ENABLED",
        "REFLEX_CHECK_LATEST_VERSION")


@pytest.fixture()
def data_dir() -> Iterator[Path]:
    # Under ./data, not pytest's tmp: see test_run_lifecycle.data_dir.
    path = ROOT / "data" / f"test-doorstep-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    yield path
    log = path / "runner.log"
    if log.exists():  # kept beside the screenshots: what the terminal showed
        (ROOT / "tests" / "artifacts").mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ROOT / "tests" / "artifacts" / f"{path.name}-runner.log")
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture()
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver(secret=secrets.token_hex(16)).start()
    yield r
    r.stop()


def _start(data_dir: Path, port: int, redis_port: int, marker: str):
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k in KEEP}
    # Only what keeps this run apart from others on the machine: its data directory and ports.
    env.update(DATA_DIR=str(data_dir), EMBEDDED_REDIS_PORT=str(redis_port), QUILLCAST_TEST_MARKER=marker,
               **PROD_BUILD_ENV)  # a build folder apart from the browser tests' dev frontend
    log = (data_dir / "runner.log").open("a")
    return subprocess.Popen([sys.executable, "-m", "app.cli", "run", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=log, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # noqa: PLW1509


def _fill(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


def _shot(page, width: int, step: str) -> None:
    screenshot(page, f"doorstep-{width}-{step}")


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("width", [1280, 390])
def test_a_stranger_goes_from_make_run_to_a_published_post(browser, data_dir, receiver, width):
    port, redis_port, marker = free_port(), free_port(), uuid.uuid4().hex
    runner = _start(data_dir, port, redis_port, marker)
    base = f"http://127.0.0.1:{port}"
    context = None
    try:
        _wait_ready(port, runner, data_dir, timeout=600)
        # The terminal shows the setup link (and where the instance listens).
        found = None
        deadline = time.monotonic() + 30
        while found is None and time.monotonic() < deadline:
            found = re.search(r"create the administrator account at (\S+)", _log(data_dir))
            time.sleep(0.5)
        assert found, _log(data_dir)
        assert "listening on 127.0.0.1 only" in _log(data_dir)
        link = found.group(1)
        assert link.startswith(base + "/setup?token=")

        height = 800 if width > 600 else 844
        context = browser.new_context(viewport={"width": width, "height": height}, timezone_id=ZONE)
        page = context.new_page()

        # 1. The first person: the setup link makes the administrator, signed in, no mail needed.
        goto(page, link)
        address = f"owner-{secrets.token_hex(3)}@example.test"
        _fill(page, "E-mail address", address)
        _fill(page, "Your name", "Ada Lovelace")
        _fill(page, "Password", PASSWORD)
        expect(page.get_by_label("Time zone", exact=True)).to_have_value(ZONE)
        _shot(page, width, "1-setup")
        page.get_by_role("button", name="Create admin account").click()
        expect(page).to_have_url(base + "/welcome", timeout=30_000)

        # 2. A workspace, in the browser's time zone.
        expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible(timeout=30_000)
        expect(page.get_by_label("Time zone")).to_have_value(ZONE)
        page.get_by_label("Name").fill("Ada's studio")
        _shot(page, width, "2-workspace")
        page.get_by_role("button", name="Create workspace").click()
        expect(page).not_to_have_url(re.compile(r".*/welcome$"), timeout=30_000)

        # 3. Two-factor authentication on.
        goto(page, base + "/account")
        _fill(page, "Password", PASSWORD)
        page.get_by_role("button", name="Set up two-factor authentication").click()
        key = page.locator("#manual-key")
        expect(key).to_be_visible(timeout=30_000)
        _fill(page, "2. Enter the 6-digit code the app shows", pyotp.TOTP(key.inner_text().strip()).now())
        page.get_by_role("button", name="Turn on").click()
        expect(page.locator("#recovery-codes")).to_be_visible(timeout=30_000)
        _shot(page, width, "3-two-factor")

        # 4. A channel: a webhook to the receiver (its verify call is a signed ping).
        goto(page, base + "/channels")
        page.locator("#network").select_option("webhook")
        _fill(page, "Webhook URL", receiver.url)
        _fill(page, "Signing secret", receiver.secret)
        _fill(page, "Channel name (optional)", "Launch hook")
        page.get_by_role("button", name="Connect", exact=True).click()
        expect(page.get_by_role("heading", name="Launch hook")).to_be_visible(timeout=30_000)
        _shot(page, width, "4-channel")
        pings = len(receiver.received)
        assert pings >= 1 and all(r.signature_ok for r in receiver.received)

        # 5. A post a minute ahead, in the workspace's zone.
        goto(page, base + "/compose")
        text = f"Hello from the doorstep {secrets.token_hex(3)} 👋"
        page.locator("#body").fill(text)
        # The workspace's only channel comes chosen; check() would click only if it were not.
        channel = page.get_by_role("checkbox", name="Launch hook")
        channel.check()
        expect(channel).to_be_checked()
        now = datetime.now(ZoneInfo(ZONE))
        when = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)
        if when - now > timedelta(seconds=110):  # at least a minute ahead, at most two
            when -= timedelta(minutes=1)
        page.locator("#schedule-date").fill(when.strftime("%Y-%m-%d"))
        page.locator("#schedule-time").fill(when.strftime("%H:%M"))
        _shot(page, width, "5-compose")
        page.get_by_role("button", name="Schedule", exact=True).click()
        expect(page.get_by_text("Scheduled", exact=True)).to_be_visible(timeout=30_000)

        # 6. Found on the calendar; its page says scheduled, then published without a reload.
        goto(page, base + "/calendar")
        page.locator(".fc-event, .fc-list-event").filter(has_text="Hello from the doorstep").first.click()
        expect(page).to_have_url(re.compile(r".*/posts/[0-9a-f-]{36}$"), timeout=30_000)
        expect(page.get_by_text("Scheduled for")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("button", name="Publish now")).to_be_visible()
        page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded
        _shot(page, width, "6-scheduled")
        wait_ms = int(((when - datetime.now(ZoneInfo(ZONE))).total_seconds() + 60) * 1000)
        expect(page.get_by_role("link", name="View the post")).to_be_visible(timeout=max(wait_ms, 30_000))
        expect(page.get_by_text(re.compile(r"^Published \w{3} \d{2} \w{3} \d{4}, \d{2}:\d{2}$"))).to_be_visible()
        expect(page.get_by_role("button", name="Publish now")).to_have_count(0)
        assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
        _shot(page, width, "7-published")

        # Exactly once, with the text, signed.
        posts = [r for r in receiver.received[pings:] if r.json.get("type") != "ping"]
        assert len(posts) == 1, [r.json for r in receiver.received]
        assert posts[0].signature_ok and text in posts[0].body.decode()
    finally:
        if context is not None:
            context.close()
        _stop(runner, data_dir, marker)
    assert processes_with_marker(marker) == []
