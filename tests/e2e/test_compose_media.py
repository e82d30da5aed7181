"""Images in the composer, in a real browser: attach a PNG (made with Pillow) with alt text, schedule it
for a Bluesky channel, and find the asset and its alt text on the post's target; a text file renamed .png
is refused next to the drop zone, naming the file and the rule."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlmodel import select

from tests.e2e.conftest import screenshot, sign_in_as

pytestmark = pytest.mark.e2e

SERIOUS = ("serious", "critical")


def _png() -> bytes:
    img = Image.new("RGB", (120, 80), "#2b6cb0")
    for x in range(40, 80):
        for y in range(20, 60):
            img.putpixel((x, y), (255, 200, 0))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _axe(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    for v in result.response["violations"]:
        print("AXE", v["impact"], v["id"], v["help"], [n["html"][:200] for n in v["nodes"]][:3])
    return [f"{v['id']}: {v['help']}" for v in result.response["violations"] if v.get("impact") in SERIOUS]


def _upload(page, name: str, data: bytes, mime: str = "image/png") -> None:
    page.locator("#compose-media input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])


def test_an_attached_image_with_alt_text_is_scheduled_with_the_post(browser, base_url, session, member):
    from models import Post, PostTarget

    user, ws, bluesky = member
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/compose")
    expect(page.get_by_role("heading", name="Compose")).to_be_visible(timeout=30_000)
    page.locator("#body").fill("A picture for the launch 🚀")

    # A text file named .png is refused, with the file named and the rule.
    _upload(page, "notes.png", b"just some text, not an image\n" * 10)
    error = page.locator("#media-error")
    expect(error).to_contain_text("notes.png", timeout=15_000)
    expect(error).to_contain_text("not a JPEG, PNG, WebP or GIF image")
    screenshot(page, "compose-media-error")

    _upload(page, "launch <i>poster.png", _png())
    alt = page.get_by_label("Alt text (describes the image for people who cannot see it)")
    expect(alt).to_be_visible(timeout=15_000)
    expect(error).to_have_count(0)
    expect(page.get_by_text("launch <i>poster.png")).to_be_visible()  # the name shown as text
    alt.fill("A yellow square on blue — שלום")
    expect(page.get_by_label("Bluesky preview").get_by_role("img")).to_have_count(1)

    page.locator("#schedule-date").fill("2030-05-04")
    page.locator("#schedule-time").fill("10:30")
    page.wait_for_timeout(600)  # the alt text's debounce
    screenshot(page, "compose-media")
    assert _axe(page) == []
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("scheduled", exact=True)).to_be_visible(timeout=15_000)

    session.expire_all()
    [(target, post)] = session.exec(select(PostTarget, Post).join(Post, Post.id == PostTarget.post_id)
                                    .where(Post.workspace_id == ws.id)).all()
    assert target.channel_id == bluesky.id and target.status == "scheduled"
    [ref] = target.options["media"]
    assert ref["alt"] == "A yellow square on blue — שלום"
    from models import MediaAsset

    asset = session.get(MediaAsset, ref["id"])
    assert asset is not None and asset.workspace_id == ws.id and asset.content_type == "image/png"

    # Reopening the post shows the image with its alt text again.
    page.goto(f"{base_url}/compose?post_id={post.id}")
    expect(page.get_by_label("Alt text (describes the image for people who cannot see it)")).to_have_value(
        "A yellow square on blue — שלום", timeout=30_000)
    expect(page.get_by_role("img", name="A yellow square on blue — שלום")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#compose-media").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    screenshot(page, "compose-media-mobile")
    page.emulate_media(color_scheme="dark")
    page.wait_for_timeout(300)
    screenshot(page, "compose-media-dark")


def test_removing_an_image_keeps_it_off_the_post(browser, base_url, session, member):
    from models import PostTarget

    user, ws, _ = member
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/compose")
    expect(page.get_by_role("heading", name="Compose")).to_be_visible(timeout=30_000)
    page.locator("#body").fill("No picture after all")
    _upload(page, "square.png", _png())
    remove = page.get_by_role("button", name="Remove square.png")
    expect(remove).to_be_visible(timeout=15_000)
    remove.click()
    expect(remove).to_have_count(0)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Saved", exact=True)).to_be_visible(timeout=15_000)
    session.expire_all()
    [target] = session.exec(select(PostTarget).where(PostTarget.workspace_id == ws.id)).all()
    assert "media" not in target.options
