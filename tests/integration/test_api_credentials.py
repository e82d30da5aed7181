"""API credentials over HTTP: JWT access tokens, rotating refresh tokens, scoped API keys."""

import secrets

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlmodel import select

from app.api.deps import WorkspaceContext, require
from app.api.main import create_api
from app.core import db
from app.services.identity import tokens
from models import ApiKey, Membership, RefreshToken
from tests.factories import make_user, make_workspace


@pytest.fixture()
def client(app_env):
    api = create_api()

    # A route guarded like the posts routes will be, to prove scopes and roles combine.
    @api.post("/api/workspaces/{workspace_id}/probe-post-create")
    def probe(ctx: WorkspaceContext = Depends(require("post:create"))) -> dict:  # noqa: B008
        return {"role": ctx.role}

    with TestClient(api) as c:
        yield c


@pytest.fixture()
def ada(session):
    user = make_user(session, display_name="Ada")
    ws = make_workspace(session, user, name="Ada's")
    return user, ws


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _pair(user):
    with db.session_scope() as s:
        return tokens.issue(s, user.id)


def test_access_token_lists_my_workspaces(client, ada):
    user, ws = ada
    res = client.get("/api/workspaces", headers=bearer(_pair(user).access_token))
    assert res.status_code == 200
    assert [(w["id"], w["role"]) for w in res.json()] == [(str(ws.id), "owner")]


@pytest.mark.parametrize("headers", [
    {}, bearer("garbage"), bearer("qc_deadbeef_nope"), {"X-API-Key": "qc_x"}])
def test_missing_or_bad_credentials_are_401(client, headers):
    res = client.get("/api/workspaces", headers=headers)
    assert res.status_code == 401
    assert res.json()["code"] == "not_authenticated"


def test_refresh_rotates_and_a_reused_token_revokes_the_family(client, ada, session):
    user, _ = ada
    first = _pair(user)
    res = client.post("/api/auth/refresh", json={"refresh_token": first.refresh_token})
    assert res.status_code == 200
    second = res.json()
    assert second["refresh_token"] != first.refresh_token and second["expires_in"] == 900
    assert client.get("/api/workspaces", headers=bearer(second["access_token"])).status_code == 200
    # Only hashes are stored.
    stored = session.exec(select(RefreshToken.token_hash).where(RefreshToken.user_id == user.id)).all()
    assert first.refresh_token not in stored and second["refresh_token"] not in stored and len(stored) == 2

    # The old token again: someone else has it. Both it and the newest one stop working.
    reused = client.post("/api/auth/refresh", json={"refresh_token": first.refresh_token})
    assert reused.status_code == 401 and "already used" in reused.json()["message"]
    newest = client.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert newest.status_code == 401
    session.expire_all()
    family = session.exec(select(RefreshToken).where(RefreshToken.user_id == user.id)).all()
    assert all(t.revoked_at for t in family)


def test_revoke_signs_an_api_client_out(client, ada):
    user, _ = ada
    pair = _pair(user)
    assert client.post("/api/auth/revoke", json={"refresh_token": pair.refresh_token}).status_code == 204
    assert client.post("/api/auth/refresh", json={"refresh_token": pair.refresh_token}).status_code == 401


@pytest.mark.parametrize("token", ["", "qcr_" + "x" * 300, "not-a-token", "qcr_' OR 1=1 --"])
def test_bad_refresh_tokens_are_refused_clearly(client, token):
    res = client.post("/api/auth/refresh", json={"refresh_token": token})
    assert res.status_code in (401, 422)
    assert res.json()["problems"][0]["field"] == "refresh_token"


def test_api_key_is_shown_once_hashed_and_scoped(client, ada, session):
    user, ws = ada
    jwt_headers = bearer(_pair(user).access_token)
    res = client.post("/api/api-keys", headers=jwt_headers,
                      json={"workspace_id": str(ws.id), "name": "zapier 📮", "scopes": ["posts:read"]})
    assert res.status_code == 201, res.text
    created = res.json()
    key = created["key"]
    assert key.startswith(f"qc_{created['prefix']}_")
    assert session.exec(select(ApiKey.key_hash).where(ApiKey.id == created["id"])).one() != key

    listed = client.get("/api/api-keys", headers=jwt_headers).json()
    assert [k["prefix"] for k in listed] == [created["prefix"]] and "key" not in listed[0]
    assert listed[0]["last_used_at"] is None

    # The key reads its workspace, as Bearer or X-API-Key ...
    assert client.get(f"/api/workspaces/{ws.id}", headers=bearer(key)).status_code == 200
    assert client.get(f"/api/workspaces/{ws.id}", headers={"X-API-Key": key}).status_code == 200
    assert client.get("/api/api-keys", headers=jwt_headers).json()[0]["last_used_at"] is not None
    # ... but its scope does not cover writing posts, although the owner's role would.
    denied = client.post(f"/api/workspaces/{ws.id}/probe-post-create", headers=bearer(key))
    assert denied.status_code == 403 and "posts:write" in denied.json()["message"]
    assert client.post(f"/api/workspaces/{ws.id}/probe-post-create", headers=jwt_headers).status_code == 200
    # A key cannot make keys.
    assert client.post("/api/api-keys", headers=bearer(key), json={
        "workspace_id": str(ws.id), "name": "x", "scopes": ["posts:write"]}).status_code == 403

    # Revoked: stops at once.
    assert client.delete(f"/api/api-keys/{created['id']}", headers=jwt_headers).status_code == 200
    assert client.get(f"/api/workspaces/{ws.id}", headers=bearer(key)).status_code == 401


def test_api_key_works_only_in_its_workspace_and_within_the_role(client, ada, session):
    user, ws = ada
    other = make_workspace(session, user, name="Other")
    viewer_ws = make_workspace(session, make_user(session))
    session.add(Membership(workspace_id=viewer_ws.id, user_id=user.id, role="viewer"))
    session.commit()
    jwt_headers = bearer(_pair(user).access_token)
    key = client.post("/api/api-keys", headers=jwt_headers, json={
        "workspace_id": str(viewer_ws.id), "name": "bot", "scopes": ["posts:write"]}).json()["key"]
    # posts:write on a viewer membership: the role still says no.
    res = client.post(f"/api/workspaces/{viewer_ws.id}/probe-post-create", headers=bearer(key))
    assert res.status_code == 403 and "viewer" in res.json()["message"]
    assert client.get(f"/api/workspaces/{other.id}", headers=bearer(key)).status_code == 404


def test_a_read_key_cannot_write_through_the_post_routes(client, ada):
    user, ws = ada
    jwt_headers = bearer(_pair(user).access_token)
    key = client.post("/api/api-keys", headers=jwt_headers, json={
        "workspace_id": str(ws.id), "name": "dashboard", "scopes": ["posts:read"]}).json()["key"]
    base = f"/api/workspaces/{ws.id}"
    assert client.get(f"{base}/posts", headers=bearer(key)).status_code == 200
    some_id = "00000000-0000-4000-8000-000000000000"
    writes = [
        ("post", f"{base}/posts", {"body": "hi", "targets": [{"channel_id": some_id}]}),
        ("delete", f"{base}/posts/{some_id}", None),
        ("post", f"{base}/posts/{some_id}/publish-now", None),
        ("post", f"{base}/posts/{some_id}/approve", None),
        ("post", f"{base}/targets/{some_id}/retry", None),
        ("put", f"{base}/channels/{some_id}/slots", {"timezone": "UTC", "slots": []}),
        ("post", f"{base}/ideas", {"title": "x"}),
    ]
    for method, url, body in writes:
        res = client.request(method, url, headers=bearer(key), json=body)
        assert res.status_code == 403 and "posts:write" in res.json()["message"], (method, url, res.text)
    # Changing roles is no key's business, whatever its scopes and the owner's role.
    res = client.patch(f"{base}/members/{user.id}", headers=bearer(key), json={"role": "admin"})
    assert res.status_code == 403 and "not a key" in res.json()["message"]


@pytest.mark.parametrize("body, field", [
    ({"name": "", "scopes": ["posts:read"]}, "name"),
    ({"name": "x", "scopes": []}, "scopes"),
    ({"name": "x", "scopes": ["everything"]}, "scopes"),
    ({"name": "x", "scopes": ["posts:read"], "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"name": "x", "scopes": ["posts:read"], "expires_at": "2099-01-01T00:00:00"}, "expires_at"),
])
def test_bad_api_key_requests_name_the_field(client, ada, body, field):
    user, ws = ada
    res = client.post("/api/api-keys", headers=bearer(_pair(user).access_token),
                      json={"workspace_id": str(ws.id), **body})
    assert res.status_code == 422
    assert res.json()["problems"][0]["field"] == field


def test_openapi_documents_both_schemes(client):
    schemes = client.get("/api/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["AccessToken"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                      "description": schemes["AccessToken"]["description"]}
    assert schemes["ApiKey"]["type"] == "apiKey" and schemes["ApiKey"]["name"] == "X-API-Key"


def test_a_deactivated_user_token_stops_working(client, session):
    user = make_user(session, email=f"gone-{secrets.token_hex(3)}@example.test")
    pair = _pair(user)
    user.is_active = False
    session.add(user)
    session.commit()
    assert client.get("/api/workspaces", headers=bearer(pair.access_token)).status_code == 401
    assert client.post("/api/auth/refresh", json={"refresh_token": pair.refresh_token}).status_code == 401
