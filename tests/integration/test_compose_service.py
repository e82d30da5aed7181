"""The composer's service helpers against real PostgreSQL: channel choices, per-network checks, and a save
that refuses to overwrite another tab's newer version."""

import uuid

import pytest
from sqlmodel import select

from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.planning import compose, compose_checks
from models import Membership, PostTarget
from tests.factories import make_channel, make_user, make_workspace


@pytest.fixture()
def team(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner, timezone="Europe/Berlin")
    bsky = make_channel(session, ws, "bluesky", name="Sky")
    matrix = make_channel(session, ws, "matrix", name="Room")
    make_channel(session, ws, "bluesky", name="Broken", status="needs_reauth")
    return owner, ws, bsky, matrix


def test_channel_choices_lists_active_channels_with_limits(session, team):
    owner, ws, bsky, matrix = team
    choices = compose.channel_choices(session, owner.id, ws.id)
    assert [c["name"] for c in choices] == ["Sky", "Room"]
    assert choices[0]["limit"] == 300 and choices[0]["network"] == "bluesky"


def test_channel_choices_need_membership(session, team):
    _, ws, _, _ = team
    stranger = make_user(session)
    with pytest.raises(NotFound):  # a stranger does not even learn the workspace exists
        compose.channel_choices(session, stranger.id, ws.id)


def test_check_text_counts_like_the_network_and_names_the_limit():
    ok = compose_checks.check_text("bluesky", None, "👩‍👩‍👧 hi")
    assert ok.count == 4 and ok.problems == []  # one family emoji is one grapheme
    over = compose_checks.check_text("bluesky", None, "x" * 312)
    assert over.count == 312 and over.limit == 300
    assert any("Bluesky allows 300 characters" in p and "shorten it by 12" in p for p in over.problems)
    html = compose_checks.check_text("bluesky", None, "<b>hi</b> #tag")
    assert [s["kind"] for s in html.segments] == ["text", "hashtag"]
    assert html.segments[0]["text"] == "<b>hi</b> "


def test_check_text_refuses_a_huge_paste_quickly():
    huge = compose_checks.check_text("bluesky", None, "y" * 100_000)
    assert huge.segments == [] and "at most" in huge.problems[0]


def test_save_creates_then_updates_and_detects_another_tab(session, team):
    owner, ws, bsky, matrix = team
    post_id, v1 = compose.save(session, owner.id, ws.id, None, "Base", {str(bsky.id): None,
                                                                        str(matrix.id): "Own"}, "")
    session.commit()
    data = compose.load(session, owner.id, ws.id, uuid.UUID(post_id))
    assert data["targets"] == {str(bsky.id): None, str(matrix.id): "Own"}
    _, v2 = compose.save(session, owner.id, ws.id, uuid.UUID(post_id), "Base 2",
                         {str(bsky.id): "Sky only"}, v1)
    session.commit()
    assert v2 != v1
    with pytest.raises(Conflict, match="another tab"):
        compose.save(session, owner.id, ws.id, uuid.UUID(post_id), "stale", {str(bsky.id): None}, v1)
    session.rollback()
    rows = session.exec(select(PostTarget).where(PostTarget.post_id == uuid.UUID(post_id))).all()
    assert [(r.channel_id, r.body) for r in rows] == [(bsky.id, "Sky only")]


def test_save_refuses_huge_text_naming_the_field(session, team):
    owner, ws, bsky, _ = team
    with pytest.raises(ValidationFailed) as exc:
        compose.save(session, owner.id, ws.id, None, "z" * 100_000, {str(bsky.id): None}, "")
    assert exc.value.field == "body"


def test_viewer_cannot_save(session, team):
    _, ws, bsky, _ = team
    viewer = make_user(session)
    session.add(Membership(workspace_id=ws.id, user_id=viewer.id, role="viewer"))
    session.commit()
    with pytest.raises(PermissionDenied):
        compose.save(session, viewer.id, ws.id, None, "Hi", {str(bsky.id): None}, "")


def test_parse_local_names_the_schedule_field():
    assert compose.parse_local("2030-05-04", "10:30").hour == 10
    with pytest.raises(ValidationFailed) as exc:
        compose.parse_local("", "10:30")
    assert exc.value.field == "scheduled_at"


def test_shorten_links_adds_utm_and_names_a_missing_link(session, team):
    from models import Link

    owner, ws, _, _ = team
    out = compose.shorten_links(session, owner.id, ws.id, "Read https://example.com/a?x=1 now",
                                "bluesky", "social", "")
    assert "https://example.com" not in out and "/l/" in out
    link = session.exec(select(Link).where(Link.workspace_id == ws.id)).one()
    assert "utm_source=bluesky" in link.destination and "utm_campaign" not in link.destination
    with pytest.raises(ValidationFailed) as exc:
        compose.shorten_links(session, owner.id, ws.id, "no links here", "", "", "")
    assert exc.value.field == "links"


def test_snippet_choices_and_assist_reason(session, team):
    from app.services.planning import snippets

    owner, ws, _, _ = team
    snippets.save(session, owner.id, ws.id, "hashtags", "Launch", "#launch #quillcast")
    assert compose.snippet_choices(session, owner.id, ws.id)[0]["body"] == "#launch #quillcast"
    assert "AI_BASE_URL" in compose.assist_unavailable_reason()


def test_split_thread_uses_the_strictest_thread_network():
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    parts, limit, name = compose.split_thread(text, [("matrix", None), ("bluesky", None)])
    assert name == "Bluesky" and limit == 300 and len(parts) > 1
    assert all(compose_checks.count_for("bluesky", p) <= 300 for p in parts)
    assert parts[0].endswith(f"(1/{len(parts)})")
    with pytest.raises(ValidationFailed) as exc:
        compose.split_thread(text, [("linkedin", None)])
    assert exc.value.field == "thread"


def test_a_post_from_an_idea_starts_with_its_text_and_uses_it(session, team):
    from app.services.planning import ideas
    from models import Idea

    owner, ws, bsky, _ = team
    idea = ideas.add(session, owner.id, ws.id, "Behind the scenes", "Show the <b>studio</b> desk")
    session.commit()
    text = compose.idea_text(session, owner.id, ws.id, idea.id)
    assert text == "Behind the scenes\n\nShow the <b>studio</b> desk"
    post_id, _ = compose.save(session, owner.id, ws.id, None, text, {str(bsky.id): None}, "", idea_id=idea.id)
    session.commit()
    used = session.get(Idea, idea.id)
    assert used is not None and used.status == "used" and str(used.post_id) == post_id
    other = make_workspace(session, owner=owner)
    with pytest.raises(NotFound):
        compose.idea_text(session, owner.id, other.id, idea.id)


# --- the rules the composer's state used to decide, now one call for the state, the API and MCP ---------
def _choices(session, owner, ws):
    return compose.channel_choices(session, owner.id, ws.id)


def test_check_targets_gives_each_channel_its_own_text_or_the_posts(session, team):
    owner, ws, bsky, matrix = team
    checks = compose_checks.check_targets(_choices(session, owner, ws), [str(matrix.id), str(bsky.id)],
                                          "x" * 312, {str(matrix.id): "Room only"}, 0)
    assert [c.name for c in checks] == ["Room", "Sky"]  # in the order chosen
    room, sky = checks
    assert room.own and room.text == "Room only" and room.problems == []
    assert not sky.own and sky.text == "x" * 312 and sky.over
    assert any("Bluesky allows 300 characters" in p for p in sky.problems)
    # Too many images is a problem of the channel whose network limits them.
    many = compose_checks.check_targets(_choices(session, owner, ws), [str(bsky.id)], "hi", {}, 6)
    assert many[0].problems == ["Bluesky allows 4 image(s) per post; this post has 6 — remove 2"]
    # A channel that is not among the choices (e.g. needs reconnecting) gets no card.
    assert compose_checks.check_targets([], [str(bsky.id)], "hi", {}, 0) == []


def test_strictest_and_thread_counts_follow_the_lowest_limit_that_posts_threads(session, team):
    owner, ws, bsky, matrix = team
    checks = compose_checks.check_targets(_choices(session, owner, ws), [str(matrix.id), str(bsky.id)],
                                          "hello", {}, 0)
    assert compose_checks.strictest(checks).name == "Sky"
    counted = compose_checks.count_thread(checks, ["👩‍👩‍👧 two", "three"])
    assert counted.channel_name == "Sky" and counted.limit == 300 and counted.counts == [5, 5]
    nothing = compose_checks.count_thread([], ["abc"])
    assert nothing == compose_checks.ThreadCount("", [3], 0)  # no thread network: plain length, no limit
    page = make_channel(session, ws, "linkedin", name="Page")
    parts = compose_checks.thread_for_save(_choices(session, owner, ws), [str(page.id), str(bsky.id)],
                                           ["part 2"])
    assert parts == {str(bsky.id): ["part 2"]}  # only channels that post threads get the parts
    assert compose_checks.thread_for_save(_choices(session, owner, ws), [str(bsky.id)], []) == {}


def test_autosave_only_for_a_valid_draft():
    assert compose_checks.may_autosave("", ["c"], "hi")
    assert compose_checks.may_autosave("changes_requested", ["c"], "hi")
    assert not compose_checks.may_autosave("scheduled", ["c"], "hi")  # changes only on a button press
    assert not compose_checks.may_autosave("draft", [], "hi")
    assert not compose_checks.may_autosave("draft", ["c"], "   ")
    assert not compose_checks.may_autosave("draft", ["c"], "z" * 100_000)
    assert compose_checks.body_problem("z" * 100_000).startswith("this text has 100,000 characters")
    assert compose_checks.body_problem("fine") == ""


def test_buttons_per_role_and_what_is_said_after():
    editor = compose_checks.actions({"post:schedule", "post:approve"}, "awaiting_approval")
    assert editor.schedule and editor.publish_now and not editor.submit and editor.approve
    contributor = compose_checks.actions({"post:submit"}, "draft")
    assert contributor.submit and not contributor.schedule and not contributor.approve and contributor.save
    assert not compose_checks.actions({"post:approve"}, "draft").approve
    assert compose_checks.done_message("awaiting_approval", published=True) == "Submitted for approval"
    assert compose_checks.done_message("scheduled", published=False) == "Scheduled"
    assert compose_checks.done_message("publishing", published=True) == "Publishing now"


def test_schedule_refuses_naming_the_channels_whose_network_objects(session, team):
    owner, ws, bsky, matrix = team
    post_id, _ = compose.save(session, owner.id, ws.id, None, "x" * 312,
                              {str(bsky.id): None, str(matrix.id): "fits the room"}, "")
    session.commit()
    with pytest.raises(ValidationFailed) as exc:
        compose.schedule(session, owner.id, ws.id, uuid.UUID(post_id), day="2030-05-04", clock="10:30",
                         timezone="Europe/Berlin")
    assert exc.value.field == "form"
    assert exc.value.message == "Not scheduled: fix the problems shown for Sky."
    session.rollback()
    rows = session.exec(select(PostTarget).where(PostTarget.post_id == uuid.UUID(post_id))).all()
    assert {r.status for r in rows} == {"draft"}


def test_schedule_and_publish_now_return_the_new_status_and_version(session, team):
    from datetime import UTC, datetime

    owner, ws, bsky, matrix = team
    post_id, v1 = compose.save(session, owner.id, ws.id, None, "Launch", {str(bsky.id): None}, "")
    session.commit()
    status, v2 = compose.schedule(session, owner.id, ws.id, uuid.UUID(post_id), day="2030-05-04",
                                  clock="10:30", timezone="Europe/Berlin")
    session.commit()
    assert status == "scheduled" and v2 != v1
    data = compose.load(session, owner.id, ws.id, uuid.UUID(post_id))
    assert data["updated_at"] == v2  # the tab keeps saving without "changed in another tab"
    target = session.exec(select(PostTarget).where(PostTarget.post_id == uuid.UUID(post_id))).one()
    assert target.scheduled_at == datetime(2030, 5, 4, 8, 30, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as exc:  # a time that is not there names the schedule field
        compose.schedule(session, owner.id, ws.id, uuid.UUID(post_id), day="", clock="10:30")
    assert exc.value.field == "scheduled_at"
    session.rollback()
    other, _ = compose.save(session, owner.id, ws.id, None, "Now", {str(matrix.id): None}, "")
    session.commit()
    status, _ = compose.schedule(session, owner.id, ws.id, uuid.UUID(other), publish_now=True)
    assert status == "publishing"


def test_schedule_asks_which_reading_of_a_dst_gap(session, team):
    owner, ws, bsky, _ = team
    post_id, _ = compose.save(session, owner.id, ws.id, None, "Clocks change", {str(bsky.id): None}, "")
    session.commit()
    with pytest.raises(ValidationFailed) as exc:
        compose.schedule(session, owner.id, ws.id, uuid.UUID(post_id), day="2030-03-31", clock="02:30",
                         timezone="Europe/Berlin")
    assert [p.code for p in exc.value.problems] == ["dst_gap"]
    session.rollback()
    status, _ = compose.schedule(session, owner.id, ws.id, uuid.UUID(post_id), day="2030-03-31",
                                 clock="02:30", timezone="Europe/Berlin", fold=1)
    assert status == "scheduled"


def test_a_contributor_schedules_by_submitting_for_approval(session, team):
    _, ws, bsky, _ = team
    writer = make_user(session)
    session.add(Membership(workspace_id=ws.id, user_id=writer.id, role="contributor"))
    session.commit()
    post_id, _ = compose.save(session, writer.id, ws.id, None, "Please approve", {str(bsky.id): None}, "")
    session.commit()
    status, _ = compose.schedule(session, writer.id, ws.id, uuid.UUID(post_id), day="2030-06-01",
                                 clock="09:00", timezone="Europe/Berlin")
    assert status == "awaiting_approval"
    assert compose_checks.done_message(status, published=False) == "Submitted for approval"


def test_assist_shortens_for_the_strictest_chosen_network(session, team, monkeypatch):
    from app.services.planning import assist

    owner, ws, bsky, matrix = team
    asked = {}

    def shorten(text, network, limit, count):
        asked.update(network=network, limit=limit, counted=count("👩‍👩‍👧"))
        return "short"

    monkeypatch.setattr(assist, "shorten", shorten)
    checks = compose_checks.check_targets(_choices(session, owner, ws), [str(matrix.id), str(bsky.id)],
                                          "a long text", {}, 0)
    assert compose.assist_text("shorten", "a long text", "", checks) == "short"
    assert asked == {"network": "bluesky", "limit": 300, "counted": 1}  # counted as Bluesky counts
    monkeypatch.setattr(assist, "hashtags", lambda text: ["#a", "#b"])
    assert compose.assist_text("hashtags", "Hi ", "", checks) == "Hi\n\n#a #b"
    assert compose.assist_text("shorten", "as is", "", []) == "as is"  # no channel chosen: nothing to fit


def test_next_free_slot_is_the_latest_of_the_chosen_channels(session, team):
    from datetime import time

    from app.services.planning import timeslots

    owner, ws, bsky, matrix = team
    timeslots.set_slots(session, owner.id, bsky.id, [timeslots.SlotInput(0, time(9))], "Europe/Berlin")
    timeslots.set_slots(session, owner.id, matrix.id, [timeslots.SlotInput(2, time(18))], "Europe/Berlin")
    session.commit()
    day, clock = compose.next_free_slot(session, owner.id, ws.id, [str(bsky.id), str(matrix.id)],
                                        "Europe/Berlin")
    sky_day, sky_clock = compose.next_free_slot(session, owner.id, ws.id, [str(bsky.id)], "Europe/Berlin")
    room_day, room_clock = compose.next_free_slot(session, owner.id, ws.id, [str(matrix.id)],
                                                  "Europe/Berlin")
    assert (day, clock) == max((sky_day, sky_clock), (room_day, room_clock))
    assert sky_clock == "09:00" and room_clock == "18:00"
    with pytest.raises(ValidationFailed) as exc:
        compose.next_free_slot(session, owner.id, ws.id, [], "Europe/Berlin")
    assert exc.value.field == "targets"
