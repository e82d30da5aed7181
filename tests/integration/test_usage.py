"""Feature adoption and active people: counted when the real services succeed, readable by admins only."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest

from app.services import usage
from app.services.errors import PermissionDenied
from app.services.identity import sessions
from app.services.operations import adoption
from app.services.planning import compose, ical, links
from tests.factories import make_user, make_workspace


def _uses(a: usage.Adoption) -> dict[str, int]:
    return {f.feature: f.uses for f in a.features}


def test_features_are_counted_when_they_are_used(session):
    owner = make_user(session, email_verified_at=datetime.now(UTC))
    ws = make_workspace(session, owner=owner)
    before = _uses(usage.adoption())

    links.shorten(session, owner.id, ws.id, f"https://example.com/{secrets.token_hex(4)}")
    links.shorten(session, owner.id, ws.id, f"https://example.com/{secrets.token_hex(4)}")
    ical.create_feed(session, owner.id, ws.id)
    compose.split_thread("One sentence. " * 40, [("bluesky", None)])
    session.commit()

    after = usage.adoption()
    uses = _uses(after)
    assert uses["short_link"] == before["short_link"] + 2
    assert uses["ical_feed"] == before["ical_feed"] + 1
    assert uses["thread"] == before["thread"] + 1
    row = next(f for f in after.features if f.feature == "short_link")
    assert row.label == "Short links" and row.days_used >= 1
    assert after.features[0].uses >= after.features[-1].uses  # most used first


def test_people_seen_through_their_sessions_count_once_a_day(session):
    before = usage.adoption().active_today
    people = [make_user(session) for _ in range(3)]
    for person in people:
        token = sessions.create(person.id, "127.0.0.1", "pytest")
        for _ in range(3):  # many requests, one person
            assert sessions.resolve(token) is not None
    assert usage.adoption().active_today == before + 3


def test_only_instance_administrators_read_adoption(session):
    member = make_user(session)
    admin = make_user(session, is_admin=True)
    with pytest.raises(PermissionDenied):
        adoption.adoption_for_admin(session, member.id)
    assert adoption.adoption_for_admin(session, admin.id).days == 30


def test_a_count_never_fails_the_action(monkeypatch):
    def down():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(usage, "get_redis", down)
    usage.record("schedule")  # no exception
    with pytest.raises(ValueError, match="unknown feature"):
        usage.record("no-such-feature")
