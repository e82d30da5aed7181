"""What the calendar shows: a workspace's targets in the visible range, filtered, never another's."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text

from app.services.errors import NotFound, ValidationFailed
from app.services.planning import calendar
from models import Membership
from tests.factories import make_channel, make_target, make_user, make_workspace

START = datetime(2027, 3, 1, tzinfo=UTC)
END = datetime(2027, 4, 1, tzinfo=UTC)


@pytest.fixture()
def world(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    bsky = make_channel(session, ws, "bluesky", name="Studio Bluesky")
    mx = make_channel(session, ws, "matrix", name="Team room")
    return owner, ws, bsky, mx


def test_shows_targets_in_range_with_network_and_status(session, world):
    owner, ws, bsky, mx = world
    inside = make_target(session, bsky, scheduled_at=START + timedelta(days=3, hours=9),
                         body="Spring launch 🌱 — שלום <b>bold</b>")
    make_target(session, mx, scheduled_at=END + timedelta(days=1))  # next month: not shown

    events = calendar.events(session, owner.id, ws.id, START, END)

    assert [e.id for e in events] == [str(inside.id)]
    event = events[0]
    assert event.title == "Spring launch 🌱 — שלום <b>bold</b>"  # text, rendered inert by the UI
    assert event.network == "bluesky" and event.network_label == "Bluesky" and event.channel == "Studio Bluesky"
    assert event.status == "scheduled" and event.editable
    assert event.start == "2027-03-04T09:00:00+00:00"
    # What the browser gets per event: what a cell draws (the network for its mark), nothing more.
    assert event.as_fullcalendar() == {
        "id": str(inside.id), "title": event.title, "start": event.start,
        "borderColor": calendar.STATUS_COLOURS["scheduled"], "startEditable": True, "network": "bluesky",
        "status": "scheduled",
    }


def test_filters_by_channel_and_status(session, world):
    owner, ws, bsky, mx = world
    a = make_target(session, bsky, scheduled_at=START + timedelta(days=1))
    b = make_target(session, mx, scheduled_at=START + timedelta(days=2), status="failed")

    by_channel = calendar.events(session, owner.id, ws.id, START, END, channel_ids=[mx.id])
    by_status = calendar.events(session, owner.id, ws.id, START, END, statuses=["scheduled"])
    assert [e.id for e in by_channel] == [str(b.id)]
    assert [e.id for e in by_status] == [str(a.id)]


def test_filters_by_author(session, world):
    owner, ws, bsky, _ = world
    other = make_user(session)
    session.add(Membership(workspace_id=ws.id, user_id=other.id, role="editor"))
    session.commit()
    mine = make_target(session, bsky, scheduled_at=START + timedelta(days=1), author=owner, body="Mine")
    make_target(session, bsky, scheduled_at=START + timedelta(days=2), author=other, body="Theirs")
    events = calendar.events(session, owner.id, ws.id, START, END, author_id=owner.id)
    assert [(e.id, e.title) for e in events] == [(str(mine.id), "Mine")]


def test_long_text_is_shortened_in_the_title(session, world):
    owner, ws, bsky, _ = world
    make_target(session, bsky, scheduled_at=START + timedelta(days=5), body="word " * 500)
    (event,) = calendar.events(session, owner.id, ws.id, START, END)
    assert len(event.title) == calendar.TITLE_CHARS and event.title.endswith("…")


def test_a_target_variant_text_wins_and_published_time_counts(session, world):
    owner, ws, bsky, mx = world
    make_target(session, bsky, scheduled_at=START + timedelta(days=1), body="Post text")
    variant = make_target(session, mx, scheduled_at=START - timedelta(days=1), body="Post text")
    variant.body, variant.status = "  Room\n\n  variant  ", "published"
    variant.published_at = START + timedelta(days=2)  # published late: shown when it went out
    session.add(variant)
    session.commit()

    events = calendar.events(session, owner.id, ws.id, START, END)
    assert [(e.title, e.network, e.editable) for e in events] == [
        ("Post text", "bluesky", True), ("Room variant", "matrix", False),
    ]


def test_another_workspace_is_not_found(session, world):
    _, ws, _, _ = world
    stranger = make_user(session)
    with pytest.raises(NotFound):
        calendar.events(session, stranger.id, ws.id, START, END)


def test_viewer_may_read(session, world):
    _, ws, bsky, _ = world
    viewer = make_user(session)
    session.add(Membership(workspace_id=ws.id, user_id=viewer.id, role="viewer"))
    session.commit()
    make_target(session, bsky, scheduled_at=START + timedelta(days=1))
    assert len(calendar.events(session, viewer.id, ws.id, START, END)) == 1


@pytest.mark.parametrize("start,end,field", [
    (START, START, "end"),
    (START, START + timedelta(days=400), "end"),
    (START.replace(tzinfo=None), END, "start"),
])
def test_bad_ranges_name_the_field(session, world, start, end, field):
    owner, ws, _, _ = world
    with pytest.raises(ValidationFailed) as err:
        calendar.events(session, owner.id, ws.id, start, end)
    assert err.value.field == field


def test_two_channels_of_one_network_are_told_apart_by_name(session, world):
    owner, ws, bsky, mx = world
    second = make_channel(session, ws, "bluesky", name="Shop Bluesky")
    make_target(session, bsky, scheduled_at=START + timedelta(days=1), body="Same words")
    make_target(session, second, scheduled_at=START + timedelta(days=1), body="Same words")
    make_target(session, mx, scheduled_at=START + timedelta(days=1), body="Same words")
    # the network's mark tells Matrix apart; the two Bluesky accounts need their names
    titles = sorted((e.network, e.title) for e in calendar.events(session, owner.id, ws.id, START, END))
    assert titles == [("bluesky", "Shop Bluesky · Same words"), ("bluesky", "Studio Bluesky · Same words"),
                      ("matrix", "Same words")]


def test_version_changes_with_any_target_of_the_range(session, world):
    """The open calendar reads its range again only when this changes: a status, a move in, a move out."""
    owner, ws, bsky, mx = world
    target = make_target(session, bsky, scheduled_at=START + timedelta(days=3))
    outside = make_target(session, mx, scheduled_at=END + timedelta(days=3))
    seen = [calendar.version(session, owner.id, ws.id, START, END)]

    def changed() -> bool:
        session.commit()
        now = calendar.version(session, owner.id, ws.id, START, END)
        new = now != seen[-1]
        seen.append(now)
        return new

    assert not changed()  # nothing happened
    target.status, target.published_at = "published", START + timedelta(days=3, minutes=1)
    session.add(target)
    assert changed()
    outside.scheduled_at = START + timedelta(days=10)  # a teammate moves one into the range
    session.add(outside)
    assert changed()
    outside.scheduled_at = END + timedelta(days=10)  # and out again
    session.add(outside)
    assert changed()
    make_target(session, bsky, scheduled_at=END + timedelta(days=20))  # another month: not this range
    assert not changed()


def test_version_of_another_workspace_is_not_found(session, world):
    _, ws, _, _ = world
    with pytest.raises(NotFound):
        calendar.version(session, make_user(session).id, ws.id, START, END)


def test_month_query_searches_the_calendar_index(session, world):
    """The month query as the app runs it (the member's claims, Row Level Security on) finds a month's
    targets through ix_post_targets_calendar, not by filtering every target the workspace ever had.
    (An index on coalesce(published_at, scheduled_at) was not used under RLS: the condition counts as
    leaky, so it is checked per row after the policy; hence the stored calendar_at column.)"""
    from app.core.db import get_engine, session_scope, user_claims

    owner, ws, bsky, _ = world
    make_target(session, bsky, scheduled_at=START + timedelta(days=3))
    # Two years of a busy workspace: a month is a small part of it.
    session.execute(text("""
        WITH p AS (
          INSERT INTO posts (id, workspace_id, author_id, body, status, created_at, updated_at)
          SELECT gen_random_uuid(), :w, :a, 'Post ' || g, 'scheduled', now(), now()
          FROM generate_series(1, 6000) g RETURNING id)
        INSERT INTO post_targets (id, workspace_id, post_id, channel_id, options, scheduled_at, status,
                                  attempts, idempotency_key, created_at, updated_at)
        SELECT gen_random_uuid(), :w, p.id, :c, '{}'::jsonb,
               :s + (row_number() OVER ()) * interval '175 minutes', 'scheduled', 0, md5(p.id::text),
               now(), now()
        FROM p"""), {"w": ws.id, "a": owner.id, "c": bsky.id, "s": START - timedelta(days=365)})
    session.commit()
    session.execute(text("ANALYZE post_targets"))
    session.commit()

    statements: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if "post_targets.calendar_at >=" in statement:
            statements.append((statement, params))

    event.listen(get_engine(), "before_cursor_execute", grab)
    try:
        with session_scope(user_claims(owner.id)) as member:
            assert calendar.events(member, owner.id, ws.id, START, END)
            calendar.version(member, owner.id, ws.id, START, END)
    finally:
        event.remove(get_engine(), "before_cursor_execute", grab)
    assert len(statements) == 2
    with session_scope(user_claims(owner.id)) as member:
        for statement, params in statements:
            plan = "\n".join(row[0] for row in member.connection().exec_driver_sql(
                "EXPLAIN " + statement, params).all())
            assert "ix_post_targets_calendar" in plan, plan
