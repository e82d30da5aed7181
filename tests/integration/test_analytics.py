"""What the analytics page reports: outcomes, punctuality per network, clicks; only to members."""

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from app.services.errors import NotFound, ValidationFailed
from app.services.insight import analytics
from models import Link, Post, PublishAttempt
from tests.factories import make_channel, make_target, make_user, make_workspace

NOW = datetime(2027, 5, 20, 12, 0, tzinfo=UTC)


def _published(session, channel, late_s, days_ago=1):
    when = NOW - timedelta(days=days_ago)
    t = make_target(session, channel, scheduled_at=when, status="published")
    t.published_at = when + timedelta(seconds=late_s)
    session.add(t)
    session.add(PublishAttempt(workspace_id=channel.workspace_id, target_id=t.id, number=1, outcome="published",
                               started_at=when))
    session.commit()
    return t


def test_report_counts_outcomes_and_punctuality(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    bsky, mx = make_channel(session, ws, "bluesky"), make_channel(session, ws, "matrix")
    for late in (0.4, 2, 30, 300):  # three on time, one five minutes late
        _published(session, bsky, late)
    _published(session, mx, 1, days_ago=3)
    make_target(session, mx, scheduled_at=NOW - timedelta(days=2), status="failed")
    make_target(session, bsky, scheduled_at=NOW + timedelta(days=1))  # waiting
    make_target(session, bsky, scheduled_at=NOW - timedelta(days=90), status="published")  # out of range
    code = secrets.token_hex(4)[:7]
    session.add(Link(workspace_id=ws.id, code=code, destination="https://example.com", clicks=7))
    session.commit()

    r = analytics.report(session, owner.id, ws.id, days=30, now=NOW)

    assert (r.published, r.failed, r.waiting) == (5, 1, 1)
    assert r.on_time_pct == 80.0
    rows = {n.network: n for n in r.per_network}
    assert rows["bluesky"].published == 4 and rows["bluesky"].on_time_pct == 75.0
    assert rows["matrix"].failed == 1 and rows["matrix"].median_lateness_s == 1.0
    assert r.clicks == 7 and r.top_links[0]["code"] == code
    day = (NOW - timedelta(days=1)).date().isoformat()[5:]
    assert next(d for d in r.per_day if d["day"] == day)["published"] == 4
    assert len(r.per_day) == 30


def test_empty_workspace_reports_zeros(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    r = analytics.report(session, owner.id, ws.id, now=NOW)
    assert (r.published, r.on_time_pct, r.per_network) == (0, None, [])


def test_outsiders_and_bad_ranges(session):
    owner, stranger = make_user(session), make_user(session)
    ws = make_workspace(session, owner=owner)
    with pytest.raises(NotFound):
        analytics.report(session, stranger.id, ws.id)
    with pytest.raises(ValidationFailed) as err:
        analytics.report(session, owner.id, ws.id, days=0)
    assert err.value.field == "days"


def test_report_engagement_uses_each_targets_latest_snapshot(session):
    from models import MetricSnapshot

    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    bsky, mx, x = (make_channel(session, ws, "bluesky"), make_channel(session, ws, "matrix"),
                   make_channel(session, ws, "x"))
    hit = _published(session, bsky, 1)
    hit_post = session.get(Post, hit.post_id)
    hit_post.body = "Our launch post " + "with a long tail " * 10
    session.add(hit_post)
    quiet = _published(session, bsky, 1, days_ago=2)
    viewed = _published(session, x, 1, days_ago=3)
    _published(session, bsky, 1, days_ago=4)  # published, never measured: not in the top posts
    _published(session, mx, 1)  # Matrix reports nothing
    old = make_target(session, bsky, scheduled_at=NOW - timedelta(days=90), status="published")
    old.published_at = NOW - timedelta(days=90)
    session.add(old)

    def snap(target, hours_ago, likes, reposts=0, replies=0, impressions=None):
        session.add(MetricSnapshot(workspace_id=ws.id, target_id=target.id,
                                   taken_at=NOW - timedelta(hours=hours_ago), likes=likes, reposts=reposts,
                                   replies=replies, impressions=impressions))

    snap(hit, 20, 5)
    snap(hit, 2, 40, reposts=6, replies=3)  # latest: this one counts, not the sum of both
    snap(quiet, 2, 1)
    snap(viewed, 2, 10, reposts=1, impressions=500)
    snap(old, 2, 999)  # published before the period
    session.commit()

    r = analytics.report(session, owner.id, ws.id, days=30, now=NOW)

    assert (r.likes, r.reposts, r.replies) == (51, 7, 3)
    rows = {e.network: e for e in r.engagement}
    assert (rows["bluesky"].published, rows["bluesky"].measured, rows["bluesky"].likes) == (3, 2, 41)
    assert rows["bluesky"].impressions is None and rows["x"].impressions == 500
    assert rows["matrix"].reports is False and rows["matrix"].published == 1
    assert [p["target_id"] for p in r.top_posts] == [str(hit.id), str(viewed.id), str(quiet.id)]
    top = r.top_posts[0]
    assert (top["likes"], top["reposts"], top["replies"], top["channel"]) == (40, 6, 3, bsky.name)
    assert top["excerpt"].startswith("Our launch post") and top["excerpt"].endswith("…")
    assert len(top["excerpt"]) <= analytics.EXCERPT_CHARS and top["post_id"] == str(hit.post_id)
