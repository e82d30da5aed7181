"""First run in Chromium: a stranger on a fresh instance is told where the setup link is; the link makes
the first administrator (time zone from the browser) and lands signed in; then it is dead. A later
sign-up is told that its confirmation mail waits for an administrator."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect
from sqlmodel import func, select

from app.services.identity import setup
from models import User
from tests.e2e.conftest import goto, screenshot
from tests.factories import make_user
from tests.setup_support import no_admin  # noqa: F401 - fixture
from tests.support import without_smtp

pytestmark = pytest.mark.e2e
PASSWORD = "seven quiet lanterns drift"  # noqa: S105


def _new_page(browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 800 if width > 600 else 844},
                                  timezone_id="America/Chicago")
    return context.new_page()


def _fill(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


@pytest.mark.usefixtures("no_admin")
@pytest.mark.parametrize("width", [1280, 390])
def test_the_setup_link_makes_the_first_administrator_and_signs_in(browser, base_url, session, width):
    page = _new_page(browser, width)
    try:
        # A stranger's first page says the instance is not set up, and where the link is.
        goto(page, base_url + "/")
        expect(page).to_have_url(base_url + "/signin", timeout=30_000)
        expect(page.locator("#setup-needed")).to_contain_text("open the setup link printed in the terminal")
        screenshot(page, f"setup-signin-notice-{width}")

        # Without the token (or with a wrong one) /setup explains where the link is and creates nothing.
        goto(page, base_url + "/setup?token=guessed")
        expect(page.locator("#setup-no-token")).to_contain_text("quillcast setup-link", timeout=30_000)
        expect(page.get_by_text("This setup link is not valid.")).to_be_visible()
        expect(page.get_by_role("button", name="Create admin account")).to_have_count(0)
        screenshot(page, f"setup-no-token-{width}")

        # The printed link: the form, with the time zone of this browser.
        link = setup.setup_link(session, base_url)
        assert link is not None
        goto(page, link)
        expect(page.get_by_label("Time zone", exact=True)).to_have_value("America/Chicago", timeout=30_000)
        address = f"first-{secrets.token_hex(4)}@example.test"
        _fill(page, "E-mail address", address)
        _fill(page, "Your name", "Grace Hopper")
        _fill(page, "Password", "short")
        page.get_by_role("button", name="Create admin account").click()
        expect(page.locator("#password-error")).to_contain_text("at least 10 characters", timeout=30_000)
        _fill(page, "Password", PASSWORD)
        screenshot(page, f"setup-form-{width}")
        page.get_by_role("button", name="Create admin account").click()

        # Signed in, with no mail: a new administrator lands on creating a workspace.
        expect(page).to_have_url(base_url + "/welcome", timeout=30_000)
        expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible()
        screenshot(page, f"setup-signed-in-{width}")
        session.expire_all()
        user = session.exec(select(User).where(func.lower(User.email) == address)).one()
        assert user.is_admin and user.email_verified_at is not None
        assert (user.display_name, user.timezone) == ("Grace Hopper", "America/Chicago")

        # The link is dead now, and says so with a way to sign in.
        goto(page, link)
        expect(page.locator("#setup-done")).to_contain_text("already set up", timeout=30_000)
        screenshot(page, f"setup-already-done-{width}")
        page.get_by_role("link", name="Go to sign in").click()
        expect(page).to_have_url(base_url + "/signin", timeout=30_000)
        expect(page.locator("#setup-needed")).to_have_count(0)
    finally:
        page.context.close()


def test_a_later_sign_up_is_told_its_mail_waits_for_an_administrator(browser, base_url, session, monkeypatch):
    without_smtp(monkeypatch)
    make_user(session, is_admin=True)  # the instance is set up
    page = _new_page(browser, 390)
    try:
        goto(page, base_url + "/signup")
        expect(page.locator("#setup-needed")).to_have_count(0)
        _fill(page, "E-mail address", f"later-{secrets.token_hex(4)}@example.test")
        _fill(page, "Your name", "Ada")
        _fill(page, "Password", PASSWORD)
        page.get_by_role("button", name="Create account").click()
        note = page.locator("#signup-mail-held")
        expect(note).to_contain_text("Ask your Quillcast administrator to open Admin → Outbox", timeout=30_000)
        screenshot(page, "setup-signup-mail-held-390")
    finally:
        page.context.close()
