"""Notice e-mail choices in a real browser: the Account page's switches save at once, and a mail's "Stop
these e-mails" link opens a page that asks, then turns that notice off and back on, without signing in.

Without SMTP (as here) mail is held in the outbox: the test reads the link from there.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import col, select

from app.core.db import session_scope, user_claims
from app.services.messaging import notifications
from app.services.planning import posts
from tests.e2e.conftest import goto, screenshot, sign_in_as
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def serious(page) -> list[str]:
    result = Axe().run(page)
    return [f'{v["id"]}: {[n["target"] for n in v["nodes"]]}' for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def _prefs(session, user) -> dict[str, bool]:
    session.expire_all()
    return notifications.preferences(session, user.id)


def test_account_switches_save_at_once_and_stay_after_a_reload(browser, base_url, session, member):
    user, _ws, _channel = member
    page = sign_in_as(browser, base_url, user)
    goto(page, f"{base_url}/account")
    section = page.get_by_role("heading", name="Notifications")
    section.scroll_into_view_if_needed()
    approvals = page.get_by_role("switch", name="A post waits for my approval")
    failures = page.get_by_role("switch", name="A post of mine could not be published")
    expect(approvals).to_have_attribute("aria-checked", "true")
    expect(failures).to_have_attribute("aria-checked", "true")

    approvals.click()
    expect(page.get_by_text("E-mails turned off: “A post waits for my approval”.")).to_be_visible()
    expect(approvals).to_have_attribute("aria-checked", "false")
    assert _prefs(session, user) == {"post_failed": True, "approval_requested": False,
                                     "approval_result": True}
    screenshot(page, "notifications-account")

    goto(page, f"{base_url}/account")
    expect(page.get_by_role("switch", name="A post waits for my approval")).to_have_attribute(
        "aria-checked", "false")
    # Checked before any toast: the toaster's own green-on-green is the app-wide toast style.
    assert serious(page) == []
    # Clicking the label works as well as the switch (it is the switch's label).
    page.get_by_text("A post waits for my approval", exact=True).click()
    expect(page.get_by_text("E-mails turned on: “A post waits for my approval”.")).to_be_visible()
    assert _prefs(session, user)["approval_requested"] is True
    page.context.close()


def _mailed_stop_link(session, to: str, base_url: str) -> str:
    from models import EmailOutbox

    session.expire_all()
    mail = session.exec(select(EmailOutbox).where(EmailOutbox.to_address == to)
                        .order_by(col(EmailOutbox.created_at).desc())).first()
    assert mail is not None and mail.unsubscribe_url
    found = re.search(r"Stop these e-mails: (\S+)", mail.text_body)
    assert found, mail.text_body
    parts = urlsplit(found.group(1))
    return f"{base_url}{parts.path}?{parts.query}"


def test_the_mailed_stop_link_turns_the_notice_off_and_the_page_turns_it_back_on(
        browser, base_url, session, member):
    from models import Membership

    owner, ws, channel = member
    writer = make_user(session, email_verified_at=datetime.now(UTC), display_name="Cora Contributor")
    session.add(Membership(workspace_id=ws.id, user_id=writer.id, role="contributor"))
    session.commit()
    with session_scope(user_claims(writer.id)) as s:
        post = posts.create_post(s, writer.id, ws.id, body="Zine fair on Sunday",
                                 targets=[posts.TargetInput(channel.id)])
    with session_scope(user_claims(writer.id)) as s:
        posts.schedule_post(s, writer.id, post.id, local_time=datetime(2030, 6, 1, 9), timezone=ws.timezone)
    link = _mailed_stop_link(session, owner.email, base_url)

    # A browser that is not signed in: the link alone is enough.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    goto(page, link)
    # Opening the link only asks: mail scanners open links too.
    expect(page.get_by_text(f"Stop e-mails about “A post waits for my approval” to {owner.email}?")
           ).to_be_visible()
    assert _prefs(session, owner)["approval_requested"] is True
    page.get_by_role("button", name="Stop these e-mails").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"You will no longer get e-mails about “A post waits for my approval” at {owner.email}.")
    assert _prefs(session, owner)["approval_requested"] is False
    assert serious(page) == []
    screenshot(page, "notifications-unsubscribed")

    page.get_by_role("button", name="Turn them back on").click()
    expect(page.get_by_role("status")).to_contain_text("E-mails about “A post waits for my approval” are on "
                                                       "again")
    assert _prefs(session, owner)["approval_requested"] is True
    screenshot(page, "notifications-resubscribed")

    # The same link a second time, once it is off again, says so without asking.
    page.get_by_role("button", name="Stop them again").click()
    expect(page.get_by_role("status")).to_contain_text("You will no longer get e-mails about")
    goto(page, link)
    expect(page.get_by_role("status")).to_contain_text("You will no longer get e-mails about")
    assert _prefs(session, owner)["approval_requested"] is False

    tampered = link[:-3] + ("xyz" if not link.endswith("xyz") else "abc")
    goto(page, tampered)
    expect(page.get_by_role("alert")).to_contain_text("This unsubscribe link is not valid")
    screenshot(page, "notifications-bad-link")
    context.close()
