"""Bulk import in a real browser: a CSV with a row that is too long for Bluesky is refused row by row, the
fixed file is scheduled, and the posts are on the calendar at the first imported day."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.e2e.conftest import goto, screenshot, sign_in_as

pytestmark = pytest.mark.e2e

SERIOUS = ("serious", "critical")
HEADER = "date,time,channel,text,timezone,first_comment\n"
FIRST = "2030-03-12,09:30,Ada on Bluesky,Spring plan: week one 🌱,,\n"
TOO_LONG = "2030-03-14,18:00,Ada on Bluesky,\"" + "Long read, " * 30 + "\",,\n"
FIXED = "2030-03-14,18:00,bluesky ada.test,\"Week two, <b>bold</b> and\nשלום\",,Tell us what you think\n"


def _axe(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    for v in result.response["violations"]:
        print("AXE", v["impact"], v["id"], v["help"], [n["html"][:200] for n in v["nodes"]][:3])
    return [f"{v['id']}: {v['help']}" for v in result.response["violations"] if v.get("impact") in SERIOUS]


def _upload(page, text: str) -> None:
    page.locator("#import-file input[type=file]").set_input_files(
        files=[{"name": "plan.csv", "mimeType": "text/csv", "buffer": text.encode()}])


def test_upload_fix_import_and_find_the_posts_on_the_calendar(browser, base_url, session, member):
    from models import Post, PostTarget

    user, ws, bluesky = member
    page = sign_in_as(browser, base_url, user)
    goto(page, base_url + "/import")
    expect(page.get_by_role("heading", name="Import")).to_be_visible(timeout=30_000)
    # The example file uses this workspace's own channel names.
    expect(page.locator("#example-csv")).to_have_attribute("href", re.compile(r"^data:text/csv.*Ada%20on%20Bluesky"),
                                                           timeout=15_000)

    _upload(page, HEADER + FIRST + TOO_LONG)
    problems = page.locator("#row-problems-3")
    expect(problems).to_contain_text("Bluesky allows 300 characters", timeout=15_000)
    expect(page.locator("#import-summary")).to_contain_text("2 rows: 1 ready, 1 to fix")
    expect(page.locator("#run-import")).to_have_count(0)  # nothing is imported while a row is wrong
    screenshot(page, "import-problems")
    assert _axe(page) == []

    _upload(page, HEADER + FIRST + FIXED)
    run = page.locator("#run-import")
    expect(run).to_have_text("Schedule 2 posts", timeout=15_000)
    expect(page.get_by_role("table").get_by_text("<b>bold</b>", exact=False)).to_be_visible()  # as text
    screenshot(page, "import-preview")
    run.click()
    expect(page.locator("#import-done")).to_have_text("Scheduled 2 posts.", timeout=15_000)

    session.expire_all()
    rows = session.exec(select(PostTarget, Post).join(Post, Post.id == PostTarget.post_id)
                        .where(Post.workspace_id == ws.id)).all()
    assert sorted(p.body for _, p in rows) == ["Spring plan: week one 🌱", "Week two, <b>bold</b> and\nשלום"]
    assert {t.status for t, _ in rows} == {"scheduled"}

    page.locator("#open-calendar").click()
    expect(page).to_have_url(base_url + "/calendar", timeout=30_000)
    expect(page.locator('td[data-date="2030-03-12"] .fc-event', has_text="Spring plan")).to_be_visible(
        timeout=30_000)
    expect(page.locator('td[data-date="2030-03-14"] .fc-event', has_text="Week two")).to_be_visible()
    screenshot(page, "import-calendar")


def test_import_page_on_a_phone(browser, base_url, member):
    user, _, _ = member
    page = sign_in_as(browser, base_url, user, width=390, height=844)
    goto(page, base_url + "/import")
    expect(page.get_by_role("heading", name="Import")).to_be_visible(timeout=30_000)
    _upload(page, HEADER + FIRST + TOO_LONG)
    expect(page.locator("#row-card-problems-3")).to_contain_text("Bluesky allows 300", timeout=15_000)
    screenshot(page, "import-phone")
    assert _axe(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
