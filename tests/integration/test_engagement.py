"""The metrics sync: which published targets are due, what it stores, and that one failure stops nothing.

Mastodon, X and Bluesky's AppView cannot run here: their answers are the documented response shapes
(docs.joinmastodon.org Status, docs.x.com Tweet public_metrics, docs.bsky.app app.bsky.feed.getPosts),
served by respx. The database, Redis (circuit breaker) and the sync itself are real.
"""

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from sqlmodel import col, select

from app.core import breaker, crypto, db
from app.services.insight import engagement
from models import MetricSnapshot
from tests.factories import make_channel, make_target, make_user, make_workspace

MASTO = "https://mastodon.example"
PDS = "https://pds.example"
X_API = "https://api.x.com"


def creds(network: str) -> str:
    plain = {
        "mastodon": {"instance": MASTO, "access_token": "t"},
        "x": {"access_token": "a", "refresh_token": "r", "expires_at": time.time() + 3600, "client_id": "c"},
        "bluesky": {"service": PDS, "identifier": "ada.example", "app_password": "x", "access_jwt": "a.b.c",
                    "refresh_jwt": "r", "did": "did:plc:ada", "handle": "ada.example"},
        "matrix": {"homeserver": "https://matrix.example", "access_token": "t"},
    }[network]
    return crypto.encrypt(json.dumps(plain))


def published(session, channel, remote_id, now, age, body="Hello"):
    t = make_target(session, channel, scheduled_at=now - age, status="published", body=body)
    t.published_at, t.remote_id = now - age, remote_id
    session.add(t)
    session.commit()
    return t


def snapshots(session, target):
    session.expire_all()
    return session.exec(select(MetricSnapshot).where(MetricSnapshot.target_id == target.id)
                        .order_by(col(MetricSnapshot.taken_at))).all()


@pytest.fixture()
def workspace(session):
    ws = make_workspace(session, owner=make_user(session))
    for network in ("mastodon", "x", "bluesky"):
        breaker.reset(network)
    yield ws
    for network in ("mastodon", "x", "bluesky"):
        breaker.reset(network)


def run_sync(now, batch=500):
    with db.session_scope() as s:
        return engagement.sync(s, batch, now=now)


def test_interval_thins_out_with_age():
    assert engagement.interval_for(timedelta(hours=3)) == timedelta(hours=1)
    assert engagement.interval_for(timedelta(days=3)) == timedelta(hours=6)
    assert engagement.interval_for(timedelta(days=20)) == timedelta(days=1)
    assert engagement.interval_for(timedelta(days=31)) is None


@respx.mock
def test_sync_stores_the_counts_each_network_documents(session, workspace):
    """Documented shapes: Mastodon GET /api/v1/statuses/:id (favourites_count, reblogs_count,
    replies_count); X GET /2/tweets/:id?tweet.fields=public_metrics; Bluesky app.bsky.feed.getPosts."""
    now = datetime(2027, 1, 10, 12, tzinfo=UTC)
    masto = make_channel(session, workspace, "mastodon", credentials=creds("mastodon"))
    x = make_channel(session, workspace, "x", credentials=creds("x"))
    bsky = make_channel(session, workspace, "bluesky", credentials=creds("bluesky"))
    matrix = make_channel(session, workspace, "matrix", credentials=creds("matrix"))
    uri = "at://did:plc:ada/app.bsky.feed.post/3kabc"
    tm = published(session, masto, "1101", now, timedelta(hours=2))
    tx = published(session, x, "1460323737035677698", now, timedelta(hours=2))
    tb = published(session, bsky, uri, now, timedelta(hours=2))
    tmx = published(session, matrix, "$event", now, timedelta(hours=2))

    status = respx.get(f"{MASTO}/api/v1/statuses/1101").respond(200, json={
        "id": "1101", "url": f"{MASTO}/@ada/1101", "content": "<p>Hello</p>",
        "favourites_count": 12, "reblogs_count": 3, "replies_count": 2})
    tweet = respx.get(f"{X_API}/2/tweets/1460323737035677698").respond(200, json={"data": {
        "id": "1460323737035677698", "text": "Hello", "edit_history_tweet_ids": ["1460323737035677698"],
        "public_metrics": {"retweet_count": 4, "reply_count": 1, "like_count": 30, "quote_count": 2,
                           "bookmark_count": 0, "impression_count": 900}}})
    posts = respx.get(f"{PDS}/xrpc/app.bsky.feed.getPosts").respond(200, json={"posts": [{
        "uri": uri, "cid": "bafyrei", "author": {"did": "did:plc:ada", "handle": "ada.example"},
        "record": {"$type": "app.bsky.feed.post", "text": "Hello", "createdAt": "2027-01-10T10:00:00Z"},
        "indexedAt": "2027-01-10T10:00:01Z", "likeCount": 7, "repostCount": 2, "replyCount": 1,
        "quoteCount": 0}]})

    report = run_sync(now)

    assert report.stored >= 3 and report.failed == 0
    assert posts.calls.last.request.url.params["uris"] == uri
    assert tweet.calls.last.request.url.params["tweet.fields"] == "public_metrics"
    assert status.calls.last.request.headers["authorization"] == "Bearer t"
    (m,) = snapshots(session, tm)
    assert (m.likes, m.reposts, m.replies, m.quotes, m.impressions) == (12, 3, 2, None, None)
    (xs,) = snapshots(session, tx)
    assert (xs.likes, xs.reposts, xs.replies, xs.quotes, xs.impressions) == (30, 4, 1, 2, 900)
    assert xs.raw["impression_count"] == 900 and xs.workspace_id == workspace.id
    (b,) = snapshots(session, tb)
    assert (b.likes, b.reposts, b.replies, b.quotes, b.impressions) == (7, 2, 1, 0, None)
    assert snapshots(session, tmx) == []  # Matrix does not report engagement: never asked

    # Right after, nothing is due: the next reading of a two-hour-old post comes an hour later.
    calls = status.call_count
    run_sync(now + timedelta(minutes=10))
    assert status.call_count == calls and len(snapshots(session, tm)) == 1
    run_sync(now + timedelta(minutes=61))
    assert status.call_count == calls + 1 and len(snapshots(session, tm)) == 2


def test_which_targets_are_due_as_they_age(session, workspace):
    now = datetime(2027, 2, 20, 12, tzinfo=UTC)
    ch = make_channel(session, workspace, "mastodon", credentials=creds("mastodon"))
    fresh_never = published(session, ch, "1", now, timedelta(hours=5))
    fresh_read_30m = published(session, ch, "2", now, timedelta(hours=5))
    fresh_read_2h = published(session, ch, "3", now, timedelta(hours=5))
    week_read_3h = published(session, ch, "4", now, timedelta(days=3))
    week_read_7h = published(session, ch, "5", now, timedelta(days=3))
    old_read_20h = published(session, ch, "6", now, timedelta(days=20))
    old_read_25h = published(session, ch, "7", now, timedelta(days=20))
    too_old = published(session, ch, "8", now, timedelta(days=31))
    failed = make_target(session, ch, scheduled_at=now - timedelta(hours=1), status="failed")
    for target, ago in [(fresh_read_30m, timedelta(minutes=30)), (fresh_read_2h, timedelta(hours=2)),
                        (week_read_3h, timedelta(hours=3)), (week_read_7h, timedelta(hours=7)),
                        (old_read_20h, timedelta(hours=20)), (old_read_25h, timedelta(hours=25))]:
        session.add(MetricSnapshot(workspace_id=workspace.id, target_id=target.id, taken_at=now - ago))
    session.commit()

    due = set(engagement.due_targets(session, 500, now))

    assert {fresh_never.id, fresh_read_2h.id, week_read_7h.id, old_read_25h.id} <= due
    assert not {fresh_read_30m.id, week_read_3h.id, old_read_20h.id, too_old.id, failed.id} & due
    # Never-read targets come first, so a small batch reaches new posts before re-reading old ones.
    assert engagement.due_targets(session, 1, now) == [fresh_never.id]


@respx.mock
def test_one_failure_does_not_stop_the_batch(session, workspace):
    """Documented shapes: Mastodon 404 {"error": "Record not found"} for a deleted status; X 503."""
    now = datetime(2027, 4, 1, 12, tzinfo=UTC)
    masto = make_channel(session, workspace, "mastodon", credentials=creds("mastodon"))
    x = make_channel(session, workspace, "x", credentials=creds("x"))
    deleted = published(session, masto, "404404", now, timedelta(hours=3))
    fine = published(session, masto, "200200", now, timedelta(hours=3))
    outage = published(session, x, "503503", now, timedelta(hours=3))
    respx.get(f"{MASTO}/api/v1/statuses/404404").respond(404, json={"error": "Record not found"})
    respx.get(f"{MASTO}/api/v1/statuses/200200").respond(
        200, json={"id": "200200", "favourites_count": 5, "reblogs_count": 0, "replies_count": 1})
    respx.get(f"{X_API}/2/tweets/503503").respond(503, json={"title": "Service Unavailable"})

    report = run_sync(now)

    assert report.failed >= 1 and report.unreported >= 1 and "x" in report.networks_failed
    assert [s.likes for s in snapshots(session, fine)] == [5]
    assert snapshots(session, deleted) == [] and snapshots(session, outage) == []
    assert breaker.open_for("x") is None  # metrics failures do not hold back publishing


@respx.mock
def test_an_open_breaker_leaves_the_network_alone(session, workspace):
    now = datetime(2027, 6, 1, 12, tzinfo=UTC)
    masto = make_channel(session, workspace, "mastodon", credentials=creds("mastodon"))
    target = published(session, masto, "777", now, timedelta(hours=3))
    route = respx.get(f"{MASTO}/api/v1/statuses/777").respond(
        200, json={"id": "777", "favourites_count": 1, "reblogs_count": 0, "replies_count": 0})
    breaker.get_redis().set("breaker:mastodon:open", "1", px=60_000)

    report = run_sync(now)

    assert not route.called and report.skipped >= 1 and snapshots(session, target) == []
    breaker.reset("mastodon")
    run_sync(now)
    assert route.called and len(snapshots(session, target)) == 1


def test_members_read_snapshots_but_only_the_sync_writes_them(session, workspace):
    from app.core.db import session_scope, user_claims
    from models import Membership

    owner_id = session.exec(select(Membership.user_id).where(Membership.workspace_id == workspace.id)).one()
    ch = make_channel(session, workspace, "mastodon")
    target = published(session, ch, "9", datetime.now(UTC), timedelta(hours=1))
    session.add(MetricSnapshot(workspace_id=workspace.id, target_id=target.id, likes=3))
    session.commit()
    with session_scope(user_claims(owner_id)) as s:
        assert [r.likes for r in s.exec(select(MetricSnapshot).where(
            MetricSnapshot.target_id == target.id)).all()] == [3]
    with pytest.raises(Exception, match="row-level security"), session_scope(user_claims(owner_id)) as s:
        s.add(MetricSnapshot(workspace_id=workspace.id, target_id=target.id, likes=10_000))
        s.flush()


def test_latest_for_post_gives_each_target_its_newest_counts(session, workspace):
    from models import Membership

    owner_id = session.exec(select(Membership.user_id).where(Membership.workspace_id == workspace.id)).one()
    ch = make_channel(session, workspace, "mastodon")
    now = datetime.now(UTC)
    target = published(session, ch, "10", now, timedelta(hours=5))
    for ago, likes in ((timedelta(hours=3), 1), (timedelta(hours=1), 8)):
        session.add(MetricSnapshot(workspace_id=workspace.id, target_id=target.id, taken_at=now - ago,
                                   likes=likes))
    session.commit()
    latest = engagement.latest_for_post(session, owner_id, target.post_id)
    assert latest[str(target.id)]["likes"] == 8


def test_unreachable_network_is_transient(session, workspace, monkeypatch):
    """A connection error (no answer at all) counts as a failure and stops asking that network this run."""
    now = datetime(2027, 8, 1, 12, tzinfo=UTC)
    masto = make_channel(session, workspace, "mastodon", credentials=creds("mastodon"))
    a = published(session, masto, "1", now, timedelta(hours=3))
    b = published(session, masto, "2", now, timedelta(hours=3))
    with respx.mock:
        route = respx.get(url__startswith=f"{MASTO}/api/v1/statuses/").mock(
            side_effect=httpx.ConnectError("refused"))
        report = run_sync(now)
    assert route.call_count == 1 and "mastodon" in report.networks_failed
    assert snapshots(session, a) == [] and snapshots(session, b) == []


def test_one_instance_down_does_not_skip_another_instance(session, workspace):
    now = datetime(2027, 9, 1, 12, tzinfo=UTC)
    other = "https://other.example"
    down = make_channel(session, workspace, "mastodon", credentials=creds("mastodon"),
                        settings={"endpoint": MASTO})
    up = make_channel(session, workspace, "mastodon", settings={"endpoint": other},
                      credentials=crypto.encrypt(json.dumps({"instance": other, "access_token": "t"})))
    lost = published(session, down, "1", now, timedelta(hours=2))  # newer: its server is asked first
    kept = published(session, up, "2", now, timedelta(hours=3))
    with respx.mock:
        respx.get(url__startswith=f"{MASTO}/").mock(side_effect=httpx.ConnectError("refused"))
        respx.get(f"{other}/api/v1/statuses/2").respond(
            200, json={"id": "2", "favourites_count": 3, "reblogs_count": 1, "replies_count": 0})
        run_sync(now)
    assert snapshots(session, lost) == [] and [s.likes for s in snapshots(session, kept)] == [3]


@respx.mock
def test_a_rotated_bluesky_session_is_kept_for_publishing(session, workspace):
    """Documented shape: com.atproto.server.refreshSession -> {accessJwt, refreshJwt, handle, did}; the old
    refresh token is spent, so the channel must store the new one or the next publish starts from a dead
    token."""
    import base64

    def jwt(exp):
        payload = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).decode().rstrip("=")
        return f"e30.{payload}.sig"

    now = datetime(2027, 10, 1, 12, tzinfo=UTC)
    plain = {"service": PDS, "identifier": "ada.example", "app_password": "x", "access_jwt": jwt(time.time() - 10),
             "refresh_jwt": "spent", "did": "did:plc:ada", "handle": "ada.example"}
    bsky = make_channel(session, workspace, "bluesky", credentials=crypto.encrypt(json.dumps(plain)),
                        settings={"endpoint": PDS})
    uri = "at://did:plc:ada/app.bsky.feed.post/3krot"
    target = published(session, bsky, uri, now, timedelta(hours=1))
    respx.post(f"{PDS}/xrpc/com.atproto.server.refreshSession").respond(200, json={
        "accessJwt": jwt(time.time() + 3600), "refreshJwt": "fresh", "handle": "ada.example",
        "did": "did:plc:ada"})
    respx.get(f"{PDS}/xrpc/app.bsky.feed.getPosts").respond(200, json={"posts": [
        {"uri": uri, "cid": "c", "likeCount": 2, "repostCount": 0, "replyCount": 0, "quoteCount": 0}]})

    run_sync(now)

    assert [s.likes for s in snapshots(session, target)] == [2]
    session.refresh(bsky)
    assert json.loads(crypto.decrypt(bsky.credentials))["refresh_jwt"] == "fresh"


@respx.mock
def test_posts_without_counts_do_not_crowd_out_the_others(session, workspace):
    """A PDS without an AppView answers getPosts with 400 InvalidRequest ("No service configured", the
    answer the real local PDS gives): those targets never get a snapshot, so they stay first in line.
    One run still reaches every due target, asking each once (Mastodon's Status shape as documented)."""
    now = datetime(2032, 5, 1, 12, tzinfo=UTC)
    bsky = make_channel(session, workspace, "bluesky", credentials=creds("bluesky"))
    masto = make_channel(session, workspace, "mastodon", credentials=creds("mastodon"))
    silent = [published(session, bsky, f"at://did:plc:ada/app.bsky.feed.post/{i}", now, timedelta(hours=2))
              for i in range(7)]
    counted = published(session, masto, "7007", now, timedelta(hours=1))
    refused = respx.get(f"{PDS}/xrpc/app.bsky.feed.getPosts").respond(400, json={
        "error": "InvalidRequest", "message": "No service configured for app.bsky.feed.getPosts"})
    respx.get(f"{MASTO}/api/v1/statuses/7007").respond(
        200, json={"id": "7007", "favourites_count": 9, "reblogs_count": 1, "replies_count": 0})

    report = engagement.sync_due(db.session_scope, batch=3, now=now)

    assert [s.likes for s in snapshots(session, counted)] == [9]
    assert refused.call_count == len(silent)  # each asked once, not again and again
    assert report.unreported == len(silent) and report.stored == 1
