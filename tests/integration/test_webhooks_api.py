"""The webhook REST routes: owners and admins only, the secret shown once, the common error shape."""

import pytest
from fastapi.testclient import TestClient

from app.api.main import create_api
from app.core import jobs
from models import Membership
from tests.accounts_support import access_token_for
from tests.factories import make_user, make_workspace


@pytest.fixture()
def api(app_env, monkeypatch):
    # Deliveries to example.com are recorded, not sent: a worker of another module must not take them.
    monkeypatch.setattr(jobs, "send", lambda *a, **kw: None)
    return TestClient(create_api(), follow_redirects=False)


@pytest.fixture()
def team(session):
    owner, editor = make_user(session), make_user(session)
    ws = make_workspace(session, owner=owner)
    session.add(Membership(workspace_id=ws.id, user_id=editor.id, role="editor"))
    session.commit()
    auth = lambda u: {"Authorization": f"Bearer {access_token_for(u.id)}"}  # noqa: E731
    return ws, auth(owner), auth(editor)


def test_webhook_round_trip(api, team):
    ws, owner, _ = team
    base = f"/api/workspaces/{ws.id}/webhooks"
    res = api.post(base, headers=owner, json={"url": "https://example.com/hook",
                                              "events": ["post.approved", "target.published"]})
    assert res.status_code == 201, res.json()
    created = res.json()
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["target.published", "post.approved"]  # in the documented order
    hook_id = created["id"]

    listed = api.get(base, headers=owner).json()
    assert [h["id"] for h in listed] == [hook_id] and "secret" not in listed[0]

    res = api.patch(f"{base}/{hook_id}", headers=owner, json={"active": False})
    assert res.status_code == 200 and res.json()["active"] is False

    res = api.post(f"{base}/{hook_id}/test", headers=owner)
    assert res.status_code == 202 and res.json()["event"] == "webhook.test"
    deliveries = api.get(f"{base}/{hook_id}/deliveries", headers=owner).json()
    assert [(d["event"], d["status"]) for d in deliveries] == [("webhook.test", "pending")]

    rotated = api.post(f"{base}/{hook_id}/rotate-secret", headers=owner).json()["secret"]
    assert rotated.startswith("whsec_") and rotated != created["secret"]

    assert api.delete(f"{base}/{hook_id}", headers=owner).status_code == 204
    assert api.get(f"{base}/{hook_id}/deliveries", headers=owner).status_code == 404


def test_bad_input_names_the_field(api, team):
    ws, owner, _ = team
    res = api.post(f"/api/workspaces/{ws.id}/webhooks", headers=owner,
                   json={"url": "https://example.com/hook", "events": []})
    assert res.status_code == 422
    assert res.json()["problems"][0]["field"] == "events"
    res = api.post(f"/api/workspaces/{ws.id}/webhooks", headers=owner,
                   json={"url": "example", "events": ["post.approved"]})
    assert res.status_code == 422 and res.json()["problems"][0]["field"] == "url"


def test_editors_and_outsiders_are_refused(api, team, session):
    ws, _, editor = team
    res = api.get(f"/api/workspaces/{ws.id}/webhooks", headers=editor)
    assert res.status_code == 403 and "editor" in res.json()["message"]
    stranger = {"Authorization": f"Bearer {access_token_for(make_user(session).id)}"}
    assert api.get(f"/api/workspaces/{ws.id}/webhooks", headers=stranger).status_code == 404
    assert api.get(f"/api/workspaces/{ws.id}/webhooks").status_code == 401
