"""The real app (Reflex AppHarness: backend in-process, dev frontend) driven by Debian's Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost",
]


@pytest.fixture(scope="session")
def harness(app_env: dict[str, str], celery_worker) -> Iterator[object]:
    from reflex.testing import AppHarness

    with AppHarness.create(root=ROOT, app_name="app") as h:
        yield h


@pytest.fixture(scope="session")
def base_url(harness) -> str:
    assert harness.frontend_url
    return harness.frontend_url.rstrip("/")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if not executable:
        pytest.fail("chromium is not installed: run `make browser` (apt-get install chromium)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    p = context.new_page()
    yield p
    context.close()


def goto(page, url: str) -> None:
    """Open `url` and wait until the app is connected and the page's on_load ran (`#app-ready`): before
    that, the page is the prerendered HTML and a click or a typed value can be lost."""
    page.goto(url)
    page.locator("#app-ready").wait_for(state="attached", timeout=30_000)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in_as(browser, base_url: str, user, *, width: int = 1280, height: int = 800):
    """A browser page signed in as `user`: a real server-side session, its token in the cookie."""
    from app.services.identity import sessions
    from state.auth import SESSION_COOKIE

    token = sessions.create(user.id, "127.0.0.1", "playwright")
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base_url}])
    return context.new_page()


@pytest.fixture()
def member(session):
    """A verified user who owns a workspace with a Bluesky channel: (user, workspace, channel)."""
    from datetime import UTC, datetime

    from tests.factories import make_channel, make_user, make_workspace

    user = make_user(session, email_verified_at=datetime.now(UTC), display_name="Ada Lovelace")
    ws = make_workspace(session, owner=user, name="Ada's Studio", timezone="Europe/Berlin")
    channel = make_channel(session, ws, "bluesky", name="Ada on Bluesky", account="ada.test")
    return user, ws, channel
