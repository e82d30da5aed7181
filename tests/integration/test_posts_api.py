"""The posts REST API through FastAPI's TestClient with real JWTs, PostgreSQL and Redis."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.api.main import create_api
from app.services.delivery import publishing
from models import Membership, Post, PostTarget
from tests import sink as sink_module
from tests.accounts_support import access_token_for
from tests.factories import make_channel, make_user, make_workspace


@pytest.fixture(scope="module", autouse=True)
def _no_worker_takes_our_tasks(app_env, servers):
    """These tests check what the API answers; a Celery worker alive elsewhere in the session would
    publish the queued targets under their feet. Broker db 0 is consumed by no test worker."""
    import os

    from tests.conftest import _reset_clients

    saved = os.environ["REDIS_URL"]
    os.environ["REDIS_URL"] = f"{servers.redis_base_url}/0"
    _reset_clients()
    yield
    os.environ["REDIS_URL"] = saved
    _reset_clients()


@pytest.fixture()
def api(app_env):
    publishing.set_connector_resolver(sink_module.connector_for)
    yield TestClient(create_api())
    publishing.set_connector_resolver(None)


@pytest.fixture()
def ws(session):
    owner = make_user(session)
    workspace = make_workspace(session, owner=owner)
    viewer = make_user(session)
    session.add(Membership(workspace_id=workspace.id, user_id=viewer.id, role="viewer"))
    session.commit()
    ch = make_channel(session, workspace, "bluesky", settings={"endpoint": "http://127.0.0.1:9"})
    base = f"/api/workspaces/{workspace.id}"
    return {
        "ws": workspace,
        "owner": owner,
        "viewer": viewer,
        "ch": ch,
        "base": base,
        "auth": {"Authorization": f"Bearer {access_token_for(owner.id)}"},
        "viewer_auth": {"Authorization": f"Bearer {access_token_for(viewer.id)}"},
    }


def _create(api, ws, body="Hello from the API", **headers):
    return api.post(
        f"{ws['base']}/posts",
        headers={**ws["auth"], **headers},
        json={"body": body, "targets": [{"channel_id": str(ws["ch"].id)}]},
    )


def test_create_with_idempotency_key_twice_makes_one_post(api, ws, session):
    key = str(uuid.uuid4())
    first = _create(api, ws, **{"Idempotency-Key": key})
    second = _create(api, ws, **{"Idempotency-Key": key})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(session.exec(select(Post).where(Post.workspace_id == ws["ws"].id)).all()) == 1
    other = _create(api, ws, body="something else", **{"Idempotency-Key": key})
    assert other.status_code == 422 and other.json()["problems"][0]["field"] == "Idempotency-Key"


def test_create_then_read_the_post_with_its_targets(api, ws):
    created = _create(api, ws, body="Hi <b>there</b> 👋").json()
    res = api.get(f"{ws['base']}/posts/{created['id']}", headers=ws["viewer_auth"])
    assert res.status_code == 200
    data = res.json()
    assert data["status"] == "draft" and data["body"] == "Hi <b>there</b> 👋"
    [t] = data["targets"]
    assert (t["network"], t["status"], t["attempt_log"]) == ("bluesky", "draft", [])


def test_errors_name_the_field(api, ws):
    res = api.post(f"{ws['base']}/posts", headers=ws["auth"], json={"body": "", "targets": []})
    assert res.status_code == 422 and res.json()["problems"][0]["field"] == "targets"
    res = api.post(
        f"{ws['base']}/posts",
        headers=ws["auth"],
        json={"body": "  ", "targets": [{"channel_id": str(ws["ch"].id)}]},
    )
    assert res.status_code == 422 and res.json()["problems"][0]["field"] == "body"


def test_schedule_in_a_dst_gap_is_refused_with_both_choices(api, ws):
    post = _create(api, ws).json()
    url = f"{ws['base']}/posts/{post['id']}/schedule"
    res = api.post(
        url, headers=ws["auth"], json={"local_time": "2027-03-14T02:30", "timezone": "America/New_York"}
    )
    assert res.status_code == 422
    problem = res.json()["problems"][0]
    assert (problem["field"], problem["code"]) == ("scheduled_at", "dst_gap")
    assert "01:30 EST" in problem["message"] and "03:30 EDT" in problem["message"]
    ok = api.post(
        url,
        headers=ws["auth"],
        json={"local_time": "2027-03-14T02:30", "timezone": "America/New_York", "fold": 0},
    )
    assert ok.status_code == 200 and ok.json()["status"] == "scheduled"
    assert ok.json()["targets"][0]["scheduled_at"].startswith("2027-03-14T07:30:00")


def test_auth_and_tenancy(api, ws, session):
    assert api.get(f"{ws['base']}/posts").status_code == 401
    assert _create(api, {**ws, "auth": ws["viewer_auth"]}).status_code == 403
    post = _create(api, ws).json()
    stranger = make_user(session)
    other = make_workspace(session, owner=stranger)
    auth = {"Authorization": f"Bearer {access_token_for(stranger.id)}"}
    # Another workspace's post is not found through one's own workspace, nor through theirs.
    assert api.get(f"/api/workspaces/{other.id}/posts/{post['id']}", headers=auth).status_code == 404
    assert api.get(f"{ws['base']}/posts/{post['id']}", headers=auth).status_code == 404


def test_pagination_and_filters(api, ws):
    ids = [_create(api, ws, body=f"post {i}").json()["id"] for i in range(3)]
    api.post(
        f"{ws['base']}/posts/{ids[0]}/schedule",
        headers=ws["auth"],
        json={"local_time": "2027-06-01T09:00", "timezone": "UTC"},
    )
    page = api.get(f"{ws['base']}/posts", params={"limit": 2}, headers=ws["auth"]).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    rest = api.get(f"{ws['base']}/posts", params={"limit": 2, "offset": 2}, headers=ws["auth"]).json()
    assert {p["id"] for p in page["items"] + rest["items"]} == set(ids)
    scheduled = api.get(f"{ws['base']}/posts", params={"status": "scheduled"}, headers=ws["auth"]).json()
    assert [p["id"] for p in scheduled["items"]] == [ids[0]]
    june = api.get(
        f"{ws['base']}/posts",
        headers=ws["auth"],
        params={"start": "2027-06-01T00:00:00Z", "end": "2027-06-02T00:00:00Z"},
    ).json()
    assert [p["id"] for p in june["items"]] == [ids[0]]
    bad = api.get(f"{ws['base']}/posts", params={"status": "nonsense"}, headers=ws["auth"])
    assert bad.status_code == 422
    cal = api.get(
        f"{ws['base']}/targets",
        headers=ws["auth"],
        params={"start": "2027-06-01T00:00:00Z", "end": "2027-06-02T00:00:00Z"},
    ).json()
    assert [t["post_id"] for t in cal] == [ids[0]]


def test_publish_now_cancel_retry_and_resolve(api, ws, session):
    post = _create(api, ws).json()
    res = api.post(f"{ws['base']}/posts/{post['id']}/publish-now", headers=ws["auth"])
    assert res.status_code == 200 and res.json()["targets"][0]["status"] == "queued"
    target_id = res.json()["targets"][0]["id"]
    t = session.get(PostTarget, uuid.UUID(target_id))
    t.status, t.last_error = "failed", "bluesky refused the post: duplicate"
    session.add(t)
    session.commit()
    res = api.post(f"{ws['base']}/targets/{target_id}/retry", headers=ws["auth"])
    assert res.status_code == 200 and res.json()["status"] == "queued"
    res = api.post(
        f"{ws['base']}/targets/{target_id}/resolve", headers=ws["auth"], json={"action": "mark_posted"}
    )
    assert res.status_code == 409  # only `unknown` targets are resolved
    session.expire_all()
    t = session.get(PostTarget, uuid.UUID(target_id))
    t.status = "unknown"
    session.add(t)
    session.commit()
    res = api.post(
        f"{ws['base']}/targets/{target_id}/resolve",
        headers=ws["auth"],
        json={"action": "mark_posted", "remote_url": "https://bsky.app/p/1"},
    )
    assert res.status_code == 200 and res.json()["status"] == "published"
    second = _create(api, ws).json()
    res = api.post(f"{ws['base']}/posts/{second['id']}/cancel", headers=ws["auth"])
    assert res.json()["status"] == "cancelled"


def test_slots_and_add_to_queue(api, ws):
    url = f"{ws['base']}/channels/{ws['ch'].id}/slots"
    res = api.put(
        url,
        headers=ws["auth"],
        json={"timezone": "Europe/Paris", "slots": [{"weekday": 0, "local_time": "09:00"}]},
    )
    assert res.status_code == 200 and res.json()[0]["weekday"] == 0
    assert api.put(url, headers=ws["viewer_auth"], json={"timezone": "UTC", "slots": []}).status_code == 403
    bad = api.put(url, headers=ws["auth"], json={"timezone": "Nowhere/City", "slots": []})
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "timezone"
    post = _create(api, ws).json()
    res = api.post(f"{ws['base']}/posts/{post['id']}/queue", headers=ws["auth"])
    assert res.status_code == 200 and res.json()["status"] == "scheduled"
    assert len(api.get(url, headers=ws["viewer_auth"]).json()) == 1


def test_delete(api, ws, session):
    post = _create(api, ws).json()
    assert api.delete(f"{ws['base']}/posts/{post['id']}", headers=ws["viewer_auth"]).status_code == 403
    assert api.delete(f"{ws['base']}/posts/{post['id']}", headers=ws["auth"]).status_code == 204
    assert api.get(f"{ws['base']}/posts/{post['id']}", headers=ws["auth"]).status_code == 404
