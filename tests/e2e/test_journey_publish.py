"""The whole publishing journey, as a user makes it, in a real Chromium against the real app, a real Celery
worker and the REAL Bluesky PDS (tests/peers): compose one post for two Bluesky accounts with a text of
its own each and an image with alt text picked through the composer, schedule it for tomorrow, find it on
the calendar, drag it to the day after, open it, publish it now, watch its page turn to published without
a reload, and follow the links it shows to the records the PDS keeps (each account's text and the image).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from tests.e2e.conftest import screenshot, sign_in_as
from tests.e2e.test_calendar import _drag
from tests.factories import make_user, make_workspace
from tests.peers.conftest import bluesky_pds  # noqa: F401 - the real PDS fixture

pytestmark = [pytest.mark.e2e, pytest.mark.peers, pytest.mark.timeout(600)]

BERLIN = ZoneInfo("Europe/Berlin")
BASE = "Launch day at the studio"
MAIN_TEXT = "Launch day 🚀 The studio opens its doors at noon. שלום"
STUDIO_TEXT = "Behind the scenes: we painted the studio blue ✨ #launch"
ALT = "A yellow square on a blue wall — the studio's new sign"
ALT_LABEL = "Alt text (describes the image for people who cannot see it)"
BSKY_LINK = re.compile(r"^https://bsky\.app/profile/([^/]+)/post/([a-z2-7]{13})$")


def _png() -> bytes:
    img = Image.new("RGB", (120, 80), "#2b6cb0")
    img.paste((255, 200, 0), (40, 20, 80, 60))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), BERLIN).astimezone(UTC)


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result.response["violations"] if v.get("impact") in ("serious", "critical")]


def _targets(session, post_id):
    from models import PostTarget

    session.expire_all()
    return {t.channel_id: t for t in session.exec(select(PostTarget).where(PostTarget.post_id == post_id))}


@pytest.fixture()
def studio(session, bluesky_pds):  # noqa: F811
    """A Berlin workspace with two Bluesky accounts on the real PDS, connected with their app passwords."""
    from app.services.channels import channels

    user = make_user(session, email_verified_at=datetime.now(UTC), display_name="Ada Lovelace")
    ws = make_workspace(session, owner=user, name="Ada's Studio", timezone="Europe/Berlin")
    connected = []
    for name in ("Ada main", "Ada studio"):
        account = bluesky_pds.create_account()
        channel = channels.connect_channel(
            session, user_id=user.id, workspace_id=ws.id, network="bluesky", name=name,
            credentials={"service": bluesky_pds.url, "identifier": account.handle,
                         "app_password": account.app_password},
        )
        connected.append((channel, account))
    session.commit()
    return user, ws, connected


def test_compose_schedule_drag_publish_now_and_follow_the_links(
    browser, base_url, session, studio, bluesky_pds  # noqa: F811
):
    from models import MediaAsset, Post

    user, ws, [(main, main_account), (side, side_account)] = studio
    texts = {main.id: MAIN_TEXT, side.id: STUDIO_TEXT}
    image = _png()
    page = sign_in_as(browser, base_url, user)

    # --- compose: a base text, a text of its own per account, an image with alt text ---------------
    page.goto(base_url + "/compose")
    expect(page.get_by_role("heading", name="Compose")).to_be_visible(timeout=30_000)
    page.locator("#body").fill(BASE)
    page.get_by_role("checkbox", name="Ada main").click()
    page.get_by_role("checkbox", name="Ada studio").click()
    page.get_by_label("Text for Ada main").fill(MAIN_TEXT)
    page.get_by_label("Text for Ada studio").fill(STUDIO_TEXT)
    expect(page.get_by_text("Own text for this channel")).to_have_count(2)
    page.locator("#compose-media input[type=file]").set_input_files(
        files=[{"name": "studio-sign.png", "mimeType": "image/png", "buffer": image}])
    alt = page.get_by_label(ALT_LABEL)
    expect(alt).to_be_visible(timeout=15_000)
    alt.fill(ALT)
    expect(page.get_by_label("Bluesky preview").get_by_role("img")).to_have_count(2)  # one per account

    tomorrow = datetime.now(BERLIN).date() + timedelta(days=1)
    page.locator("#schedule-date").fill(tomorrow.isoformat())
    page.locator("#schedule-time").fill("10:30")
    screenshot(page, "journey-1-compose")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("scheduled", exact=True)).to_be_visible(timeout=15_000)

    session.expire_all()
    [post] = session.exec(select(Post).where(Post.workspace_id == ws.id)).all()
    rows = _targets(session, post.id)
    assert set(rows) == {main.id, side.id}
    for channel_id, target in rows.items():
        assert (target.status, target.body) == ("scheduled", texts[channel_id])
        assert target.scheduled_at == _at(tomorrow, 10, 30)
        [ref] = target.options["media"]
        assert ref["alt"] == ALT
    asset = session.get(MediaAsset, ref["id"])
    assert asset is not None and asset.content_type == "image/png"

    # --- the calendar: both accounts' posts tomorrow; drag one to the day after, the post moves ----
    page.goto(base_url + "/calendar")
    day_cell = page.locator(f'td[data-date="{tomorrow.isoformat()}"]')
    expect(day_cell.locator(".fc-event", has_text="Launch day 🚀")).to_be_visible(timeout=30_000)
    expect(day_cell.locator(".fc-event", has_text="Behind the scenes")).to_be_visible()
    expect(day_cell.locator(".fc-event", has_text="Launch day 🚀")).to_contain_text("10:30")
    # Two Bluesky accounts: each event names its channel, not only the network.
    expect(day_cell.locator(".fc-event", has_text="Launch day 🚀")).to_contain_text("Ada main · Launch day")
    expect(day_cell.locator(".fc-event", has_text="Behind the scenes")).to_contain_text(
        "Ada studio · Behind the scenes")
    screenshot(page, "journey-2-calendar")
    later = tomorrow + timedelta(days=1)
    later_cell = page.locator(f'td[data-date="{later.isoformat()}"]')
    _drag(page, day_cell.locator(".fc-event", has_text="Launch day 🚀"),
          later_cell.locator(".fc-daygrid-day-frame"))
    expect(page.get_by_text("Moved to")).to_be_visible(timeout=15_000)
    # The calendar and the database agree: the whole post (both accounts) is on the later day, same time.
    for snippet in ("Launch day 🚀", "Behind the scenes"):
        expect(later_cell.locator(".fc-event", has_text=snippet)).to_be_visible(timeout=10_000)
        expect(day_cell.locator(".fc-event", has_text=snippet)).to_have_count(0)
    assert {t.scheduled_at for t in _targets(session, post.id).values()} == {_at(later, 10, 30)}
    page.reload()  # what the server now says, not only what the page moved
    expect(later_cell.locator(".fc-event", has_text="Behind the scenes")).to_be_visible(timeout=30_000)
    expect(later_cell.locator(".fc-event", has_text="Launch day 🚀")).to_contain_text("10:30")
    expect(day_cell.locator(".fc-event")).to_have_count(0)
    screenshot(page, "journey-3-calendar-moved")

    # --- the post's page: publish now, and watch it turn to published without a reload -------------
    later_cell.locator(".fc-event", has_text="Behind the scenes").click()
    expect(page).to_have_url(f"{base_url}/posts/{post.id}", timeout=30_000)
    main_card = page.locator(".rt-Card", has=page.get_by_role("heading", name="Ada main"))
    side_card = page.locator(".rt-Card", has=page.get_by_role("heading", name="Ada studio"))
    expect(main_card).to_contain_text(MAIN_TEXT, timeout=30_000)
    expect(side_card).to_contain_text(STUDIO_TEXT)
    expect(main_card).to_contain_text("Scheduled for " + later.strftime("%a %d %b %Y") + ", 10:30")
    expect(page.get_by_role("img", name=ALT)).to_be_visible()  # the picture that will go out
    expect(page.get_by_role("link", name="Edit")).to_have_attribute("href", f"/compose?post_id={post.id}")
    screenshot(page, "journey-4-post-scheduled")
    assert _serious(page) == []
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Publishing now.")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Updating live")).to_be_visible()  # queued: the page now follows the worker
    for card in (main_card, side_card):
        expect(card.get_by_role("link", name="View the post")).to_be_visible(timeout=90_000)
        expect(card).to_contain_text("published")
        attempts = card.get_by_role("list", name="Publish attempts")
        expect(attempts.get_by_role("listitem")).to_have_count(1)  # published on the first attempt
        expect(attempts).to_contain_text("published")
        expect(attempts).not_to_contain_text("HTTP")  # no status code to show for a success
    expect(page.get_by_text("Updating live")).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded to show the result"
    expect(page.get_by_role("button", name="Publish now")).to_have_count(0)
    screenshot(page, "journey-5-post-published")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "journey-6-post-published-phone")

    # --- the links: the right bsky.app address, and the record behind it on the PDS ----------------
    rows = _targets(session, post.id)
    for channel, account, card in ((main, main_account, main_card), (side, side_account, side_card)):
        target = rows[channel.id]
        assert target.status == "published" and target.published_at is not None
        href = card.get_by_role("link", name="View the post").get_attribute("href")
        match = BSKY_LINK.match(href or "")
        assert match, f"not a Bluesky post address: {href!r}"
        handle, rkey = match.groups()
        assert handle == account.handle
        assert target.remote_url == href
        assert target.remote_id == f"at://{account.did}/app.bsky.feed.post/{rkey}"
        # The handle in the link resolves to the account, and the record is there with this account's text.
        resolved = httpx.get(f"{bluesky_pds.url}/xrpc/com.atproto.identity.resolveHandle",
                             params={"handle": handle}, timeout=30)
        assert resolved.status_code == 200 and resolved.json()["did"] == account.did
        record = bluesky_pds.get_record(account.did, rkey)
        assert record.status_code == 200, record.text
        value = record.json()["value"]
        assert record.json()["uri"] == target.remote_id
        assert value["text"] == texts[channel.id]
        [embedded] = value["embed"]["images"]
        assert value["embed"]["$type"] == "app.bsky.embed.images"
        assert embedded["alt"] == ALT and embedded["aspectRatio"] == {"width": 120, "height": 80}
        blob = httpx.get(f"{bluesky_pds.url}/xrpc/com.atproto.sync.getBlob",
                         params={"did": account.did, "cid": embedded["image"]["ref"]["$link"]}, timeout=30)
        assert blob.status_code == 200 and blob.content == image
        # Published exactly once: the account holds this one post and nothing else.
        assert [r["uri"] for r in bluesky_pds.list_records(account.did)] == [target.remote_id]
    page.context.close()
