"""The sign-in page says how long to wait when guessing from elsewhere has used up the account's budget
for new places (Chromium, the real app), at 1280 and at 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.core.config import get_settings
from app.services.errors import NotAuthenticated
from app.services.identity import authentication
from tests.accounts_support import PASSWORD, ip, signed_up_user
from tests.e2e.conftest import goto, screenshot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [1280, 390])
def test_the_sign_in_page_shows_the_wait(browser, base_url, session, width):
    owner = signed_up_user(session)
    for _ in range(int(get_settings().rate_signin_account.split("/")[0])):  # an attacker, many addresses
        with pytest.raises(NotAuthenticated):
            authentication.sign_in(session, email_address=owner.email, password="a wrong guess!", ip=ip())
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    goto(page, base_url + "/signin")
    page.get_by_label("E-mail address", exact=True).fill(owner.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("too many failed sign-ins", timeout=30_000)
    expect(alert).to_contain_text("try again in")
    wait = int(alert.inner_text().split("try again in ")[1].split(" ")[0].rstrip(","))
    assert 1 <= wait <= 60
    expect(page).to_have_url(base_url + "/signin")
    screenshot(page, f"signin-wait-{width}")
    context.close()
