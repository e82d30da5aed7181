"""A workspace owner reads how publishing went: counts, punctuality, per network, in a chart."""

from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in_as
from tests.factories import make_channel, make_target

pytestmark = pytest.mark.e2e


def serious(results) -> list[str]:
    return [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_analytics_shows_the_workspace_numbers(browser, base_url, member, session):
    user, ws, bsky = member
    mx = make_channel(session, ws, "matrix", name="Team room")
    now = datetime.now(UTC)
    for i, (channel, late) in enumerate([(bsky, 1), (bsky, 2), (bsky, 400), (mx, 3)]):
        t = make_target(session, channel, scheduled_at=now - timedelta(days=i + 1), status="published")
        t.published_at = t.scheduled_at + timedelta(seconds=late)
        session.add(t)
    make_target(session, mx, scheduled_at=now - timedelta(days=2), status="failed")
    session.commit()

    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/analytics")
    expect(page.get_by_role("heading", name="Analytics")).to_be_visible(timeout=30_000)
    published = page.locator(".rt-Card").filter(has_text="posts that went out")
    expect(published).to_contain_text("4", timeout=15_000)
    expect(page.locator(".rt-Card").filter(has_text="within a minute")).to_contain_text("75 %")
    table = page.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="Matrix")).to_contain_text("1")
    expect(page.locator(".recharts-bar-rectangle").first).to_be_visible()
    screenshot(page, "analytics")
    assert serious(Axe().run(page)) == []

    page.get_by_label("Period").select_option("7")
    expect(published).to_contain_text("4")
    page.context.close()


def test_analytics_on_a_phone(browser, base_url, member):
    user, _, _ = member
    page = sign_in_as(browser, base_url, user, width=390, height=844)
    page.goto(base_url + "/analytics")
    expect(page.get_by_text("Nothing published in this period yet.")).to_be_visible(timeout=30_000)
    screenshot(page, "analytics-phone")
    page.context.close()
