"""A person without a workspace is led to create one; then the workspace switcher shows it."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in_as
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def test_first_workspace(browser, base_url, session):
    user = make_user(session, email_verified_at=datetime.now(UTC))
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/welcome")
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
