"""No refresh token, API key, access token or invitation token reaches a log line, even at DEBUG."""

import logging

from fastapi.testclient import TestClient

from app.api.main import create_api
from app.core import db
from app.services.identity import tokens
from app.services.messaging import email as email_service
from tests.factories import make_user, make_workspace


def test_credentials_never_reach_the_logs(app_env, session, caplog, capfd, monkeypatch):
    mails = []
    # The invitation service calls messaging.email.send_template at send time: stand in for it there.
    monkeypatch.setattr(email_service, "send_template", lambda s, to, template, context: mails.append(context))
    caplog.set_level(logging.DEBUG)
    user = make_user(session)
    ws = make_workspace(session, user)
    with db.session_scope() as s:
        pair = tokens.issue(s, user.id)
    secrets_seen = [pair.access_token, pair.refresh_token]
    with TestClient(create_api()) as client:
        h = {"Authorization": f"Bearer {pair.access_token}"}
        rotated = client.post("/api/auth/refresh", json={"refresh_token": pair.refresh_token}).json()
        secrets_seen += [rotated["access_token"], rotated["refresh_token"]]
        key = client.post("/api/api-keys", headers=h, json={
            "workspace_id": str(ws.id), "name": "k", "scopes": ["posts:read"]}).json()["key"]
        secrets_seen.append(key)
        client.get(f"/api/workspaces/{ws.id}", headers={"X-API-Key": key})
        client.get("/api/workspaces", headers={"Authorization": "Bearer qc_wrong_key_value"})
        client.post(f"/api/workspaces/{ws.id}/invitations", headers=h, json={"email": "x@example.test",
                                                                             "role": "viewer"})
        secrets_seen.append(mails[0]["accept_url"].split("token=")[1])
        # Last: a reuse is logged as such, and ends the family (and `h`) for good.
        client.post("/api/auth/refresh", json={"refresh_token": pair.refresh_token})
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert logged  # something was logged (DEBUG), so the check below means something
    leaked = [s[:12] for s in secrets_seen if s in logged]
    assert leaked == []
