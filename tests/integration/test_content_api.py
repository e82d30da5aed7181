"""The REST routes of links, snippets, ideas, the calendar feed and assist: auth, permissions, the public
redirect and feed, error shapes."""

from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_api
from models import Membership
from tests.accounts_support import access_token_for
from tests.factories import make_user, make_workspace


@pytest.fixture()
def api(app_env):
    return TestClient(create_api(), follow_redirects=False)


@pytest.fixture()
def team(session):
    owner, viewer = make_user(session), make_user(session)
    ws = make_workspace(session, owner=owner)
    session.add(Membership(workspace_id=ws.id, user_id=viewer.id, role="viewer"))
    session.commit()
    auth = lambda u: {"Authorization": f"Bearer {access_token_for(u.id)}"}  # noqa: E731
    return ws, auth(owner), auth(viewer)


def test_short_link_round_trip(api, team):
    ws, owner, _ = team
    res = api.post(f"/api/workspaces/{ws.id}/links", headers=owner,
                   json={"url": "https://example.com/x", "utm": {"utm_medium": "social"}})
    assert res.status_code == 201, res.json()
    code = res.json()["code"]
    hop = api.get(f"/l/{code}")
    assert hop.status_code == 302 and hop.headers["location"] == "https://example.com/x?utm_medium=social"


def test_bad_url_gets_a_field_error(api, team):
    ws, owner, _ = team
    res = api.post(f"/api/workspaces/{ws.id}/links", headers=owner, json={"url": "javascript:alert(1)"})
    assert res.status_code == 422
    assert res.json()["problems"][0]["field"] == "url"


def test_viewer_is_forbidden_to_write_but_may_read(api, team):
    ws, _, viewer = team
    res = api.post(f"/api/workspaces/{ws.id}/ideas", headers=viewer, json={"title": "x"})
    assert res.status_code == 403 and "viewer" in res.json()["message"]
    assert api.get(f"/api/workspaces/{ws.id}/ideas", headers=viewer).status_code == 200


def test_outsider_and_anonymous_are_refused(api, team, session):
    ws, _, _ = team
    stranger = {"Authorization": f"Bearer {access_token_for(make_user(session).id)}"}
    assert api.get(f"/api/workspaces/{ws.id}/ideas", headers=stranger).status_code == 404
    anonymous = api.get(f"/api/workspaces/{ws.id}/ideas")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == "Bearer"
    forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}
    assert api.get(f"/api/workspaces/{ws.id}/ideas", headers=forged).status_code == 401


def test_ical_feed_url_works_and_revokes(api, team):
    ws, owner, _ = team
    url = api.post(f"/api/workspaces/{ws.id}/calendar-feed", headers=owner).json()["url"]
    path = urlsplit(url).path
    feed = api.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert api.delete(f"/api/workspaces/{ws.id}/calendar-feed", headers=owner).status_code == 204
    assert api.get(path).status_code == 404


def test_assist_when_off_says_how_to_enable(api, team, monkeypatch):
    from app.core.config import get_settings

    monkeypatch.delenv("AI_BASE_URL", raising=False)
    get_settings.cache_clear()
    ws, owner, _ = team
    res = api.post(f"/api/workspaces/{ws.id}/assist", headers=owner, json={"action": "rewrite", "text": "hi"})
    assert res.status_code == 503 and "AI_BASE_URL" in res.json()["message"]
