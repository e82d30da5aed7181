"""Queue page in the browser: upcoming posts of a channel in order (text shown as text), add and remove
weekly slots, the next free slot follows them; a bad time is refused next to the channel's form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import select

from models import TimeSlot
from tests.e2e.conftest import screenshot, sign_in_as
from tests.factories import make_target

pytestmark = pytest.mark.e2e


def serious(page) -> list[str]:
    result = Axe().run(page)
    return [f'{v["id"]}: {[n["target"] for n in v["nodes"]]}' for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def test_queue_slots_and_upcoming(browser, base_url, session, member):
    user, _ws, channel = member
    soon = datetime.now(UTC) + timedelta(days=2)
    make_target(session, channel, scheduled_at=soon + timedelta(hours=3), body="second <i>post</i>")
    make_target(session, channel, scheduled_at=soon, body="first post 🎉 مرحبا")
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/queue")
    expect(page.get_by_role("heading", name="Ada on Bluesky")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("first post 🎉 مرحبا")).to_be_visible()
    texts = page.locator("text=/first post|second <i>post<\\/i>/").all_inner_texts()
    assert texts == ["first post 🎉 مرحبا", "second <i>post</i>"], texts
    expect(page.get_by_text("Next free slot: none yet: add a slot")).to_be_visible()

    page.get_by_label("Weekday").select_option("2")
    page.get_by_label("Time", exact=True).fill("09:30")
    page.get_by_role("button", name="Add slot to Ada on Bluesky").click()
    expect(page.get_by_text("Wednesday 09:30")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("none yet")).to_have_count(0)
    expect(page.get_by_text("Next free slot: Wed")).to_be_visible()
    page.get_by_role("button", name="Add slot to Ada on Bluesky").dblclick()  # the same slot: still one
    session.expire_all()
    assert len(session.exec(select(TimeSlot).where(TimeSlot.channel_id == channel.id)).all()) == 1
    assert serious(page) == []
    screenshot(page, "queue-1280")

    # A bad time (the browser's time input can be emptied): named in the channel's card.
    page.get_by_label("Time", exact=True).fill("")
    page.get_by_label("Time", exact=True).evaluate("el => el.removeAttribute('required')")
    page.get_by_role("button", name="Add slot to Ada on Bluesky").click()
    expect(page.get_by_text("pick a weekday and a time")).to_be_visible(timeout=10_000)

    page.get_by_role("button", name="Remove slot Wednesday 09:30").click()
    expect(page.get_by_text("No slots yet.")).to_be_visible(timeout=10_000)
    page.context.close()

    narrow = sign_in_as(browser, base_url, user, width=390, height=844)
    narrow.goto(base_url + "/queue")
    expect(narrow.get_by_text("first post 🎉 مرحبا")).to_be_visible(timeout=30_000)
    screenshot(narrow, "queue-390")
    narrow.context.close()
