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
