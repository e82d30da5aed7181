"""A newcomer opens Quillcast, sees whether it is ready, and walks the navigation."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.pages.routes import NAV
from tests.e2e.conftest import goto, screenshot, sign_in_as

pytestmark = pytest.mark.e2e


def serious(page) -> list[str]:
    result = Axe().run(page)
    return [f'{v["id"]}: {[n["target"] for n in v["nodes"]]}' for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def test_home_shows_every_part_up(page, base_url):
    page.goto(base_url + "/status")
    for part in ("database", "redis", "broker", "worker"):
        expect(page.get_by_role("row").filter(has_text=part)).to_contain_text("OK", timeout=30_000)
    expect(page.get_by_text("Every part is up")).to_be_visible()
    assert screenshot(page, "status").stat().st_size > 10_000


def test_walk_the_navigation(browser, base_url, member):
    user, _, _ = member
    page = sign_in_as(browser, base_url, user)
    goto(page, base_url + "/")  # connected before the first click
    expect(page).to_have_url(base_url + "/calendar", timeout=30_000)  # home of signed-in people
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible(timeout=30_000)
    for item in NAV:
        nav.get_by_role("link", name=item.label).click()
        expect(page).to_have_url(base_url + item.route)
        expect(nav.get_by_role("link", name=item.label)).to_have_attribute("aria-current", "page")
        screenshot(page, f"nav-{item.label.lower()}")


def test_narrow_screen_keeps_navigation_usable(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(base_url + "/status")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="System status")).to_be_visible()
    screenshot(page, "status-phone")
    context.close()


def test_administrators_see_publishing_health_live(browser, base_url, member, session):
    from datetime import UTC, datetime, timedelta

    from tests.factories import make_target, make_user

    user, _, channel = member
    admin = make_user(session, email_verified_at=datetime.now(UTC), is_admin=True)
    # A post due ten minutes ago that nobody picked up (no beat runs in this test session).
    make_target(session, channel, scheduled_at=datetime.now(UTC) - timedelta(minutes=10))

    page = sign_in_as(browser, base_url, admin)
    page.goto(base_url + "/status")
    expect(page.get_by_role("heading", name="Publishing health")).to_be_visible(timeout=30_000)
    overdue = page.locator(".rt-Card").filter(has_text="Overdue posts")
    expect(overdue).to_contain_text("has waited", timeout=15_000)
    expect(overdue).to_contain_text("check that a worker and beat are running")
    for label in ("Published, last hour", "Circuit breakers", "Channels to reconnect", "API p95"):
        expect(page.get_by_text(label, exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Feature adoption, last 30 days")).to_be_visible()
    expect(page.get_by_text("People active:")).to_contain_text("today")  # this admin, at least
    expect(page.get_by_role("cell", name="Schedule a post")).to_be_visible()
    screenshot(page, "status-health")
    page.context.close()

    # A workspace owner who is not an instance administrator sees the parts, not the instance's numbers.
    member_page = sign_in_as(browser, base_url, user)
    member_page.goto(base_url + "/status")
    expect(member_page.get_by_text("Every part is up")).to_be_visible(timeout=30_000)
    expect(member_page.get_by_role("heading", name="Publishing health")).to_have_count(0)
    member_page.context.close()


def test_phones_get_a_menu_button_that_hides_and_shows_the_navigation(browser, base_url, member):
    user, _, _ = member
    page = sign_in_as(browser, base_url, user, width=390, height=844)
    goto(page, base_url + "/channels")
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    # Closed: the page's own heading is on the first screen, the links are not.
    expect(menu).to_have_attribute("aria-expanded", "false", timeout=30_000)
    expect(nav.get_by_role("link", name="Calendar")).to_be_hidden()
    heading = page.get_by_role("heading", name="Channels", level=1)
    expect(heading).to_be_in_viewport()
    assert heading.bounding_box()["y"] < 200
    screenshot(page, "shell-390-closed")

    # Open it from the keyboard: every link, the current page marked.
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    assert menu.get_attribute("aria-controls") == "main-menu"
    for item in NAV:
        expect(nav.get_by_role("link", name=item.label)).to_be_visible()
    expect(nav.get_by_role("link", name="Channels")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Outbox")).to_have_count(0)  # not an instance administrator
    assert serious(page) == []
    screenshot(page, "shell-390-open")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "shell-390-open-dark")
    page.emulate_media(color_scheme="light")

    # Following a link lands on the page with the menu closed again; the button closes it too.
    nav.get_by_role("link", name="Ideas").click()
    expect(page).to_have_url(base_url + "/ideas")
    expect(page.get_by_role("heading", name="Ideas", level=1)).to_be_visible(timeout=30_000)
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Calendar")).to_be_hidden()
    menu.click()
    expect(nav.get_by_role("link", name="Ideas")).to_have_attribute("aria-current", "page")
    menu.click()
    expect(nav.get_by_role("link", name="Ideas")).to_be_hidden()
    page.context.close()

    # At 1280 px nothing changes: no menu button, the links beside the page.
    wide = sign_in_as(browser, base_url, user)
    goto(wide, base_url + "/channels")
    wide_nav = wide.get_by_role("navigation", name="Main")
    expect(wide_nav.get_by_role("link", name="Calendar")).to_be_visible()
    expect(wide_nav.get_by_role("button", name="Menu")).to_be_hidden()
    link_box = wide_nav.get_by_role("link", name="Calendar").bounding_box()
    heading_box = wide.get_by_role("heading", name="Channels", level=1).bounding_box()
    assert link_box["x"] + link_box["width"] <= heading_box["x"]  # the navigation beside, not above
    screenshot(wide, "shell-1280")
    wide.context.close()


def test_an_unknown_address_shows_the_styled_404_with_the_navigation(browser, base_url, member):
    user, _, _ = member
    for width, height in ((1280, 800), (390, 844)):
        page = sign_in_as(browser, base_url, user, width=width, height=height)
        goto(page, base_url + "/nope")
        expect(page.get_by_role("heading", name="Page not found", level=1)).to_be_visible(timeout=30_000)
        expect(page.get_by_text("There is no page at this address")).to_be_visible()
        expect(page.locator("#missing-path")).to_have_text("/nope")
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        assert page.title() == "Quillcast — page not found"
        assert serious(page) == []
        screenshot(page, f"not-found-{width}")
        page.get_by_role("link", name="Go to the calendar").click()
        expect(page).to_have_url(base_url + "/calendar", timeout=30_000)
        page.context.close()


def test_the_favicon_is_served_and_linked(page, base_url):
    import httpx

    answer = httpx.get(base_url + "/favicon.ico", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/")
    assert answer.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    goto(page, base_url + "/status")
    href = page.locator('link[rel="icon"][type="image/svg+xml"]').get_attribute("href")
    svg = httpx.get(base_url + href, timeout=30)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text


def test_administrators_reach_the_outbox_and_open_a_held_link(browser, base_url, session):
    import re
    import secrets
    from datetime import UTC, datetime
    from urllib.parse import urlsplit

    from app.core.config import get_settings
    from app.services.identity import accounts
    from tests.factories import make_user

    admin = make_user(session, email_verified_at=datetime.now(UTC), is_admin=True, display_name="Root")
    newcomer = f"newcomer-{secrets.token_hex(4)}@example.test"
    accounts.sign_up(session, email_address=newcomer, password="purple otters juggle quietly",
                     display_name="Grace")
    session.commit()  # this test is the door: the web process reads the outbox through its own connection

    page = sign_in_as(browser, base_url, admin, width=390, height=844)
    context = page.context
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    goto(page, base_url + "/status")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Menu").click()
    expect(nav.get_by_text("Admin", exact=True)).to_be_visible()
    nav.get_by_role("link", name="Outbox").click()
    expect(page).to_have_url(base_url + "/admin/outbox", timeout=30_000)
    expect(nav.get_by_role("link", name="Outbox")).to_be_hidden()  # the menu closed on the way

    table = page.locator("#outbox-table")
    row = table.get_by_role("row").filter(has_text=newcomer)
    expect(row).to_contain_text("Confirm your e-mail address", timeout=30_000)
    row.get_by_role("button", name=re.compile("^Read")).click()
    links = page.locator(".mail-links")
    anchor = links.get_by_role("link").first
    expect(anchor).to_be_visible()
    href = anchor.get_attribute("href")
    assert href.startswith(get_settings().url.rstrip("/") + "/verify?token="), href
    expect(table.locator("pre").get_by_role("link", name=href)).to_have_attribute("href", href)  # in the text too
    links.get_by_role("button", name="Copy link").first.click()
    expect(page.get_by_text("Link copied to the clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == href
    screenshot(page, "outbox-390")
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "outbox-1280")

    # The link opens the page it names (here on the test server's own address).
    parts = urlsplit(href)
    opened = context.new_page()
    opened.goto(f"{base_url}{parts.path}?{parts.query}")
    expect(opened.get_by_text("Your e-mail address is confirmed")).to_be_visible(timeout=30_000)
    context.close()
