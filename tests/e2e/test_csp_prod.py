"""The production build, served as `quillcast web` serves it (one port, `reflex run --env prod
--single-port`), runs under its Content-Security-Policy: pages hydrate, connect and act with no CSP
violation, and a foreign origin gets no CORS header on a UI page. (The browser suite's harness runs the
dev frontend, whose pages Vite serves without our headers: only this test sees the production policy.)"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from app.cli import web_argv
from tests.e2e.conftest import ROOT, screenshot, sign_in_as
from tests.support import PROD_BUILD_ENV, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]  # the first production build is slow
# Collects every CSP violation the page reports, before any of its own scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.fixture(scope="module")
def prod_url(app_env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    log_path = ROOT / "tests" / "artifacts" / "csp-prod-web.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        proc = subprocess.Popen(web_argv(port), cwd=ROOT, env={**os.environ, **PROD_BUILD_ENV}, stdout=log,  # noqa: S603
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, proc, log_path)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _wait_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            res = httpx.get(url + "/signin", timeout=5, follow_redirects=True)
            if res.status_code == 200:
                return
            last = f"{res.status_code} {res.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(1)
    pytest.fail(f"the production build did not come up ({last}):\n" + log.read_text(errors="replace")[-3000:])


def test_pages_carry_the_policy_and_refuse_foreign_origins(prod_url):
    res = httpx.get(prod_url + "/signin", headers={"Origin": "https://evil.example", "Cookie": "a=b"},
                    follow_redirects=True)
    assert res.status_code == 200 and "text/html" in res.headers["content-type"]
    csp = res.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert not [h for h in res.headers if h.lower().startswith("access-control-")]


@pytest.mark.parametrize("route", ["/signin", "/calendar", "/compose"])
def test_the_ui_runs_under_its_policy(browser, prod_url, member, route):
    user, _, _ = member
    page = sign_in_as(browser, prod_url, user)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(prod_url + route)
    page.locator("#app-ready").wait_for(state="attached", timeout=60_000)  # hydrated, socket connected
    if route == "/compose":
        box = page.get_by_role("textbox").first
        box.fill("Written under the production CSP")
        expect(box).to_have_value("Written under the production CSP")
    page.wait_for_timeout(1000)  # on_mount scripts (call_script runs through eval) have run
    assert page.evaluate("window.__cspViolations") == []
    screenshot(page, f"csp-prod{route.replace('/', '-')}")
