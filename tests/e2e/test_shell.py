"""A newcomer opens Quillcast, sees whether it is ready, and walks the navigation."""

import pytest
from playwright.sync_api import expect

from app.pages.routes import NAV
from tests.e2e.conftest import screenshot, sign_in_as

pytestmark = pytest.mark.e2e


def test_home_shows_every_part_up(page, base_url):
    page.goto(base_url + "/status")
    for part in ("database", "redis", "broker", "worker"):
        expect(page.get_by_role("row").filter(has_text=part)).to_contain_text("OK", timeout=30_000)
    expect(page.get_by_text("Every part is up")).to_be_visible()
    assert screenshot(page, "status").stat().st_size > 10_000


def test_walk_the_navigation(browser, base_url, member):
    user, _, _ = member
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/")
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
