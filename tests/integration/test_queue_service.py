"""The queue overview and slot changes as one service call (what the Queue page shows, callable by the API
and MCP alike) against real PostgreSQL: each channel's slots, next free slot and upcoming targets, with
one query per kind however many channels there are."""

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import event

from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.planning import queue, timeslots
from models import Membership
from tests.factories import make_channel, make_target, make_user, make_workspace

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)  # a Tuesday


@pytest.fixture()
def team(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner, timezone="Europe/Paris")
    sky = make_channel(session, ws, "bluesky", name="Sky")
    room = make_channel(session, ws, "matrix", name="Room")
    return owner, ws, sky, room


def _slots(session, owner, channel, *slots):
    timeslots.set_slots(session, owner.id, channel.id, [timeslots.SlotInput(w, t) for w, t in slots],
                        "Europe/Paris")
    session.commit()


def test_overview_gives_each_channel_its_slots_next_free_time_and_upcoming(session, team):
    owner, ws, sky, room = team
    _slots(session, owner, sky, (2, time(18)), (0, time(9)))
    # Wednesday 18:00 Paris is taken by a scheduled target: the next free slot is Monday 09:00.
    make_target(session, sky, scheduled_at=datetime(2027, 6, 2, 16, tzinfo=UTC), body="taken <i>slot</i>")
    make_target(session, sky, scheduled_at=datetime(2027, 6, 3, 7, tzinfo=UTC), body="later", status="queued")
    out = {q.name: q for q in queue.overview(session, owner.id, ws.id, now=NOW)}
    assert set(out) == {"Sky", "Room"}
    assert out["Sky"].slots == [(0, time(9)), (2, time(18))]  # weekday order
    assert out["Sky"].next_free == datetime(2027, 6, 7, 7, tzinfo=UTC)  # Mon 09:00 CEST
    assert out["Sky"].network_label == "Bluesky" and out["Sky"].network == "bluesky"
    assert [(u["text"], u["status"]) for u in out["Sky"].upcoming] == [("taken <i>slot</i>", "scheduled"),
                                                                       ("later", "queued")]
    # No slots: no next free time and no reason (the page says "add a slot").
    assert out["Room"].slots == [] and out["Room"].next_free is None and out["Room"].no_free_reason == ""
    assert out["Room"].upcoming == []


def test_a_full_queue_says_why_there_is_no_free_slot(session, team, monkeypatch):
    owner, ws, sky, _ = team
    _slots(session, owner, sky, (2, time(18)))
    make_target(session, sky, scheduled_at=datetime(2027, 6, 2, 16, tzinfo=UTC))
    monkeypatch.setattr(timeslots, "QUEUE_HORIZON_DAYS", 7)  # one week of slots, and it is taken
    [entry] = [q for q in queue.overview(session, owner.id, ws.id, now=NOW) if q.name == "Sky"]
    assert entry.next_free is None and "is taken" in entry.no_free_reason


def test_overview_reads_all_channels_with_a_fixed_number_of_queries(session, team):
    owner, ws, sky, room = team
    _slots(session, owner, sky, (0, time(9)))
    _slots(session, owner, room, (1, time(9)))
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        queue.overview(session, owner.id, ws.id, now=NOW)
        two = len(statements)
        for i in range(5):
            extra = make_channel(session, ws, "bluesky", name=f"Extra {i}")
            _slots(session, owner, extra, (i, time(10)))
        statements.clear()
        seven = queue.overview(session, owner.id, ws.id, now=NOW)
        assert len(seven) == 7
        assert len(statements) == two  # not one query (or three) per channel
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_overview_needs_membership(session, team):
    _, ws, _, _ = team
    stranger = make_user(session)
    with pytest.raises((NotFound, PermissionDenied)):
        queue.overview(session, stranger.id, ws.id, now=NOW)


def test_slots_are_added_and_removed_one_at_a_time(session, team):
    owner, ws, sky, _ = team
    _slots(session, owner, sky, (0, time(9)))
    assert queue.change_slots(session, owner.id, ws.id, sky.id, "Europe/Paris",
                              add=(2, time(18, 30))) == [(0, time(9)), (2, time(18, 30))]
    assert queue.change_slots(session, owner.id, ws.id, sky.id, "Europe/Paris", add=(0, time(9))) == [
        (0, time(9)), (2, time(18, 30))]  # adding a slot twice keeps one
    assert queue.change_slots(session, owner.id, ws.id, sky.id, "Europe/Paris",
                              remove=(0, time(9))) == [(2, time(18, 30))]
    session.commit()
    assert [(s.weekday, s.local_time) for s in timeslots.list_slots(session, owner.id, sky.id)] == [
        (2, time(18, 30))]


def test_slot_changes_need_slot_manage_and_a_channel_of_the_workspace(session, team):
    owner, ws, sky, _ = team
    viewer = make_user(session)
    session.add(Membership(workspace_id=ws.id, user_id=viewer.id, role="viewer"))
    session.commit()
    with pytest.raises(PermissionDenied):
        queue.change_slots(session, viewer.id, ws.id, sky.id, "Europe/Paris", add=(0, time(9)))
    session.rollback()
    other = make_workspace(session, owner=owner)
    with pytest.raises(NotFound):
        queue.change_slots(session, owner.id, other.id, sky.id, "Europe/Paris", add=(0, time(9)))
    session.rollback()
    with pytest.raises(ValidationFailed) as exc:
        queue.change_slots(session, owner.id, ws.id, sky.id, "Mars/Olympus", add=(0, time(9)))
    assert exc.value.field == "timezone"


def test_parse_slot_reads_the_forms_fields_or_says_what_to_pick():
    assert queue.parse_slot("2", "09:30") == (2, time(9, 30))
    for weekday, clock in (("", "09:30"), ("2", ""), ("2", "25:00"), ("x", "09:30")):
        with pytest.raises(ValidationFailed, match="pick a weekday and a time"):
            queue.parse_slot(weekday, clock)


def test_next_free_for_several_channels_is_the_latest(session, team):
    owner, ws, sky, room = team
    _slots(session, owner, sky, (2, time(18)))
    _slots(session, owner, room, (0, time(9)))
    assert queue.next_free_for(session, owner.id, ws.id, [sky.id], after=NOW) == datetime(
        2027, 6, 2, 16, tzinfo=UTC)
    assert queue.next_free_for(session, owner.id, ws.id, [sky.id, room.id], after=NOW) == datetime(
        2027, 6, 7, 7, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as exc:
        queue.next_free_for(session, owner.id, ws.id, [], after=NOW)
    assert exc.value.field == "targets"
