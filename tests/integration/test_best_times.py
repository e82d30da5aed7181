"""Best time to post: the weekday x hour map in the workspace's zone, its minimum sample, suggestions,
who may read it (service and REST route)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_api
from app.core.db import session_scope, user_claims
from app.services.errors import NotFound, PermissionDenied
from app.services.insight import best_times
from app.services.planning import timeslots
from models import Membership, MetricSnapshot
from tests.accounts_support import access_token_for
from tests.factories import make_channel, make_target, make_user, make_workspace

# Europe/Berlin leaves CET (UTC+1) for CEST (UTC+2) on Sunday 2027-03-28.
NOW = datetime(2027, 4, 20, 12, 0, tzinfo=UTC)


def _post(session, channel, at: datetime, likes: int, reposts: int = 0, replies: int = 0,
          quotes: int | None = None, older: int | None = None):
    t = make_target(session, channel, scheduled_at=at, status="published")
    t.published_at = at
    session.add(t)
    if older is not None:  # an earlier reading that the latest one replaces
        session.add(MetricSnapshot(workspace_id=channel.workspace_id, target_id=t.id,
                                   taken_at=at + timedelta(hours=1), likes=older))
    session.add(MetricSnapshot(workspace_id=channel.workspace_id, target_id=t.id, taken_at=at + timedelta(days=1),
                               likes=likes, reposts=reposts, replies=replies, quotes=quotes))
    return t


@pytest.fixture()
def studio(session):
    """A Berlin workspace: 21 measured Bluesky posts, 3 measured Mastodon posts, 1 unmeasured Matrix post."""
    owner, viewer = make_user(session), make_user(session)
    ws = make_workspace(session, owner=owner, timezone="Europe/Berlin")
    session.add(Membership(workspace_id=ws.id, user_id=viewer.id, role="viewer"))
    bsky, masto, mx = (make_channel(session, ws, "bluesky"), make_channel(session, ws, "mastodon"),
                       make_channel(session, ws, "matrix"))
    # Tuesdays 09:00 Berlin on both sides of the change: 08:00 UTC in March, 07:00 UTC in April.
    for at in (datetime(2027, 3, 16, 8, tzinfo=UTC), datetime(2027, 3, 23, 8, tzinfo=UTC),
               datetime(2027, 3, 30, 7, tzinfo=UTC), datetime(2027, 4, 6, 7, tzinfo=UTC)):
        _post(session, bsky, at, likes=10, reposts=4, replies=2, quotes=4, older=1)  # 20 a post
    # Thursdays 18:00 Berlin (17:00 / 16:00 UTC): 5 a post.
    for at in (datetime(2027, 3, 18, 17, tzinfo=UTC), datetime(2027, 3, 25, 17, tzinfo=UTC),
               datetime(2027, 4, 1, 16, tzinfo=UTC)):
        _post(session, bsky, at, likes=5)
    # Fridays 12:00 Berlin: only two posts, too few for a score however good.
    for at in (datetime(2027, 4, 2, 10, tzinfo=UTC), datetime(2027, 4, 9, 10, tzinfo=UTC)):
        _post(session, bsky, at, likes=500)
    # Mondays 07:00 Berlin: 12 posts with 1 like each, to reach the sample.
    for week in range(12):
        _post(session, bsky, datetime(2027, 1, 4, 6, tzinfo=UTC) + timedelta(weeks=week), likes=1)
    for day in (1, 2, 3):  # Mastodon: Saturdays 2027-04-03.. at 20:00 Berlin, 30 a post
        _post(session, masto, datetime(2027, 4, 3, 18, tzinfo=UTC) + timedelta(weeks=day - 1), likes=30)
    make_target(session, mx, scheduled_at=NOW - timedelta(days=3), status="published").published_at = (
        NOW - timedelta(days=3))
    session.commit()
    return owner, viewer, ws, bsky, masto, mx


def test_posts_land_in_their_local_hour_across_the_dst_change(session, studio):
    owner, _, ws, bsky, _, _ = studio
    m = best_times.heatmap(session, owner.id, ws.id, bsky.id, now=NOW)
    assert m.timezone == "Europe/Berlin" and m.measured == 21 and m.enough
    tuesday_nine = m.cells[1][9]
    assert (tuesday_nine.posts, tuesday_nine.score) == (4, 20.0)  # latest snapshot, quotes counted
    assert m.cells[1][8].posts == 0 and m.cells[1][10].posts == 0  # no post slid an hour either way
    assert (m.cells[3][18].posts, m.cells[3][18].score) == (3, 5.0)
    assert m.cells[0][7].score == 1.0


def test_a_cell_needs_its_minimum_sample(session, studio):
    owner, _, ws, bsky, _, _ = studio
    m = best_times.heatmap(session, owner.id, ws.id, bsky.id, now=NOW)
    friday_noon = m.cells[4][12]
    assert friday_noon.posts == 2 and friday_noon.score is None
    assert m.best == 20.0


def test_below_the_overall_sample_nothing_is_scored_or_suggested(session, studio):
    owner, _, ws, _, masto, mx = studio
    m = best_times.heatmap(session, owner.id, ws.id, masto.id, now=NOW)
    assert (m.measured, m.needed, m.enough) == (3, best_times.MIN_POSTS, False)
    assert m.cells[5][20].posts == 3 and m.cells[5][20].score is None
    assert m.best is None and m.suggestions == []
    unmeasured = best_times.heatmap(session, owner.id, ws.id, mx.id, now=NOW)
    assert (unmeasured.published, unmeasured.measured) == (1, 0)


def test_all_channels_adds_them_up(session, studio):
    owner, _, ws, _, _, _ = studio
    m = best_times.heatmap(session, owner.id, ws.id, now=NOW)
    assert (m.published, m.measured) == (25, 24)
    assert m.cells[5][20].score == 30.0  # Mastodon's Saturdays count here, not on Bluesky's own map
    assert m.suggestions[0].weekday == 5 and m.suggestions[0].local_time == time(20)


def test_suggestions_are_the_best_cells_and_apply_as_queue_slots(session, studio):
    owner, _, ws, bsky, _, _ = studio
    best = best_times.suggest_slots(session, owner.id, ws.id, bsky.id, n=2, now=NOW)
    assert [(s.weekday, s.local_time, s.score) for s in best] == [(1, time(9), 20.0), (3, time(18), 5.0)]
    best_times.use_slots(session, owner.id, ws.id, bsky.id, [(s.weekday, s.local_time) for s in best])
    slots = timeslots.list_slots(session, owner.id, bsky.id)
    assert [(s.weekday, s.local_time, s.timezone) for s in slots] == [
        (1, time(9), "Europe/Berlin"), (3, time(18), "Europe/Berlin")]


def test_members_of_other_workspaces_get_nothing(session, studio):
    owner, viewer, ws, bsky, _, _ = studio
    outsider = make_user(session)
    elsewhere = make_workspace(session, owner=outsider)
    theirs = make_channel(session, elsewhere, "bluesky")
    session.commit()
    with pytest.raises(NotFound):
        best_times.heatmap(session, outsider.id, ws.id, now=NOW)
    with pytest.raises(NotFound):  # someone else's channel through one's own workspace
        best_times.heatmap(session, outsider.id, elsewhere.id, bsky.id, now=NOW)
    with pytest.raises(NotFound):
        best_times.heatmap(session, owner.id, ws.id, theirs.id, now=NOW)
    with session_scope(user_claims(outsider.id)) as as_outsider:  # RLS: the rows are not even visible
        m = best_times.heatmap(as_outsider, outsider.id, elsewhere.id, now=NOW)
        assert m.published == 0
    with session_scope(user_claims(viewer.id)) as as_viewer:
        assert best_times.heatmap(as_viewer, viewer.id, ws.id, now=NOW).measured == 24
        with pytest.raises(PermissionDenied):  # a viewer reads the map but cannot change the queue
            best_times.use_slots(as_viewer, viewer.id, ws.id, bsky.id, [(1, time(9))])


@pytest.fixture()
def api(app_env):
    return TestClient(create_api(), follow_redirects=False)


def _auth(user):
    return {"Authorization": f"Bearer {access_token_for(user.id)}"}


def test_route_lets_a_viewer_read_the_map(api, studio):
    _, viewer, ws, bsky, _, _ = studio
    res = api.get(f"/api/workspaces/{ws.id}/best-times", headers=_auth(viewer), params={"channel_id": str(bsky.id)})
    assert res.status_code == 200, res.json()
    body = res.json()
    assert body["timezone"] == "Europe/Berlin" and len(body["cells"]) == 7 and len(body["cells"][0]) == 24
    assert body["measured"] >= 20 and body["enough"] is True
    assert body["suggestions"][0]["local_time"] == "09:00:00"


def test_route_refuses_bad_and_foreign_channels_without_a_500(api, studio, session):
    owner, _, ws, _, _, _ = studio
    other = make_workspace(session, owner=make_user(session))
    theirs = make_channel(session, other, "bluesky")
    session.commit()
    url = f"/api/workspaces/{ws.id}/best-times"
    bad = api.get(url, headers=_auth(owner), params={"channel_id": "not-a-uuid"})
    assert bad.status_code == 422 and "channel_id" in str(bad.json())
    foreign = api.get(url, headers=_auth(owner), params={"channel_id": str(theirs.id)})
    assert foreign.status_code == 404 and "channel" in foreign.json()["message"]
    stranger = api.get(url, headers=_auth(make_user(session)))
    assert stranger.status_code == 404
    assert api.get(url, headers=_auth(owner), params={"n": 99}).status_code == 422
