"""A workspace owner sees when posts drew the most engagement, and makes those times a channel's queue."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from models import MetricSnapshot
from tests.e2e.conftest import ARTIFACTS, goto, screenshot, sign_in_as
from tests.factories import make_channel, make_target

pytestmark = pytest.mark.e2e
BERLIN = ZoneInfo("Europe/Berlin")


def _local(weekday: int, hour: int, weeks_ago: int) -> datetime:
    """That weekday and hour in Berlin, `weeks_ago` weeks back, in UTC."""
    today = datetime.now(BERLIN).date()
    day = today - timedelta(days=(today.weekday() - weekday) % 7 + 7 * weeks_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN).astimezone(UTC)


def _seed(session, channel, weekday: int, hour: int, count: int, likes: int) -> None:
    for week in range(1, count + 1):
        at = _local(weekday, hour, week)
        t = make_target(session, channel, scheduled_at=at, status="published")
        t.published_at = at
        session.add(MetricSnapshot(workspace_id=channel.workspace_id, target_id=t.id,
                                   taken_at=at + timedelta(days=1), likes=likes, reposts=2, replies=1))
    session.commit()


def serious(results) -> list[str]:
    return [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_best_time_heatmap_empty_state_and_use_these_times(browser, base_url, member, session):
    user, ws, bsky = member  # a Berlin workspace
    masto = make_channel(session, ws, "mastodon", name="Ada on Mastodon")
    _seed(session, bsky, weekday=1, hour=9, count=8, likes=17)  # Tuesdays 09:00: 20 a post
    _seed(session, bsky, weekday=3, hour=18, count=8, likes=2)  # Thursdays 18:00: 5 a post
    _seed(session, bsky, weekday=0, hour=7, count=6, likes=0)  # Mondays 07:00: 3 a post
    _seed(session, masto, weekday=5, hour=20, count=2, likes=9)

    page = sign_in_as(browser, base_url, user)
    goto(page, base_url + "/analytics")
    card = page.locator(".rt-Card").filter(has=page.get_by_role("heading", name="Best time to post"))
    grid = card.get_by_role("table", name="Engagement per post by weekday and hour")
    expect(grid).to_be_visible(timeout=15_000)
    tuesday_nine = grid.locator("td[title^='Tue 09:00']")
    expect(tuesday_nine).to_have_attribute("title", "Tue 09:00–09:59: 8 posts, 20 engagement per post")
    expect(grid.locator("td[title^='Sat 20:00']")).to_have_attribute("title", "Sat 20:00–20:59: 2 posts (too few for a score)")
    expect(card.get_by_text("Tuesday 09:00")).to_be_visible()
    expect(card).to_contain_text("Choose a channel to use these times")
    screenshot(page, "best-times")
    card.screenshot(path=str(ARTIFACTS / "best-times-card.png"))
    assert serious(Axe().run(page)) == []

    card.get_by_label("Channel").select_option(label="Ada on Mastodon")
    expect(card).to_contain_text("Not enough data yet: 2 of the 20 measured posts needed", timeout=15_000)
    expect(grid).to_have_count(0)
    card.screenshot(path=str(ARTIFACTS / "best-times-empty.png"))

    card.get_by_label("Channel").select_option(label="Ada on Bluesky")
    card.get_by_role("button", name="Use these times").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Tuesday 09:00, Thursday 18:00, Monday 07:00")
    dialog.screenshot(path=str(ARTIFACTS / "best-times-confirm.png"))
    dialog.get_by_role("button", name="Use these times").click()
    expect(page.get_by_text("now uses these 3 times")).to_be_visible(timeout=15_000)
    goto(page, base_url + "/queue")
    expect(page.get_by_text("Tuesday 09:00")).to_be_visible(timeout=15_000)
    page.context.close()

    phone = sign_in_as(browser, base_url, user, width=390, height=844)
    goto(phone, base_url + "/analytics")
    phone_card = phone.locator(".rt-Card").filter(has=phone.get_by_role("heading", name="Best time to post"))
    region = phone_card.get_by_role("region", name="Engagement per post by weekday and hour (scrolls sideways)")
    expect(region).to_be_visible(timeout=15_000)
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")  # the map scrolls inside its card
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # the page does not
    screenshot(phone, "best-times-phone")
    phone_card.screenshot(path=str(ARTIFACTS / "best-times-card-phone.png"))
    phone.context.close()
