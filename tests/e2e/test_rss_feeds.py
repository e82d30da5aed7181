"""A workspace owner follows an RSS feed from the RSS feeds page: the template's live preview, adding the
feed, "Poll now" making one post, a broken feed's error on the list, pause; at 1280 and 390 px."""

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.core import db
from models import Post, RssFeed
from tests.e2e.conftest import ARTIFACTS, goto, screenshot, sign_in_as
from tests.peers.feed_server import Answer, FeedServer, rss

pytestmark = pytest.mark.e2e


@pytest.fixture()
def feeds():
    s = FeedServer().start()
    s.answers["/blog.xml"] = Answer(rss("Ada's blog", [
        ("p2", "Engines and poetry", "Notes on the analytical engine"), ("p1", "Older note", "Old")]))
    yield s
    s.stop()


def test_follow_a_feed_poll_now_and_see_a_broken_one(browser, base_url, member, feeds):
    user, ws, _ = member
    page = sign_in_as(browser, base_url, user)
    goto(page, base_url + "/settings/rss-feeds")
    expect(page.get_by_text("No RSS feeds yet.")).to_be_visible(timeout=15_000)
    page.get_by_label("Template").fill("New: {title} {link}")
    expect(page.locator("#template-preview")).to_contain_text(
        "New: Ten things we learned shipping on Fridays https://example.com/blog/ten-things")
    page.get_by_label("Feed URL (RSS or Atom)").fill(feeds.url("/blog.xml"))
    page.get_by_label("Ada on Bluesky").check()
    page.get_by_role("button", name="Add feed").click()
    expect(page.get_by_text("Ada's blog").or_(page.get_by_text(feeds.url("/blog.xml")).first)).to_be_visible(
        timeout=15_000)
    page.get_by_role("button", name="Poll now").first.click()
    expect(page.get_by_text("1 new post made.")).to_be_visible(timeout=15_000)
    with db.session_scope() as s:
        bodies = [p.body for p in s.exec(select(Post).where(Post.workspace_id == ws.id)).all()]
    assert len(bodies) == 1
    assert bodies[0].startswith("New: Engines and poetry https://blog.example.com/p2?utm_source=quillcast")

    page.get_by_role("button", name="Edit the feed Ada's blog").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Template")).to_have_value("New: {title} {link}")
    expect(dialog.get_by_label("Ada on Bluesky")).to_be_checked()
    dialog.get_by_label("Template").fill("{title}: {summary}")
    expect(dialog.locator("#edit_template-preview")).to_contain_text("Ten things we learned shipping on Fridays: We")
    dialog.screenshot(path=str(ARTIFACTS / "rss-feeds-edit.png"))
    dialog.get_by_label("Template").fill("{nope}")
    dialog.get_by_role("button", name="Save feed").click()
    expect(dialog.get_by_text("{nope} is not a placeholder").first).to_be_visible(timeout=15_000)
    dialog.get_by_label("Template").fill("Read: {title} {link}")
    dialog.get_by_role("button", name="Save feed").click()
    expect(page.get_by_text("Feed saved.")).to_be_visible(timeout=15_000)
    with db.session_scope() as s:
        assert s.exec(select(RssFeed).where(RssFeed.workspace_id == ws.id)).one().template == "Read: {title} {link}"

    feeds.answers["/blog.xml"] = Answer(b"down", 500, content_type="text/plain")
    page.get_by_role("button", name="Poll now").first.click()
    expect(page.get_by_text("the feed answered 500 at ").first).to_be_visible(timeout=15_000)
    expect(page.get_by_text("trying again at").first).to_be_visible()
    screenshot(page, "rss-feeds")
    page.context.close()

    phone = sign_in_as(browser, base_url, user, width=390, height=844)
    goto(phone, base_url + "/settings/rss-feeds")
    expect(phone.get_by_text("the feed answered 500 at ").first).to_be_visible(timeout=15_000)
    phone.screenshot(path=str(ARTIFACTS / "rss-feeds-phone.png"), full_page=True)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
    phone.context.close()
