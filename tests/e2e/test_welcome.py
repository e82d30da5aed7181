"""A person without a workspace is led to create one; then the workspace switcher shows it."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import goto, screenshot, sign_in_as
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def test_first_workspace(browser, base_url, session):
    user = make_user(session, email_verified_at=datetime.now(UTC))
    page = sign_in_as(browser, base_url, user)
    goto(page, base_url + "/welcome")  # connected: a click on the prerendered page would be lost
    expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible(timeout=30_000)
    page.get_by_label("Time zone").fill("Mars/Base")
    page.get_by_label("Name").fill("Café ☕ <b>Studio</b>")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_text("is not a time zone")).to_be_visible()
    screenshot(page, "welcome-error")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Create workspace").dblclick()
    expect(page).to_have_url(base_url + "/calendar", timeout=15_000)  # "/" forwards to the calendar

    from sqlmodel import select

    from models import Membership, Workspace

    session.expire_all()
    rows = session.exec(select(Workspace).join(Membership, Membership.workspace_id == Workspace.id)
                        .where(Membership.user_id == user.id)).all()
    assert [w.name for w in rows] == ["Café ☕ <b>Studio</b>"]  # one workspace despite the double click
    page.context.close()



def test_sign_in_without_a_workspace_lands_on_creating_one_in_the_browsers_zone(browser, base_url, session):
    from sqlmodel import select

    from app.services.identity import passwords
    from models import Membership, Workspace

    password = "quiet harbour lanterns glow"  # noqa: S105 - a test account's
    user = make_user(session, email_verified_at=datetime.now(UTC),
                     password_hash=passwords.hash_password(password))
    for width, height in ((390, 844), (1280, 800)):
        context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="Asia/Tokyo")
        page = context.new_page()
        page.goto(base_url + "/signin")
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page).to_have_url(base_url + "/welcome", timeout=30_000)
        expect(page.get_by_role("heading", name="Create your workspace")).to_be_visible()
        expect(page.get_by_label("Time zone")).to_have_value("Asia/Tokyo", timeout=15_000)
        screenshot(page, f"welcome-{width}")
        if width == 1280:  # create it as preset: the workspace keeps the browser's zone
            page.get_by_label("Name").fill("Tokyo desk")
            page.get_by_role("button", name="Create workspace").click()
            expect(page).to_have_url(base_url + "/calendar", timeout=30_000)
        context.close()

    session.expire_all()
    zones = session.exec(select(Workspace.timezone).join(Membership, Membership.workspace_id == Workspace.id)
                         .where(Membership.user_id == user.id)).all()
    assert zones == ["Asia/Tokyo"]
