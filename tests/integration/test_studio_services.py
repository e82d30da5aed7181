"""Short links, snippets, ideas and the iCal feed, as a writer and a team use them."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import delete
from sqlmodel import select

from app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.services.planning import ical, ideas, links, snippets
from models import Link, Membership
from tests.factories import make_channel, make_target, make_user, make_workspace


@pytest.fixture()
def team(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    viewer = make_user(session)
    session.add(Membership(workspace_id=ws.id, user_id=viewer.id, role="viewer"))
    session.commit()
    return owner, viewer, ws


# --- short links -------------------------------------------------------------------------------

def test_short_link_adds_utm_and_counts_clicks(session, team):
    owner, _, ws = team
    link = links.shorten(session, owner.id, ws.id, "https://example.com/launch?ref=x&utm_source=old",
                         {"utm_source": "quillcast", "utm_campaign": "spring 🌱"})
    session.commit()
    query = parse_qs(urlsplit(link.destination).query)
    assert query == {"ref": ["x"], "utm_source": ["quillcast"], "utm_campaign": ["spring 🌱"]}

    assert links.follow(session, link.code, referrer="https://bsky.app/profile/x?secret=1") == link.destination
    links.follow(session, link.code)
    session.commit()
    session.refresh(link)
    assert link.clicks == 2


def test_same_destination_keeps_one_code(session, team):
    owner, _, ws = team
    a = links.shorten(session, owner.id, ws.id, "https://example.com/a")
    b = links.shorten(session, owner.id, ws.id, "https://example.com/a")
    assert a.code == b.code


def test_urls_in_text_become_short_links(session, team):
    owner, _, ws = team
    text = "New post: https://example.com/blog/1. And https://example.com/blog/2!"
    out = links.shorten_text(session, owner.id, ws.id, text, "https://q.example")
    session.commit()
    codes = [c for c in out.split() if c.startswith("https://q.example/l/")]
    assert len(codes) == 2 and out.endswith("!")
    assert links.shorten_text(session, owner.id, ws.id, out, "https://q.example") == out  # idempotent


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "ftp://x.org/f", "https://", "https://exa mple.com",
                                 "https://example.com/" + "a" * 3000])
def test_bad_urls_are_refused_naming_the_field(session, team, url):
    owner, _, ws = team
    with pytest.raises(ValidationFailed) as err:
        links.shorten(session, owner.id, ws.id, url)
    assert err.value.field == "url"


def test_unknown_utm_field_is_named(session, team):
    owner, _, ws = team
    with pytest.raises(ValidationFailed) as err:
        links.shorten(session, owner.id, ws.id, "https://example.com", {"utm_evil": "x"})
    assert err.value.field == "utm_evil"


@pytest.mark.parametrize("code", ["nope", "'; DROP TABLE links;--", "Zz9" + "x" * 4])
def test_unknown_code_is_not_found(session, code):
    with pytest.raises(NotFound):
        links.follow(session, code)


def test_viewer_cannot_make_links(session, team):
    _, viewer, ws = team
    with pytest.raises(PermissionDenied):
        links.shorten(session, viewer.id, ws.id, "https://example.com")
    assert session.exec(select(Link).where(Link.workspace_id == ws.id)).all() == []


# --- snippets and hashtag groups -----------------------------------------------------------------

def test_hashtag_group_is_saved_tidy(session, team):
    owner, _, ws = team
    group = snippets.save(session, owner.id, ws.id, "hashtags", "  Launch   day ", "#launch #ship #launch #日本")
    session.commit()
    assert (group.name, group.body) == ("Launch day", "#launch #ship #日本")
    assert [s.name for s in snippets.list_for(session, owner.id, ws.id, "hashtags")] == ["Launch day"]


def test_hashtag_group_refuses_a_non_tag(session, team):
    owner, _, ws = team
    with pytest.raises(ValidationFailed, match="'<b>x</b>' is not a hashtag") as err:
        snippets.save(session, owner.id, ws.id, "hashtags", "Bad", "#ok <b>x</b>")
    assert err.value.field == "body"


def test_duplicate_name_is_a_conflict(session, team):
    owner, _, ws = team
    snippets.save(session, owner.id, ws.id, "snippet", "Sign-off", "— the team")
    session.commit()
    with pytest.raises(Conflict) as err:
        snippets.save(session, owner.id, ws.id, "snippet", "Sign-off", "another")
    assert err.value.field == "name"
    assert len(snippets.list_for(session, owner.id, ws.id, "snippet")) == 1  # the first one is kept


# --- ideas ----------------------------------------------------------------------------------------

def test_ideas_board_add_edit_archive(session, team):
    owner, viewer, ws = team
    idea = ideas.add(session, owner.id, ws.id, "  Behind the scenes ", "<script>x</script> photos")
    session.commit()
    assert [i.title for i in ideas.board(session, viewer.id, ws.id)] == ["Behind the scenes"]
    ideas.edit(session, owner.id, ws.id, idea.id, "BTS video", "")
    ideas.archive(session, owner.id, ws.id, idea.id)
    session.commit()
    assert ideas.board(session, owner.id, ws.id) == []
    assert [i.title for i in ideas.board(session, owner.id, ws.id, "archived")] == ["BTS video"]


@pytest.mark.parametrize("title,field", [("", "title"), ("x" * 201, "title")])
def test_bad_idea_names_the_field(session, team, title, field):
    owner, _, ws = team
    with pytest.raises(ValidationFailed) as err:
        ideas.add(session, owner.id, ws.id, title)
    assert err.value.field == field


# --- iCal feed --------------------------------------------------------------------------------------

def test_ical_feed_lists_the_schedule_until_revoked(session, team):
    owner, _, ws = team
    ch = make_channel(session, ws, "bluesky", name="Ada main")
    when = datetime.now(UTC) + timedelta(days=2)
    target = make_target(session, ch, scheduled_at=when, body="Launch 🚀 day")
    token = ical.create_feed(session, owner.id, ws.id)
    session.commit()

    cal = Calendar.from_ical(ical.render(session, token))
    (event,) = cal.walk("VEVENT")
    assert str(event["summary"]) == "Bluesky · Ada main: Launch 🚀 day"
    assert str(event["uid"]) == f"{target.id}@quillcast"
    assert event.decoded("dtstart") == when.replace(microsecond=0) or event.decoded("dtstart") == when

    ical.revoke_feeds(session, owner.id, ws.id)
    session.commit()
    with pytest.raises(NotFound):
        ical.render(session, token)


def test_a_new_feed_revokes_the_old_one(session, team):
    owner, _, ws = team
    first = ical.create_feed(session, owner.id, ws.id)
    second = ical.create_feed(session, owner.id, ws.id)
    session.commit()
    with pytest.raises(NotFound):
        ical.render(session, first)
    assert ical.render(session, second).startswith(b"BEGIN:VCALENDAR")


def test_feed_stops_when_its_owner_leaves_the_workspace(session, team):
    _, viewer, ws = team
    token = ical.create_feed(session, viewer.id, ws.id)
    session.commit()
    session.exec(delete(Membership).where(Membership.user_id == viewer.id))
    session.commit()
    with pytest.raises(NotFound):
        ical.render(session, token)
