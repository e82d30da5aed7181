"""A workspace owner reads how publishing went: counts, punctuality, per network, in a chart."""

from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from models import MetricSnapshot
from tests.e2e.conftest import goto, screenshot, sign_in_as
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
    table = page.get_by_role("table", name="By network", exact=True)
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


def test_top_posts_show_the_latest_numbers_and_lead_to_the_post(browser, base_url, member, session):
    user, ws, bsky = member
    mx = make_channel(session, ws, "matrix", name="Team room")
    x = make_channel(session, ws, "x", name="Ada on X")
    now = datetime.now(UTC)
    seeded = []
    for channel, text, likes, reposts, replies in [
        (bsky, "Launch day: Quillcast 1.0 is out, with a calendar, a queue and analytics", 42, 7, 5),
        (x, "Five things we learned shipping a scheduler", 18, 3, 2),
        (bsky, "A quiet Sunday note", 1, 0, 0),
        (mx, "Standup notes for the team room", None, None, None),
    ]:
        t = make_target(session, channel, scheduled_at=now - timedelta(days=len(seeded) + 1), status="published",
                        body=text)
        t.published_at = t.scheduled_at
        session.add(t)
        if likes is not None:
            session.add(MetricSnapshot(workspace_id=ws.id, target_id=t.id, taken_at=now - timedelta(hours=3),
                                       likes=likes - 10 if likes > 10 else 0, reposts=0, replies=0))
            session.add(MetricSnapshot(workspace_id=ws.id, target_id=t.id, taken_at=now - timedelta(hours=1),
                                       likes=likes, reposts=reposts, replies=replies,
                                       impressions=900 if channel is x else None))
        seeded.append(t)
    session.commit()

    page = sign_in_as(browser, base_url, user)
    goto(page, base_url + "/analytics")
    top = page.get_by_role("table", name="Top posts")
    rows = top.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Launch day: Quillcast 1.0", timeout=15_000)
    expect(rows.nth(1)).to_contain_text("42")  # the latest snapshot, not the earlier 32
    expect(rows.nth(1)).to_contain_text("Bluesky")
    expect(rows.nth(2)).to_contain_text("Five things we learned")
    expect(rows).to_have_count(4)  # header + the three measured posts; Matrix has no numbers
    expect(page.locator(".rt-Card").filter(has_text="latest count of each post")).to_contain_text("61")
    by_network = page.get_by_role("table", name="Engagement by network")
    expect(by_network).to_contain_text("Matrix does not report engagement")
    expect(by_network).to_contain_text("900")  # X gives views; the others leave the column empty
    screenshot(page, "analytics-engagement")
    assert serious(Axe().run(page)) == []

    top.get_by_role("link", name="Launch day").click()
    expect(page).to_have_url(f"{base_url}/posts/{seeded[0].post_id}", timeout=15_000)
    numbers = page.get_by_label("Engagement")
    expect(numbers).to_contain_text("42", timeout=15_000)
    expect(numbers).to_contain_text("likes")
    screenshot(page, "post-detail-engagement")
    page.context.close()

    phone = sign_in_as(browser, base_url, user, width=390, height=844)
    goto(phone, base_url + "/analytics")
    first = phone.get_by_role("list", name="Top posts").get_by_role("listitem").first
    expect(first).to_contain_text("Launch day", timeout=15_000)
    expect(first).to_contain_text("42 likes")  # the numbers fit on the phone's screen, no sideways scroll
    box = first.get_by_text("42").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    expect(phone.get_by_role("list", name="Engagement by network")).to_contain_text(
        "Matrix does not report engagement")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll of the page
    screenshot(phone, "analytics-engagement-phone")
    phone.context.close()
