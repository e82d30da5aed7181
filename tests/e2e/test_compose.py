"""The composer in a real browser: own text per channel, live network checks, schedule, approval, and the
bad inputs (over-limit text, a double click, HTML, two tabs)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from tests.e2e.conftest import goto, screenshot, sign_in_as
from tests.factories import make_channel, make_user

pytestmark = pytest.mark.e2e

SERIOUS = ("serious", "critical")


def _targets(session, post_id=None, workspace_id=None):
    from models import Post, PostTarget

    session.expire_all()
    q = select(PostTarget, Post).join(Post, Post.id == PostTarget.post_id)
    if workspace_id is not None:
        q = q.where(Post.workspace_id == workspace_id)
    return session.exec(q).all()


def _open(page, base_url):
    goto(page, base_url + "/compose")
    expect(page.get_by_role("heading", name="Compose")).to_be_visible(timeout=30_000)


def _axe(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    for v in result.response["violations"]:
        print("AXE", v["impact"], v["id"], v["help"], [n["html"][:200] for n in v["nodes"]][:3])
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
            for v in result.response["violations"] if v.get("impact") in SERIOUS]


def test_two_channels_with_own_texts_are_scheduled(browser, base_url, session, member):
    user, ws, bluesky = member
    matrix = make_channel(session, ws, "matrix", name="Ada's room", account="#ada:matrix.test")
    page = sign_in_as(browser, base_url, user)
    _open(page, base_url)

    page.locator("#body").fill("Launch day 🚀 שלום <script>alert(1)</script> #quillcast")
    page.get_by_role("checkbox", name="Ada on Bluesky").click()
    page.get_by_role("checkbox", name="Ada's room").click()
    # Both use the post's text; the preview shows the markup as text.
    expect(page.get_by_label("Text for Ada on Bluesky")).to_have_value(
        "Launch day 🚀 שלום <script>alert(1)</script> #quillcast")
    expect(page.get_by_label("Bluesky preview").get_by_text("<script>alert(1)</script>", exact=False)
           ).to_be_visible()
    page.get_by_label("Text for Ada's room").fill("Matrix only: launch day in the room")
    expect(page.get_by_text("Own text for this channel")).to_be_visible()
    expect(page.get_by_label("Matrix preview").get_by_text("Matrix only: launch day in the room")).to_be_visible()

    page.locator("#schedule-date").fill("2030-05-04")
    page.locator("#schedule-time").fill("10:30")
    expect(page.locator("#schedule-zone")).to_have_value("Europe/Berlin")
    screenshot(page, "compose-desktop")
    assert _axe(page) == []
    page.emulate_media(color_scheme="dark")
    page.wait_for_timeout(300)
    screenshot(page, "compose-dark")
    page.emulate_media(color_scheme="light")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("scheduled", exact=True)).to_be_visible(timeout=15_000)

    rows = _targets(session, workspace_id=ws.id)
    by_channel = {t.channel_id: (t, p) for t, p in rows}
    assert set(by_channel) == {bluesky.id, matrix.id}
    t_bsky, post = by_channel[bluesky.id]
    t_matrix, _ = by_channel[matrix.id]
    assert post.body == "Launch day 🚀 שלום <script>alert(1)</script> #quillcast"
    assert t_bsky.body is None  # uses the post's text
    assert t_matrix.body == "Matrix only: launch day in the room"
    when = datetime(2030, 5, 4, 8, 30, tzinfo=UTC)  # 10:30 in Berlin (CEST)
    assert t_bsky.scheduled_at == when and t_matrix.scheduled_at == when
    assert {t.status for t, _ in rows} == {"scheduled"}
    page.context.close()


def test_over_limit_text_is_refused_with_the_limit_named(browser, base_url, session, member):
    user, ws, _ = member
    page = sign_in_as(browser, base_url, user)
    _open(page, base_url)
    expect(page.get_by_role("checkbox", name="Ada on Bluesky")).to_be_checked()  # the only channel
    page.locator("#body").fill("x" * 312)
    expect(page.get_by_text("Bluesky allows 300 characters", exact=False)).to_be_visible(timeout=10_000)
    expect(page.get_by_text("312 / 300")).to_be_visible()
    page.locator("#schedule-date").fill("2030-05-04")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("Not scheduled: fix the problems shown for Ada on Bluesky")).to_be_visible()
    # A past date is refused next to the date, and nothing is scheduled.
    page.locator("#body").fill("short enough")
    page.locator("#schedule-date").fill("2020-01-01")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("is in the past", exact=False)).to_be_visible(timeout=10_000)
    page.locator("#body").fill("x" * 312)
    expect(page.get_by_text("312 / 300")).to_be_visible()
    screenshot(page, "compose-error")
    assert all(t.status == "draft" for t, _ in _targets(session, workspace_id=ws.id))

    # The fix the message suggests: split into a thread, each part within Bluesky's limit.
    page.get_by_role("button", name="Split into thread").click()
    expect(page.get_by_role("textbox", name="Thread part 2")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("Bluesky allows 300 characters", exact=False)).to_have_count(0)
    screenshot(page, "compose-thread")
    page.locator("#schedule-date").fill("2030-05-04")
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("scheduled", exact=True)).to_be_visible(timeout=15_000)
    [(target, post)] = _targets(session, workspace_id=ws.id)
    assert target.status == "scheduled" and len(target.options["thread"]) == 1
    assert post.body.endswith("(1/2)") and target.options["thread"][0].endswith("(2/2)")
    page.context.close()


def test_double_clicked_save_makes_one_post_and_phone_layout(browser, base_url, session, member):
    user, ws, _ = member
    page = sign_in_as(browser, base_url, user, width=390, height=844)
    _open(page, base_url)
    page.locator("#body").fill("One post, however often I click")
    page.get_by_role("button", name="Save draft").dblclick()
    expect(page.get_by_text("Saved", exact=True)).to_be_visible(timeout=10_000)
    page.wait_for_timeout(4_000)  # the idle autosave must not add a second post either
    rows = _targets(session, workspace_id=ws.id)
    assert len({p.id for _, p in rows}) == 1
    screenshot(page, "compose-phone")
    assert _axe(page) == []
    page.context.close()


def test_huge_paste_and_two_tabs(browser, base_url, session, member):
    user, ws, _ = member
    first = sign_in_as(browser, base_url, user)
    _open(first, base_url)
    first.locator("#body").fill("Draft from the first tab")
    first.get_by_role("button", name="Save draft").click()
    expect(first.get_by_text("Saved", exact=True)).to_be_visible(timeout=10_000)
    post_id = _targets(session, workspace_id=ws.id)[0][1].id

    second = first.context.new_page()
    second.goto(f"{base_url}/compose?post_id={post_id}")
    expect(second.locator("#body")).to_have_value("Draft from the first tab", timeout=30_000)
    second.locator("#body").fill("The second tab's words")
    second.get_by_role("button", name="Save draft").click()
    expect(second.get_by_text("Saved", exact=True)).to_be_visible(timeout=10_000)

    first.locator("#body").fill("The first tab's later words")
    first.get_by_role("button", name="Save draft").click()
    expect(first.get_by_text("changed in another tab", exact=False)).to_be_visible(timeout=10_000)
    expect(first.locator("#body")).to_have_value("The first tab's later words")  # nothing typed is lost
    session.expire_all()
    assert _targets(session, workspace_id=ws.id)[0][1].body == "The second tab's words"

    first.locator("#body").fill("y" * 100_000)
    expect(first.locator("#body-error")).to_contain_text("the composer takes at most", timeout=15_000)
    first.get_by_role("button", name="Save draft").click()
    expect(first.get_by_text("Not saved")).to_be_visible(timeout=10_000)
    first.context.close()


def test_contributor_submits_and_editor_approves(browser, base_url, session, member):
    from models import Membership

    owner, ws, _ = member
    writer = make_user(session, email_verified_at=datetime.now(UTC), display_name="Cora Contributor")
    session.add(Membership(workspace_id=ws.id, user_id=writer.id, role="contributor"))
    session.commit()

    page = sign_in_as(browser, base_url, writer)
    _open(page, base_url)
    expect(page.get_by_role("button", name="Schedule")).to_have_count(0)
    page.locator("#body").fill("Please approve me")
    page.locator("#schedule-date").fill("2030-06-01")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("awaiting approval", exact=True)).to_be_visible(timeout=15_000)
    rows = _targets(session, workspace_id=ws.id)
    assert [t.status for t, _ in rows] == ["awaiting_approval"]
    post_id = rows[0][1].id

    editor = sign_in_as(browser, base_url, owner)
    editor.goto(f"{base_url}/compose?post_id={post_id}")
    expect(editor.get_by_role("heading", name="Awaiting your approval")).to_be_visible(timeout=30_000)
    editor.get_by_role("button", name="Request changes").click()
    expect(editor.get_by_text("say what should change", exact=False)).to_be_visible(timeout=10_000)
    editor.get_by_role("button", name="Approve").click()
    expect(editor.get_by_text("scheduled", exact=True)).to_be_visible(timeout=15_000)
    assert [t.status for t, _ in _targets(session, workspace_id=ws.id)] == ["scheduled"]
    page.context.close()
    editor.context.close()


def test_start_from_an_idea(browser, base_url, session, member):
    from app.services.planning import ideas
    from models import Idea

    user, ws, _ = member
    idea = ideas.add(session, user.id, ws.id, "Behind the scenes", "Show the <b>desk</b>")
    session.commit()
    page = sign_in_as(browser, base_url, user)
    page.goto(f"{base_url}/compose?idea={idea.id}&date=2030-07-01")
    expect(page.locator("#body")).to_have_value("Behind the scenes\n\nShow the <b>desk</b>", timeout=30_000)
    expect(page.locator("#schedule-date")).to_have_value("2030-07-01")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Saved", exact=True)).to_be_visible(timeout=10_000)
    session.expire_all()
    assert session.get(Idea, idea.id).status == "used"
    page.context.close()


def test_dst_gap_is_named_next_to_the_time_and_can_be_resolved(browser, base_url, session, member):
    user, ws, _ = member
    page = sign_in_as(browser, base_url, user)
    _open(page, base_url)
    page.locator("#body").fill("Clocks change tonight")
    page.locator("#schedule-date").fill("2030-03-31")  # Berlin skips 02:00-03:00 that night
    page.locator("#schedule-time").fill("02:30")
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("#scheduled_at-error")).to_contain_text("does not exist in Europe/Berlin",
                                                               timeout=10_000)
    page.get_by_role("radio", name="second").click()
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_text("scheduled", exact=True)).to_be_visible(timeout=15_000)
    [(target, _)] = _targets(session, workspace_id=ws.id)
    assert target.status == "scheduled" and target.scheduled_at is not None
    page.context.close()


def test_ctrl_s_saves_the_draft_with_the_last_keystrokes(browser, base_url, session, member):
    user, ws, _ = member
    page = sign_in_as(browser, base_url, user)
    _open(page, base_url)
    expect(page.get_by_role("checkbox", name="Ada on Bluesky")).to_be_checked()  # the form has loaded
    expect(page.get_by_text("Ctrl+S (⌘S on a Mac) saves the draft.")).to_be_visible()
    expect(page.get_by_role("button", name="Save draft")).to_have_attribute(
        "aria-keyshortcuts", "Control+S Meta+S")
    # Typed and saved at once, still in the field: the save holds every keystroke (no wait for the
    # field's debounce), and it is the explicit save (its toast), not the idle autosave.
    page.locator("#body").press_sequentially("Saved from the keyboard")
    page.keyboard.press("Control+s")
    expect(page.get_by_text("Draft saved")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("Saved", exact=True)).to_be_visible()
    expect(page.locator("#body")).to_be_focused()  # the writer keeps typing where they were
    # The success toast itself is readable (its text passes colour contrast in light mode).
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_timeout(600)  # the toast's fade-in: axe would measure a half-transparent colour
    toast = Axe().run(page, context="[data-sonner-toaster]")
    assert [v["id"] for v in toast.response["violations"] if v.get("impact") in SERIOUS] == []
    [(_, post)] = _targets(session, workspace_id=ws.id)
    assert post.body == "Saved from the keyboard"

    expect(page.get_by_text("Draft saved")).to_have_count(0, timeout=15_000)  # the toast has gone
    page.locator("#body").press_sequentially(", twice")
    page.keyboard.press("Meta+s")  # the Mac shortcut
    expect(page.get_by_text("Draft saved")).to_be_visible(timeout=10_000)
    [(_, post)] = _targets(session, workspace_id=ws.id)
    assert post.body == "Saved from the keyboard, twice"
    screenshot(page, "compose-shortcut")
    page.context.close()


# Records, from the first paint on, whether a text was ever on the page (before the app connected too).
_WATCH_TEXTS = """
window.__seen = {};
const look = () => {
  const text = document.body ? document.body.innerText : '';
  for (const t of ['Loading channels', 'no connected channels']) if (text.includes(t)) window.__seen[t] = true;
};
new MutationObserver(look).observe(document, {childList: true, subtree: true, characterData: true});
document.addEventListener('DOMContentLoaded', look);
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_an_untouched_composer_loads_quietly_and_speaks_up_once_used(browser, base_url, session, member,
                                                                      width):
    """The newcomer's first look: while the channels load it says so (never "no channels" for a
    workspace that has one), and a form nobody touched shows no error; typing or saving does."""
    user, ws, _ = member
    page = sign_in_as(browser, base_url, user, width=width, height=844)
    page.add_init_script(_WATCH_TEXTS)
    # The server's answers are held back until the loading state was seen and photographed.
    gate: dict = {"open": False, "held": []}

    def hold(ws) -> None:
        server = ws.connect_to_server()

        def forward(message) -> None:
            if gate["open"]:
                ws.send(message)
            else:
                gate["held"].append((ws, message))
        server.on_message(forward)

    page.route_web_socket(re.compile(r"/_event"), hold)
    page.goto(base_url + "/compose")
    expect(page.get_by_text("Loading channels")).to_be_visible(timeout=30_000)
    screenshot(page, f"compose-loading-{width}")
    gate["open"] = True
    for ws, message in gate["held"]:
        ws.send(message)
    page.locator("#app-ready").wait_for(state="attached", timeout=30_000)
    expect(page.get_by_role("checkbox", name="Ada on Bluesky")).to_be_checked(timeout=30_000)
    expect(page.get_by_text("Loading channels")).to_have_count(0)
    assert page.evaluate("window.__seen") == {"Loading channels": True}  # never "no connected channels"
    screenshot(page, f"compose-untouched-{width}")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_text("Unsaved changes")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.get_by_role("button", name="Save draft").click()  # trying to save an empty post: now it says why
    expect(page.get_by_role("alert").first).to_be_visible(timeout=10_000)
    screenshot(page, f"compose-empty-save-{width}")
    page.context.close()


def test_a_workspace_without_channels_is_told_so_once_loaded(browser, base_url, session):
    from tests.factories import make_workspace

    user = make_user(session, email_verified_at=datetime.now(UTC), display_name="Grace")
    make_workspace(session, owner=user, name="Empty studio")
    page = sign_in_as(browser, base_url, user)
    _open(page, base_url)
    expect(page.get_by_text("no connected channels", exact=False)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Loading channels")).to_have_count(0)
    page.context.close()
