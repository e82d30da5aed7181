"""The workspaces REST API: the same rules as the service, answered as 4xx JSON naming the field."""


import pytest
from fastapi.testclient import TestClient

from app.api.main import create_api
from app.core import db
from app.services.identity import tokens
from app.services.messaging import email as email_service
from models import Membership
from tests.factories import make_user


@pytest.fixture()
def client(app_env):
    with TestClient(create_api()) as c:
        yield c


@pytest.fixture()
def mailbox(monkeypatch):
    """Stands in for the e-mail service of another slice: `send_template(session, to, template, context)`."""
    sent = []
    # The invitation service calls messaging.email.send_template at send time: stand in for it there.
    monkeypatch.setattr(email_service, "send_template", lambda session, to, template, context: sent.append((to, template, context)))
    return sent


def auth(user):
    with db.session_scope() as s:
        return {"Authorization": f"Bearer {tokens.issue(s, user.id).access_token}"}


def test_create_rename_and_bad_timezone(client, session):
    owner = make_user(session)
    h = auth(owner)
    res = client.post("/api/workspaces", headers=h,
                      json={"name": "<script>x</script> Ωmega", "timezone": "Asia/Tokyo"})
    assert res.status_code == 201, res.text
    ws = res.json()
    assert (ws["name"], ws["role"], ws["timezone"]) == ("<script>x</script> Ωmega", "owner", "Asia/Tokyo")
    bad = client.patch(f"/api/workspaces/{ws['id']}", headers=h, json={"timezone": "Mars/Base"})
    assert bad.status_code == 422
    message = "timezone: 'Mars/Base' is not a time zone; use an IANA name such as Europe/Paris"
    assert bad.json()["problems"] == [{"field": "timezone", "code": "validation_failed", "message": message}]
    ok = client.patch(f"/api/workspaces/{ws['id']}", headers=h, json={"name": "Omega"})
    assert ok.json()["name"] == "Omega"
    assert [w["name"] for w in client.get("/api/workspaces", headers=h).json()] == ["Omega"]


def test_viewer_gets_403_and_outsider_404(client, session):
    owner, viewer, outsider = make_user(session), make_user(session), make_user(session)
    ws = client.post("/api/workspaces", headers=auth(owner), json={"name": "Team"}).json()
    session.add(Membership(workspace_id=ws["id"], user_id=viewer.id, role="viewer"))
    session.commit()
    assert client.get(f"/api/workspaces/{ws['id']}", headers=auth(viewer)).status_code == 200
    renamed = client.patch(f"/api/workspaces/{ws['id']}", headers=auth(viewer), json={"name": "x"})
    assert renamed.status_code == 403
    assert client.get(f"/api/workspaces/{ws['id']}", headers=auth(outsider)).status_code == 404
    assert client.get("/api/workspaces/not-a-uuid", headers=auth(owner)).status_code == 422


def test_invite_accept_and_change_role_over_http(client, session, mailbox):
    owner, newbie = make_user(session), make_user(session)
    ws = client.post("/api/workspaces", headers=auth(owner), json={"name": "Team"}).json()
    res = client.post(f"/api/workspaces/{ws['id']}/invitations", headers=auth(owner),
                      json={"email": newbie.email, "role": "viewer"})
    assert res.status_code == 201, res.text
    assert "token" not in res.json()  # the token travels in the mail only
    token = mailbox[0][2]["accept_url"].split("token=")[1]
    pending = client.get(f"/api/workspaces/{ws['id']}/invitations", headers=auth(owner)).json()
    assert [p["email"] for p in pending] == [newbie.email]

    joined = client.post("/api/invitations/accept", headers=auth(newbie), json={"token": token})
    assert joined.json() == {"workspace_id": ws["id"], "role": "viewer"}
    again = client.post("/api/invitations/accept", headers=auth(newbie), json={"token": token})
    assert again.status_code == 409 and again.json()["problems"][0]["field"] == "token"

    members = client.get(f"/api/workspaces/{ws['id']}/members", headers=auth(newbie)).json()
    assert sorted(m["role"] for m in members) == ["owner", "viewer"]
    promoted = client.patch(f"/api/workspaces/{ws['id']}/members/{newbie.id}", headers=auth(owner),
                            json={"role": "editor"})
    assert promoted.json()["role"] == "editor"
    last = client.patch(f"/api/workspaces/{ws['id']}/members/{owner.id}", headers=auth(owner),
                        json={"role": "admin"})
    assert last.status_code == 409 and "last owner" in last.json()["message"]
    removed = client.delete(f"/api/workspaces/{ws['id']}/members/{newbie.id}", headers=auth(owner))
    assert removed.status_code == 204


def test_audit_log_is_for_admins_and_pages_newest_first(client, session):
    owner, editor = make_user(session), make_user(session)
    h = auth(owner)
    ws = client.post("/api/workspaces", headers=h, json={"name": "Audited"}).json()
    session.add(Membership(workspace_id=ws["id"], user_id=editor.id, role="editor"))
    session.commit()
    for name in ("One", "Two", "Three"):
        client.patch(f"/api/workspaces/{ws['id']}", headers=h, json={"name": name})
    log = client.get(f"/api/workspaces/{ws['id']}/audit", headers=h).json()
    assert [e["action"] for e in log] == ["workspace.renamed"] * 3 + ["workspace.created"]
    assert log[0]["details"] == {"old": "Two", "new": "Three"} and log[0]["actor_email"] == owner.email
    renames = client.get(f"/api/workspaces/{ws['id']}/audit?action=workspace.ren&limit=2", headers=h).json()
    assert [e["details"]["new"] for e in renames] == ["Three", "Two"]
    older = client.get(f"/api/workspaces/{ws['id']}/audit", headers=h,
                       params={"before": renames[-1]["created_at"], "action": "workspace.renamed"}).json()
    assert [e["details"]["new"] for e in older] == ["One"]
    assert client.get(f"/api/workspaces/{ws['id']}/audit", headers=auth(editor)).status_code == 403
    assert client.get(f"/api/workspaces/{ws['id']}/audit?limit=5000", headers=h).status_code == 422


def test_instance_audit_log_is_for_instance_admins_only(client, session):
    admin, someone = make_user(session, is_admin=True), make_user(session)
    # Something happened in a workspace the admin is not a member of.
    ws = client.post("/api/workspaces", headers=auth(someone), json={"name": "Private"}).json()
    log = client.get("/api/admin/audit?action=workspace.created&limit=200", headers=auth(admin))
    assert log.status_code == 200
    assert any(e["actor_email"] == someone.email and e["subject_id"] == ws["id"] for e in log.json())
    denied = client.get("/api/admin/audit", headers=auth(someone))
    assert denied.status_code == 403 and "instance administrators" in denied.json()["message"]
    # Ordinary members still see only their own workspaces' entries through RLS.
    own = client.get(f"/api/workspaces/{ws['id']}/audit", headers=auth(admin))
    assert own.status_code == 404


def test_openapi_marks_protected_operations_with_both_schemes(client):
    ops = client.get("/api/openapi.json").json()["paths"]
    security = ops["/api/workspaces"]["get"]["security"]
    assert {"AccessToken": []} in security and {"ApiKey": []} in security
    assert "security" not in ops["/api/auth/refresh"]["post"]
