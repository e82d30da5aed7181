"""The calendar as a member uses it: posts at their local time, filters, drag to move with undo, refusals."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in_as
from tests.factories import make_target

pytestmark = pytest.mark.e2e
BERLIN = ZoneInfo("Europe/Berlin")


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), BERLIN).astimezone(UTC)


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def _drag(page, event, cell) -> None:
    box, target = event.bounding_box(), cell.bounding_box()
    assert box and target
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 12, y + 12, steps=3)  # FullCalendar starts a drag after 5 px
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2, steps=12)
    page.mouse.up()


@pytest.fixture()
def seeded(session, member):
    user, ws, channel = member
    today = datetime.now(BERLIN).date()
    # Tomorrow 10:00 Berlin; if the grid would put it beyond the visible month, the month still shows
    # six weeks, so tomorrow and the day after are always on screen.
    move = make_target(session, channel, scheduled_at=_at(today + timedelta(days=1), 10),
                       body="Move me <script>alert(1)</script> שלום 🚀", author=user)
    failed = make_target(session, channel, scheduled_at=_at(today, 8), status="failed",
                         body="This one failed", author=user)
    return user, ws, channel, today, move, failed


def test_calendar_month_filters_and_local_time(browser, base_url, seeded):
    user, _, _, today, move, _ = seeded
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/")
    expect(page).to_have_url(base_url + "/calendar", timeout=30_000)
    moved = page.locator(".fc-event", has_text="Move me")
    expect(moved).to_be_visible(timeout=30_000)
    # 09:00 UTC is 10:00 in the workspace's Berlin (winter) time; the script tag shows as text.
    expect(moved).to_contain_text("10:00")
    expect(moved).to_contain_text("Move me <script>")
    # each post shows its network's mark, named for screen readers; the legend explains the marks
    expect(moved.get_by_role("img", name="Bluesky")).to_have_text("B")
    expect(page.get_by_role("list", name="Networks")).to_contain_text("Bluesky")
    cell = page.locator(f'td[data-date="{(today + timedelta(days=1)).isoformat()}"]')
    expect(cell.locator(".fc-event", has_text="Move me")).to_be_visible()
    expect(page.locator(".fc-day-today")).to_have_count(1)
    expect(page.get_by_role("list", name="Status colours")).to_contain_text("Failed")
    screenshot(page, "calendar-month")
    problems = _serious(page)
    assert problems == [], "\n".join(problems)

    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="Failed").click()
    expect(page.locator(".fc-event", has_text="This one failed")).to_be_visible()
    expect(page.locator(".fc-event", has_text="Move me")).to_have_count(0)

    page.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="Every status").click()
    expect(page.locator(".fc-event", has_text="Move me")).to_be_visible()
    page.get_by_role("button", name="Week").click()
    expect(page.locator(".fc-timegrid")).to_be_visible()
    screenshot(page, "calendar-week")
    page.keyboard.press("t")
    page.get_by_role("button", name="Month").click()
    expect(page.locator(".fc-daygrid")).to_be_visible()
    page.context.close()


def test_drag_moves_and_undo_restores(browser, base_url, seeded, session):
    from models import PostTarget

    user, _, _, today, move, _ = seeded
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/calendar")
    event = page.locator(".fc-event", has_text="Move me")
    expect(event).to_be_visible(timeout=30_000)
    later = today + timedelta(days=2)
    _drag(page, event, page.locator(f'td[data-date="{later.isoformat()}"] .fc-daygrid-day-frame'))
    expect(page.get_by_text("Moved to")).to_be_visible(timeout=15_000)
    session.expire_all()
    assert session.get(PostTarget, move.id).scheduled_at == _at(later, 10)  # same time, new day

    expect(page.locator(f'td[data-date="{later.isoformat()}"] .fc-event', has_text="Move me")).to_be_visible()

    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Moved back.")).to_be_visible(timeout=15_000)
    session.expire_all()
    assert session.get(PostTarget, move.id).scheduled_at == _at(today + timedelta(days=1), 10)
    # the calendar shows it back on its day too (it had drawn the drop itself, the server sent nothing)
    tomorrow = (today + timedelta(days=1)).isoformat()
    expect(page.locator(f'td[data-date="{tomorrow}"] .fc-event', has_text="Move me")).to_be_visible()
    expect(page.locator(f'td[data-date="{later.isoformat()}"] .fc-event', has_text="Move me")).to_have_count(0)

    # moved again after the undo: drawn on the new day, saved
    _drag(page, page.locator(".fc-event", has_text="Move me"),
          page.locator(f'td[data-date="{later.isoformat()}"] .fc-daygrid-day-frame'))
    expect(page.locator(f'td[data-date="{later.isoformat()}"] .fc-event', has_text="Move me")).to_be_visible()
    _saved(session, move.id, _at(later, 10))
    expect(page.locator(".fc-event", has_text="Move me")).to_have_count(1)
    page.context.close()


def _saved(session, target_id, when: datetime) -> None:
    """Wait (up to 15 s) until the target is scheduled at `when` in the database."""
    import time as clock

    from models import PostTarget

    deadline = clock.monotonic() + 15
    while True:
        session.expire_all()
        if session.get(PostTarget, target_id).scheduled_at == when or clock.monotonic() > deadline:
            break
        clock.sleep(0.2)
    assert session.get(PostTarget, target_id).scheduled_at == when


def test_dragging_one_channel_moves_the_post_on_every_channel(browser, base_url, member, session):
    from models import PostTarget
    from tests.factories import make_channel

    user, ws, bluesky = member
    matrix = make_channel(session, ws, "matrix", name="Ada's room", account="@ada:example.org")
    day = datetime.now(BERLIN).date() + timedelta(days=1)
    first = make_target(session, bluesky, scheduled_at=_at(day, 11), body="Both networks", author=user)
    second = PostTarget(workspace_id=ws.id, post_id=first.post_id, channel_id=matrix.id,
                        scheduled_at=_at(day, 11), status="scheduled", idempotency_key="both-networks-matrix")
    session.add(second)
    session.commit()
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/calendar")
    on_matrix = page.locator(".fc-event", has=page.get_by_role("img", name="Matrix"))
    expect(on_matrix).to_contain_text("Both networks", timeout=30_000)
    later = day + timedelta(days=1)
    _drag(page, on_matrix, page.locator(f'td[data-date="{later.isoformat()}"] .fc-daygrid-day-frame'))
    expect(page.get_by_text("Moved to")).to_be_visible(timeout=15_000)
    # the Bluesky one follows: one post, one time, on every channel
    moved = page.locator(f'td[data-date="{later.isoformat()}"] .fc-event', has_text="Both networks")
    expect(moved).to_have_count(2)
    expect(moved.get_by_role("img", name="Bluesky")).to_be_visible()
    _saved(session, first.id, _at(later, 11))
    _saved(session, second.id, _at(later, 11))
    page.context.close()


def test_drop_on_past_day_is_refused_and_reverted(browser, base_url, seeded, session):
    from models import PostTarget

    user, _, _, today, move, _ = seeded
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/calendar")
    event = page.locator(".fc-event", has_text="Move me")
    expect(event).to_be_visible(timeout=30_000)
    before = today - timedelta(days=1)
    if not page.locator(f'td[data-date="{before.isoformat()}"]').count():
        pytest.skip("yesterday is not on the visible grid")
    _drag(page, event, page.locator(f'td[data-date="{before.isoformat()}"] .fc-daygrid-day-frame'))
    expect(page.get_by_text("is in the past")).to_be_visible(timeout=15_000)
    tomorrow = (today + timedelta(days=1)).isoformat()
    expect(page.locator(f'td[data-date="{tomorrow}"] .fc-event', has_text="Move me")).to_be_visible()
    session.expire_all()
    assert session.get(PostTarget, move.id).scheduled_at == _at(today + timedelta(days=1), 10)
    page.context.close()


def test_crowded_day_shows_a_summary_that_opens_the_day(browser, base_url, member, session):
    user, _, channel = member
    day = datetime.now(BERLIN).date() + timedelta(days=1)
    for n in range(6):
        make_target(session, channel, scheduled_at=_at(day, 9 + n), body=f"Busy post {n}", author=user)
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/calendar")
    summary = page.locator(".fc-event", has_text="+3 more")
    expect(summary).to_be_visible(timeout=30_000)
    expect(page.locator(".fc-event", has_text="Busy post")).to_have_count(3)
    summary.click()
    expect(page.locator(".fc-list-event", has_text="Busy post")).to_have_count(6)
    page.context.close()


def test_moving_a_post_out_of_a_crowded_day_updates_its_summary(browser, base_url, member, session):
    from models import PostTarget

    user, _, channel = member
    day = datetime.now(BERLIN).date() + timedelta(days=1)
    busy = [make_target(session, channel, scheduled_at=_at(day, 9 + n), body=f"Busy post {n}", author=user)
            for n in range(6)]
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/calendar")
    expect(page.locator(".fc-event", has_text="+3 more")).to_be_visible(timeout=30_000)
    later = day + timedelta(days=1)
    _drag(page, page.locator(".fc-event", has_text="Busy post 0"),
          page.locator(f'td[data-date="{later.isoformat()}"] .fc-daygrid-day-frame'))
    expect(page.get_by_text("Moved to")).to_be_visible(timeout=15_000)
    # the day it left now shows the next post and one fewer in its summary; the post is on its new day
    expect(page.locator(".fc-event", has_text="+2 more")).to_be_visible(timeout=15_000)
    expect(page.locator(f'td[data-date="{day.isoformat()}"] .fc-event', has_text="Busy post")).to_have_count(3)
    expect(page.locator(f'td[data-date="{later.isoformat()}"] .fc-event', has_text="Busy post 0")).to_be_visible()
    session.expire_all()
    assert session.get(PostTarget, busy[0].id).scheduled_at == _at(later, 9)
    page.context.close()


def test_calendar_on_a_phone(browser, base_url, seeded):
    user = seeded[0]
    page = sign_in_as(browser, base_url, user, width=390, height=844)
    page.goto(base_url + "/calendar")
    expect(page.locator(".fc-event", has_text="Move me")).to_be_visible(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "calendar-phone")
    page.context.close()


def test_ical_feed_is_shown_once_and_revoked(browser, base_url, member):
    user = member[0]
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/calendar")
    expect(page.get_by_text("Nothing scheduled here yet.")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Create feed URL").click()
    field = page.get_by_label("Shown once: copy it now.")
    expect(field).to_be_visible()
    url = field.input_value()
    assert "/ical/" in url and url.endswith(".ics")  # the public address from settings
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert page.request.get(f"{_backend(page)}/ical/{token}.ics").status == 200
    page.get_by_role("button", name="Revoke feed").click()
    expect(page.get_by_text("Feed revoked")).to_be_visible()
    assert page.request.get(f"{_backend(page)}/ical/{token}.ics").status == 404
    page.context.close()


def _backend(page) -> str:
    from reflex.config import get_config  # the harness points api_url at its backend

    return get_config().api_url.rstrip("/")


def test_calendar_in_dark_mode(browser, base_url, seeded):
    from app.services.identity import sessions
    from state.auth import SESSION_COOKIE

    user = seeded[0]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
    context.add_cookies([{"name": SESSION_COOKIE, "value": sessions.create(user.id, "127.0.0.1", "pw"),
                          "url": base_url}])
    page = context.new_page()
    page.goto(base_url + "/calendar")
    expect(page.locator(".fc-event", has_text="Move me")).to_be_visible(timeout=30_000)
    expect(page.locator("html")).to_have_class(re.compile("dark"))
    screenshot(page, "calendar-dark")
    problems = _serious(page)
    assert problems == [], "\n".join(problems)
    context.close()


def test_home_sends_visitors_to_sign_in(page, base_url):
    page.goto(base_url + "/")
    expect(page).to_have_url(base_url + "/signin", timeout=30_000)
    page.goto(base_url + "/calendar")  # the calendar itself asks for sign-in too
    expect(page).to_have_url(re.compile(r"/signin"), timeout=30_000)


LAYOUT_SHIFTS = """() => {
  window.__stay = 'no navigation since';  // a reload or navigation would drop it
  window.__shift = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shift += e.value;
  }).observe({type: 'layout-shift'});
}"""


def _edge(event) -> str:
    """The colour of an event's status edge, as the browser draws it."""
    return event.evaluate("(el) => getComputedStyle(el).borderLeftColor")


def _box(locator) -> tuple[float, float, float, float]:
    box = locator.bounding_box()
    assert box
    return round(box["x"]), round(box["y"]), round(box["width"]), round(box["height"])


def test_publishing_outcomes_show_live_without_reload_or_layout_shift(browser, base_url, seeded, session):
    """The engine publishes one post and another fails while the calendar is open: each event takes its
    new status (edge colour, and the word screen readers read) within seconds, in place."""
    from models import PostTarget

    user, _, channel, today, move, _ = seeded
    going = make_target(session, channel, scheduled_at=_at(today + timedelta(days=1), 12), status="publishing",
                        body="Going out now", author=user)
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/calendar")
    published = page.locator(".fc-event", has_text="Move me")
    failing = page.locator(".fc-event", has_text="Going out now")
    expect(published.locator(".qc-event")).to_have_attribute("data-status", "scheduled", timeout=30_000)
    expect(failing.locator(".qc-event")).to_have_attribute("data-status", "publishing")
    assert _edge(published) == "rgb(62, 99, 221)"  # scheduled
    page.evaluate(LAYOUT_SHIFTS)
    before = (_box(published), _box(failing), _box(page.locator(".fc-view-harness")))

    # behind the page's back, as the publishing engine leaves them
    target = session.get(PostTarget, move.id)
    target.status, target.published_at = "published", target.scheduled_at + timedelta(seconds=20)
    target.remote_url = "https://bsky.app/profile/ada.test/post/3kabc"
    other = session.get(PostTarget, going.id)
    other.status, other.last_error = "failed", "The network refused the post: text too long"
    session.add_all([target, other])
    session.commit()

    expect(published.locator(".qc-event")).to_have_attribute("data-status", "published", timeout=15_000)
    expect(failing.locator(".qc-event")).to_have_attribute("data-status", "failed", timeout=15_000)
    expect(published.locator(".qc-status")).to_have_text(", Published")
    expect(failing.locator(".qc-status")).to_have_text(", Failed")
    assert _edge(published) == "rgb(48, 164, 108)"
    assert _edge(failing) == "rgb(229, 72, 77)"
    assert page.evaluate("window.__stay") == "no navigation since"
    assert (_box(published), _box(failing), _box(page.locator(".fc-view-harness"))) == before
    assert page.evaluate("window.__shift") == 0
    screenshot(page, "calendar-live-status")
    page.context.close()


def test_a_teammates_move_shows_in_an_open_calendar(browser, base_url, seeded, session):
    from models import Membership
    from tests.factories import make_user

    user, ws, _, today, move, _ = seeded
    teammate = make_user(session, email_verified_at=datetime.now(UTC), display_name="Grace Hopper")
    session.add(Membership(workspace_id=ws.id, user_id=teammate.id, role="editor"))
    session.commit()
    mine = sign_in_as(browser, base_url, user)
    mine.goto(base_url + "/calendar")
    tomorrow, later = (today + timedelta(days=1)).isoformat(), (today + timedelta(days=2)).isoformat()
    expect(mine.locator(f'td[data-date="{tomorrow}"] .fc-event', has_text="Move me")).to_be_visible(
        timeout=30_000)
    mine.evaluate(LAYOUT_SHIFTS)

    theirs = sign_in_as(browser, base_url, teammate)
    theirs.goto(base_url + "/calendar")
    event = theirs.locator(".fc-event", has_text="Move me")
    expect(event).to_be_visible(timeout=30_000)
    _drag(theirs, event, theirs.locator(f'td[data-date="{later}"] .fc-daygrid-day-frame'))
    expect(theirs.get_by_text("Moved to")).to_be_visible(timeout=15_000)

    expect(mine.locator(f'td[data-date="{later}"] .fc-event', has_text="Move me")).to_be_visible(timeout=15_000)
    expect(mine.locator(f'td[data-date="{tomorrow}"] .fc-event', has_text="Move me")).to_have_count(0)
    assert mine.evaluate("window.__stay") == "no navigation since"
    theirs.context.close()
    mine.context.close()


# Whether an element is inside the visible part of the week/day grid, which scrolls inside a fixed height.
_IN_GRID = """(sel) => {
  const scroller = document.querySelector('.fc-timegrid-body') &&
                   document.querySelector('.fc-timegrid-body').closest('.fc-scroller');
  const el = typeof sel === 'string' ? document.querySelector(sel)
           : [...document.querySelectorAll('.fc-timegrid-event')].find(e => e.textContent.includes(sel.text));
  if (!scroller || !el || scroller.scrollHeight <= scroller.clientHeight) return false;
  const a = el.getBoundingClientRect(), b = scroller.getBoundingClientRect();
  return a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
}"""


def test_status_reads_by_icon_and_word_not_colour_alone(browser, base_url, seeded, session):
    user, _, channel, today, _, _ = seeded
    make_target(session, channel, scheduled_at=_at(today + timedelta(days=1), 12), status="awaiting_approval",
                body="Waiting for a yes", author=user)
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/calendar")
    failed = page.locator(".fc-event", has_text="This one failed")
    expect(failed).to_be_visible(timeout=30_000)
    # month: each event carries its status's icon (the legend names the icons); the word is for screen readers
    for text in ("This one failed", "Move me", "Waiting for a yes"):
        expect(page.locator(".fc-event", has_text=text).locator(".qc-state svg")).to_be_visible()
    expect(failed.locator(".qc-status")).to_have_text(", Failed")
    legend = page.get_by_role("list", name="Status colours")
    expect(legend.get_by_role("listitem")).to_have_count(8)
    expect(legend.locator("svg")).to_have_count(8)
    expect(failed).to_contain_text("08:00")  # the time reads whole beside mark and icon
    screenshot(page, "calendar-month-status")

    # week and list: the status in words beside its icon
    page.get_by_role("button", name="Week", exact=True).click()
    expect(page.locator(".fc-timegrid")).to_be_visible()
    expect(page.locator(".fc-event", has_text="This one failed").locator(".qc-state-word")).to_have_text("Failed")
    expect(page.locator(".fc-event", has_text="Move me").locator(".qc-state-word")).to_have_text("Scheduled")
    expect(page.locator(".fc-event", has_text="Waiting for a yes").locator(".qc-state-word")).to_have_text(
        "Awaiting approval")
    page.get_by_role("button", name="List", exact=True).click()
    expect(page.locator(".fc-list")).to_be_visible()
    expect(page.locator(".fc-list-event", has_text="This one failed").locator(".qc-state-word")).to_have_text(
        "Failed")
    screenshot(page, "calendar-list")
    problems = _serious(page)
    assert problems == [], "\n".join(problems)
    page.context.close()


def test_week_and_day_open_at_the_current_time_or_the_first_post(browser, base_url, member, session):
    user, _, channel = member
    today = datetime.now(BERLIN).date()
    later = today + timedelta(days=7 - today.weekday())  # next Monday: the first day of the next week
    make_target(session, channel, scheduled_at=_at(later, 21), body="Late show next week", author=user)
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/calendar")
    expect(page.locator(".fc-daygrid")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Week", exact=True).click()
    # this week: the current time is in sight (not 06:00, FullCalendar's own start)
    page.wait_for_function(_IN_GRID, arg=".fc-timegrid-now-indicator-line", timeout=10_000)
    screenshot(page, "calendar-week")
    # next week (no "now" in it): it opens at its first post, late in the evening
    page.locator(".fc-next-button").click()
    page.wait_for_function(_IN_GRID, arg={"text": "Late show next week"}, timeout=10_000)
    # its first day (the post's), as a day view, too
    page.get_by_role("button", name="Day", exact=True).click()
    expect(page.locator(".fc-timegrid-event", has_text="Late show next week")).to_be_attached(timeout=10_000)
    page.wait_for_function(_IN_GRID, arg={"text": "Late show next week"}, timeout=10_000)
    screenshot(page, "calendar-day")
    page.context.close()


@pytest.mark.parametrize("width", [390])
def test_a_phone_gets_the_month_as_an_agenda_and_every_view_by_the_switcher(browser, base_url, seeded, width):
    user, _, _, today, _, _ = seeded
    page = sign_in_as(browser, base_url, user, width=width, height=844)
    page.goto(base_url + "/calendar")
    expect(page.locator(".fc-list")).to_be_visible(timeout=30_000)  # the month, as a list
    row = page.locator(".fc-list-event", has_text="Move me")
    expect(row).to_be_visible()
    expect(row).to_contain_text("10:00")  # the whole time, not "10:"
    expect(row.locator(".qc-state-word")).to_have_text("Scheduled")
    screenshot(page, "calendar-phone-month")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_role("button", name="Week", exact=True).click()
    expect(page.locator(".fc-list-event", has_text="Move me").or_(page.locator(".fc-list-empty"))).to_be_visible()
    expect(page.get_by_role("button", name="Week", exact=True)).to_have_class(re.compile("fc-button-active"))
    screenshot(page, "calendar-phone-week")
    page.get_by_role("button", name="Day", exact=True).click()
    expect(page.locator(".fc-timegrid")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, "calendar-phone-day")
    page.get_by_role("button", name="Grid", exact=True).click()
    expect(page.locator(".fc-daygrid")).to_be_visible()
    grid_event = page.locator(".fc-daygrid-event", has_text="Move me")
    expect(grid_event.locator(".qc-time")).to_have_text("10:00")
    # the whole time is inside the entry (before, the cell cut it to "10:")
    assert grid_event.evaluate("""e => { const t = e.querySelector('.qc-time').getBoundingClientRect(),
                                          b = e.getBoundingClientRect(); return t.right <= b.right + 0.5; }""")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, "calendar-phone-grid")
    page.get_by_role("button", name="Month", exact=True).click()
    expect(page.locator(".fc-list")).to_be_visible()
    expect(page.locator(".fc-list-event", has_text="Move me")).to_be_visible()
    page.context.close()
