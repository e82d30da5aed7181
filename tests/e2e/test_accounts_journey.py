"""The accounts journey in Chromium: sign up -> open the mail from a real SMTP server (aiosmtpd) ->
verify -> turn on 2FA -> sign out -> sign in with a TOTP code -> sign in with a recovery code.

SMTP settings must be in the environment before this run's `app_env` is made (the web app runs
in this process and the shared Celery worker reads them): the session-scoped autouse fixture below
does that when this module is the first browser test to run (it sorts before test_shell.py).
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pyotp
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests import support
from tests.e2e.conftest import screenshot
from tests.mail_support import Sink

pytestmark = pytest.mark.e2e
PASSWORD = "purple otters juggle quietly"  # noqa: S105


@pytest.fixture(scope="session", autouse=True)
def smtp_sink() -> Iterator[Sink]:
    sink = Sink()
    port = support.free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    os.environ.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false"})
    from app.core.config import get_settings

    get_settings.cache_clear()
    yield sink
    controller.stop()


def _fill(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


def test_sign_up_verify_two_factor_and_sign_in_with_totp_and_recovery_code(page, base_url, smtp_sink):
    from app.core.config import get_settings

    assert get_settings().smtp_host == "127.0.0.1", "SMTP was configured after app_env: run this module first"
    address = f"journey-{secrets.token_hex(4)}@example.test"

    # Sign up, first with a password that is too common: the error sits next to the field.
    page.goto(base_url + "/signup")
    _fill(page, "E-mail address", address)
    _fill(page, "Your name", "Zoë Ağaoğlu")
    _fill(page, "Password", "password123")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_contain_text("10,000 most common passwords", timeout=30_000)
    screenshot(page, "accounts-signup-error")
    _fill(page, "Password", PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Check your inbox")).to_be_visible(timeout=30_000)
    screenshot(page, "accounts-signup-done")

    # Open the mail from the SMTP server and follow its link.
    msg = smtp_sink.wait_for(address, "Confirm your e-mail address")
    text = msg.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/verify\?token=\S+", text)
    assert link, text
    parts = urlsplit(link.group(0))
    page.goto(f"{base_url}{parts.path}?{parts.query}")
    expect(page.get_by_text("Your e-mail address is confirmed")).to_be_visible(timeout=30_000)
    screenshot(page, "accounts-verified")

    # Sign in and turn on two-factor authentication.
    _sign_in(page, base_url, address)
    _lands_on_welcome_then_opens_account(page, base_url)
    expect(page.get_by_text(address)).to_be_visible(timeout=30_000)
    screenshot(page, "accounts-settings")
    cookie = next(c for c in page.context.cookies() if c["name"] == "qc_session")
    assert cookie["sameSite"] == "Strict" and len(cookie["value"]) >= 22  # 128 bits, base64
    _fill(page, "Password", PASSWORD)
    page.get_by_role("button", name="Set up two-factor authentication").click()
    key = page.locator("#manual-key")
    expect(key).to_be_visible(timeout=30_000)
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    screenshot(page, "accounts-2fa-enrol")
    totp = pyotp.TOTP(key.inner_text().strip())
    _fill(page, "2. Enter the 6-digit code the app shows", totp.now())
    page.get_by_role("button", name="Turn on").click()
    codes_box = page.locator("#recovery-codes")
    expect(codes_box).to_be_visible(timeout=30_000)
    codes = [c.strip() for c in codes_box.locator("code").all_inner_texts()]
    assert len(codes) == 10
    screenshot(page, "accounts-2fa-on")
    assert "Two-factor authentication is now on" in smtp_sink.wait_for(address, "Two-factor")["Subject"]

    # Sign out; sign in with a TOTP code (the next time step: the enrolment used the current one).
    _sign_out(page, base_url)
    _sign_in(page, base_url, address)
    expect(page.get_by_label("Authentication code")).to_be_visible(timeout=30_000)
    screenshot(page, "accounts-signin-2fa")
    _fill(page, "Authentication code", totp.at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    _lands_on_welcome_then_opens_account(page, base_url)

    # Sign out; sign in with a recovery code.
    _sign_out(page, base_url)
    _sign_in(page, base_url, address)
    page.get_by_text("Use a recovery code").click()
    expect(page.get_by_label("Recovery code")).to_be_visible(timeout=30_000)
    _fill(page, "Recovery code", codes[0])
    screenshot(page, "accounts-signin-recovery")
    page.get_by_role("button", name="Verify").click()
    _lands_on_welcome_then_opens_account(page, base_url)
    expect(page.get_by_text("9 unused recovery codes left")).to_be_visible(timeout=30_000)
    expect(page.locator("#sessions-table")).to_contain_text("this browser")
    screenshot(page, "accounts-sessions")


def _lands_on_welcome_then_opens_account(page, base_url: str) -> None:
    """Signed in without a workspace yet: sign-in leads on to creating one; these tests go on to /account."""
    expect(page).to_have_url(base_url + "/welcome", timeout=30_000)
    expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible()
    page.goto(base_url + "/account")
    expect(page.get_by_role("heading", name="Account settings")).to_be_visible(timeout=30_000)


def _sign_in(page, base_url: str, address: str) -> None:
    page.goto(base_url + "/signin")
    _fill(page, "E-mail address", address)
    _fill(page, "Password", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _sign_out(page, base_url: str) -> None:
    if not page.url.endswith("/account"):
        page.goto(base_url + "/account")
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(base_url + "/signin", timeout=30_000)
    page.goto(base_url + "/account")  # a signed-out browser is sent back to sign in
    expect(page).to_have_url(base_url + "/signin", timeout=30_000)


def test_outbox_page_is_for_instance_administrators_only(page, base_url, app_env):
    from app.core.db import session_scope
    from app.services.identity import passwords
    from models import User
    from models.base import utcnow

    admin_email, member_email = (f"{who}-{secrets.token_hex(4)}@example.test" for who in ("admin", "member"))
    with session_scope() as session:
        for address, is_admin in ((admin_email, True), (member_email, False)):
            session.add(User(email=address, display_name=address.split("-")[0], is_admin=is_admin,
                             password_hash=passwords.hash_password(PASSWORD), email_verified_at=utcnow()))
    _sign_in(page, base_url, member_email)
    _lands_on_welcome_then_opens_account(page, base_url)
    page.goto(base_url + "/admin/outbox")
    expect(page.get_by_text("Only instance administrators can read the outbox")).to_be_visible(timeout=30_000)
    _sign_out(page, base_url)

    _sign_in(page, base_url, admin_email)
    _lands_on_welcome_then_opens_account(page, base_url)
    page.goto(base_url + "/admin/outbox")
    table = page.locator("#outbox-table")
    expect(table).to_contain_text("Confirm your e-mail address", timeout=30_000)
    table.get_by_role("button", name="Read").first.click()
    expect(table.locator("pre").first).to_be_visible()
    screenshot(page, "accounts-outbox")


def test_change_email_from_account_settings_shows_errors_by_field(page, base_url, app_env, smtp_sink):
    from app.core.db import session_scope
    from app.services.identity import passwords
    from models import User
    from models.base import utcnow

    address, target = (f"{who}-{secrets.token_hex(4)}@example.test" for who in ("mover", "moved"))
    with session_scope() as session:
        session.add(User(email=address, display_name="Mover", password_hash=passwords.hash_password(PASSWORD),
                         email_verified_at=utcnow()))
    _sign_in(page, base_url, address)
    _lands_on_welcome_then_opens_account(page, base_url)
    _fill(page, "New e-mail address", target)
    page.locator("#email_password").fill("not the password")
    page.get_by_role("button", name="Change e-mail address").click()
    expect(page.locator("#email_password-error")).to_contain_text("the password is wrong", timeout=30_000)
    expect(page.locator("#password-error")).to_have_count(0)  # not shown under the 2FA form's field
    screenshot(page, "accounts-change-email-error")
    _fill(page, "New e-mail address", target)
    page.locator("#email_password").fill(PASSWORD)
    page.get_by_role("button", name="Change e-mail address").click()
    expect(page.get_by_text("Waiting for confirmation of")).to_be_visible(timeout=30_000)
    msg = smtp_sink.wait_for(target, "new e-mail address")
    link = re.search(r"https?://\S+/verify\?token=\S+", msg.get_body(("plain",)).get_content())
    parts = urlsplit(link.group(0))
    page.goto(f"{base_url}{parts.path}?{parts.query}")
    expect(page.get_by_text("Your e-mail address is confirmed")).to_be_visible(timeout=30_000)
    page.goto(base_url + "/account")
    expect(page.get_by_text(target, exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Waiting for confirmation of")).to_have_count(0)


def test_a_lost_confirmation_mail_can_be_sent_again(page, base_url, app_env, smtp_sink):
    from app.core.db import session_scope
    from app.services.identity import accounts

    address = f"lost-{secrets.token_hex(4)}@example.test"
    with session_scope() as session:
        accounts.sign_up(session, email_address=address, password=PASSWORD, ip="192.0.2.200")
    _sign_in(page, base_url, address)
    expect(page.locator("#email-error")).to_contain_text("confirm your e-mail address first", timeout=30_000)
    page.get_by_text("Didn't get the confirmation e-mail?").click()
    expect(page.get_by_role("button", name="Send a new link")).to_be_visible(timeout=30_000)
    _fill(page, "E-mail address", address)
    page.get_by_role("button", name="Send a new link").click()
    expect(page.get_by_text("a new link is on its way")).to_be_visible(timeout=30_000)
    screenshot(page, "accounts-resend")
    deadline = time.monotonic() + 30
    while len([m for m in smtp_sink.messages if m["To"] == address]) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    mails = [m for m in smtp_sink.messages if m["To"] == address]
    assert len(mails) == 2
    link = re.search(r"https?://\S+/verify\?token=\S+", mails[-1].get_body(("plain",)).get_content())
    parts = urlsplit(link.group(0))
    page.goto(f"{base_url}{parts.path}?{parts.query}")
    expect(page.get_by_text("Your e-mail address is confirmed")).to_be_visible(timeout=30_000)
