"""RSS feeds end to end over real HTTP: a stdlib feed server on loopback (tests/peers/feed_server.py)
serves RSS 2.0 and Atom written here; polls make posts through the posts service, once each, honour
ETag / 304, back off on errors, and refuse private addresses in production. Workspace actions run under
the acting member's claims (RLS on)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.api.main import create_api
from app.core import db
from app.core.config import get_settings
from app.core.db import session_scope, user_claims
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.planning import links, rss_feeds, rss_poll
from app.services.planning.rss_feeds import FeedInput
from models import Membership, Post, PostTarget, RssFeed, TimeSlot
from models.base import utcnow
from tests.accounts_support import access_token_for
from tests.factories import make_channel, make_user, make_workspace
from tests.peers.feed_server import Answer, FeedServer, atom, rss


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    s = FeedServer().start()
    yield s
    s.stop()


@pytest.fixture()
def team(session):
    owner, viewer = make_user(session), make_user(session, display_name="Vera")
    ws = make_workspace(session, owner=owner, timezone="Europe/Paris")
    session.add(Membership(workspace_id=ws.id, user_id=viewer.id, role="viewer"))
    session.commit()
    channel = make_channel(session, ws, "mastodon")
    return owner, viewer, ws, channel


def _as(user):
    return session_scope(user_claims(user.id))


def _follow(owner, ws, channel, url: str, **kw) -> RssFeed:
    with _as(owner) as s:
        feed = rss_feeds.create(s, owner.id, ws.id, FeedInput(url=url, channel_ids=[str(channel.id)], **kw))
        s.expunge(feed)
    return feed


def _poll(owner, ws, feed) -> rss_poll.PollResult:
    with _as(owner) as s:
        return rss_poll.poll_now(s, owner.id, ws.id, feed.id)


def _bodies(ws) -> list[str]:
    with db.session_scope() as s:
        return [p.body for p in s.exec(select(Post).where(Post.workspace_id == ws.id)
                                       .order_by(Post.created_at)).all()]


def _feed(feed) -> RssFeed:
    with db.session_scope() as s:
        row = s.get(RssFeed, feed.id)
        s.expunge(row)
    return row


ITEMS = [("post-3", "Third post", "Newest &lt;b&gt;news&lt;/b&gt;"), ("post-2", "Second post", "Older"),
         ("post-1", "First post", "Oldest")]


def test_first_poll_takes_the_newest_item_and_a_second_poll_adds_nothing(server, team):
    owner, _, ws, channel = team
    server.answers["/blog.xml"] = Answer(rss("The Blog", ITEMS))
    feed = _follow(owner, ws, channel, server.url("/blog.xml"), template="{title}: {summary} {link}")
    assert _poll(owner, ws, feed).new_posts == 1
    assert _poll(owner, ws, feed).new_posts == 0
    bodies = _bodies(ws)
    assert bodies == ["Third post: Newest news https://blog.example.com/post-3?utm_source=quillcast"
                      "&utm_medium=social&utm_campaign=rss"]
    row = _feed(feed)
    assert row.title == "The Blog" and row.last_error is None and row.last_polled_at is not None
    # A new item appears: one more post, the old ones stay single.
    server.answers["/blog.xml"] = Answer(rss("The Blog", [("post-4", "Fourth post", "Fresh")] + ITEMS))
    assert _poll(owner, ws, feed).new_posts == 1
    assert _poll(owner, ws, feed).new_posts == 0
    assert [b.split(":")[0] for b in _bodies(ws)] == ["Third post", "Fourth post"]
    with db.session_scope() as s:
        assert {p.status for p in s.exec(select(Post).where(Post.workspace_id == ws.id)).all()} == {"draft"}


def test_etag_is_sent_back_and_304_changes_nothing(server, team):
    owner, _, ws, channel = team
    server.answers["/etag.xml"] = Answer(rss("E", ITEMS[1:]), etag='"v1"', last_modified="Tue, 01 Dec 2026 10:00:00 GMT")
    feed = _follow(owner, ws, channel, server.url("/etag.xml"))
    assert _poll(owner, ws, feed).status == "new"
    assert _poll(owner, ws, feed).status == "unchanged"
    sent = [h for path, h in server.requests if path == "/etag.xml"]
    assert "if-none-match" not in sent[0]
    assert sent[1]["if-none-match"] == '"v1"'
    assert sent[1]["if-modified-since"] == "Tue, 01 Dec 2026 10:00:00 GMT"
    assert len(_bodies(ws)) == 1


def test_atom_feed_queued_into_the_next_free_slot(server, team, session):
    owner, _, ws, channel = team
    session.add(TimeSlot(channel_id=channel.id, workspace_id=ws.id, weekday=0, local_time=__import__(
        "datetime").time(9, 0), timezone="Europe/Paris"))
    session.commit()
    server.answers["/atom.xml"] = Answer(atom("Atom blog", [
        ("urn:2", "Later entry", "https://news.example.org/2", "2026-12-02T10:00:00Z"),
        ("urn:1", "Earlier entry", "https://news.example.org/1", "2026-12-01T10:00:00Z"),
    ]), content_type="application/atom+xml")
    feed = _follow(owner, ws, channel, server.url("/atom.xml"), mode="queue", template="{title} {link}")
    assert _poll(owner, ws, feed).new_posts == 1
    with db.session_scope() as s:
        target = s.exec(select(PostTarget).where(PostTarget.channel_id == channel.id)).one()
        assert target.status == "scheduled" and target.scheduled_at > utcnow()
        post = s.get(Post, target.post_id)
        assert post.body.startswith("Later entry https://news.example.org/2?utm_source=quillcast")


def test_a_broken_feed_shows_its_error_backs_off_and_stays(server, team):
    owner, _, ws, channel = team
    server.answers["/broken.xml"] = Answer(b"oops", 500, content_type="text/plain")
    feed = _follow(owner, ws, channel, server.url("/broken.xml"))
    result = _poll(owner, ws, feed)
    assert result.status == "error" and result.error == "the feed answered 500"
    first = _feed(feed)
    assert first.failures == 1 and first.next_poll_at - first.last_polled_at == timedelta(minutes=30)
    with db.session_scope() as s:
        line = rss_feeds.status_line(s, first)
    assert line.startswith("the feed answered 500 at ") and "; trying again at " in line
    with db.session_scope() as s:  # not due again before its backoff
        assert feed.id not in rss_poll.due(s)
    server.answers["/broken.xml"] = Answer(b"<rss><channel><item><title>unclosed")
    assert "not a valid RSS or Atom feed" in (_poll(owner, ws, feed).error or "")
    second = _feed(feed)
    assert second.failures == 2 and second.next_poll_at - second.last_polled_at == timedelta(hours=1)
    assert second.active and _bodies(ws) == []
    server.answers["/broken.xml"] = Answer(rss("Fixed", ITEMS))
    assert _poll(owner, ws, feed).new_posts == 1
    healed = _feed(feed)
    assert healed.failures == 0 and healed.last_error is None


def test_beat_polls_due_feeds_only(server, team):
    owner, _, ws, channel = team
    server.answers["/due.xml"] = Answer(rss("D", ITEMS))
    feed = _follow(owner, ws, channel, server.url("/due.xml"))
    counts = rss_poll.poll_due(db.session_scope)
    assert counts["polled"] >= 1 and _feed(feed).last_polled_at is not None
    assert len(_bodies(ws)) == 1
    rss_poll.poll_due(db.session_scope)  # not due again for POLL_EVERY
    assert len(_bodies(ws)) == 1


def test_private_address_refused_in_production(team, monkeypatch):
    owner, _, ws, channel = team
    monkeypatch.setattr(get_settings(), "environment", "production")
    monkeypatch.setattr(get_settings(), "allow_private_endpoints", None)
    with pytest.raises(ValidationFailed, match="private address") as err, _as(owner) as s:
        rss_feeds.create(s, owner.id, ws.id, FeedInput(url="http://127.0.0.1:9/feed.xml",
                                                       channel_ids=[str(channel.id)]))
    assert err.value.field == "url"


def test_viewer_reads_but_cannot_add(server, team):
    owner, viewer, ws, channel = team
    _follow(owner, ws, channel, server.url("/viewer.xml"))
    with _as(viewer) as s:
        assert len(rss_feeds.list_feeds(s, viewer.id, ws.id)) == 1
    with pytest.raises(PermissionDenied), _as(viewer) as s:
        rss_feeds.create(s, viewer.id, ws.id, FeedInput(url=server.url("/other.xml"),
                                                        channel_ids=[str(channel.id)]))


def test_template_errors_name_the_field_and_excerpt_is_trimmed():
    with pytest.raises(ValidationFailed, match=r"\{body\} is not a placeholder"):
        rss_feeds.check_template("{body} {link}")
    for bad in ("{title:>99999999}", "{title!r}", "{title.__class__}", "{0}", "{title"):
        with pytest.raises(ValidationFailed) as err:
            rss_feeds.check_template(bad)
        assert err.value.field == "template"
    text = rss_feeds.render("{title}\n{summary}\n{link}", "T", "https://x.test/a", "word " * 200, 60)
    assert len(text) <= 60 and text.endswith("…\nhttps://x.test/a")


def test_rest_routes(server, team):
    owner, viewer, ws, channel = team
    server.answers["/api.xml"] = Answer(rss("API", ITEMS))
    api = TestClient(create_api())
    base = f"/api/workspaces/{ws.id}/rss-feeds"
    auth = {"Authorization": f"Bearer {access_token_for(owner.id)}"}
    made = api.post(base, headers=auth, json={"url": server.url("/api.xml"), "channel_ids": [str(channel.id)],
                                              "mode": "delay", "delay_minutes": 90})
    assert made.status_code == 201, made.text
    fid = made.json()["id"]
    polled = api.post(f"{base}/{fid}/poll", headers=auth).json()
    assert polled["result"] == "new" and polled["new_posts"] == 1
    paused = api.patch(f"{base}/{fid}", headers=auth, json={"active": False}).json()
    assert paused["active"] is False and paused["status"].startswith("paused")
    bad = api.patch(f"{base}/{fid}", headers=auth, json={"template": "{nope}"})
    assert bad.status_code == 422 and "template" in bad.text
    viewer_auth = {"Authorization": f"Bearer {access_token_for(viewer.id)}"}
    assert api.get(base, headers=viewer_auth).status_code == 200
    assert api.post(base, headers=viewer_auth, json={"url": server.url("/x.xml"),
                                                     "channel_ids": [str(channel.id)]}).status_code == 403
    assert api.delete(f"{base}/{fid}", headers=auth).status_code == 204
    assert api.get(base, headers=auth).json() == []
    with db.session_scope() as s:
        target = s.exec(select(PostTarget).where(PostTarget.channel_id == channel.id)).one()
        assert target.status == "scheduled"


def test_another_workspace_sees_no_feed_rows(server, team, session):
    owner, _, ws, channel = team
    feed = _follow(owner, ws, channel, server.url("/rls.xml"))
    stranger = make_user(session)
    make_workspace(session, owner=stranger)
    with _as(stranger) as s:
        assert s.get(RssFeed, feed.id) is None
        with pytest.raises(NotFound):  # not a member: the workspace does not exist for them
            rss_feeds.list_feeds(s, stranger.id, ws.id)


def test_a_contributors_feed_queues_posts_for_approval(server, team, session):
    owner, _, ws, channel = team
    writer = make_user(session, display_name="Cora")
    session.add(Membership(workspace_id=ws.id, user_id=writer.id, role="contributor"))
    session.commit()
    server.answers["/contrib.xml"] = Answer(rss("C", ITEMS))
    feed = _follow(writer, ws, channel, server.url("/contrib.xml"), mode="delay", delay_minutes=30)
    assert _poll(writer, ws, feed).new_posts == 1
    with db.session_scope() as s:
        post = s.exec(select(Post).where(Post.workspace_id == ws.id)).one()
        assert post.author_id == writer.id and post.status == "awaiting_approval"


def test_a_feed_that_now_resolves_privately_is_refused_at_read_time(server, team, monkeypatch):
    owner, _, ws, channel = team
    server.answers["/later.xml"] = Answer(rss("L", ITEMS))
    feed = _follow(owner, ws, channel, server.url("/later.xml"))  # allowed outside production
    monkeypatch.setattr(get_settings(), "environment", "production")
    monkeypatch.setattr(get_settings(), "allow_private_endpoints", None)
    before = len(server.requests)
    result = _poll(owner, ws, feed)
    assert result.status == "error" and "private address (127.0.0.1)" in (result.error or "")
    assert len(server.requests) == before and _bodies(ws) == [] and _feed(feed).active


def test_a_workspace_that_uses_short_links_gets_them_in_feed_posts(server, team):
    owner, _, ws, channel = team
    with _as(owner) as s:
        links.shorten(s, owner.id, ws.id, "https://example.com/earlier")
    server.answers["/short.xml"] = Answer(rss("S", ITEMS))
    feed = _follow(owner, ws, channel, server.url("/short.xml"), template="{title} {link}")
    assert _feed(feed).short_links
    _poll(owner, ws, feed)
    body = _bodies(ws)[0]
    code = body.rsplit("/l/", 1)[1]
    with db.session_scope() as s:
        assert links.follow(s, code) == ("https://blog.example.com/post-3?utm_source=quillcast&utm_medium=social"
                                         "&utm_campaign=rss")
