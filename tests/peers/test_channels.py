"""Connecting channels (service and REST API) against the real Bluesky PDS and a real webhook receiver."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from app.api.main import create_api
from app.connectors.base import PublishRequest
from app.services.channels import channel_credentials, channels
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from models import AuditLog, Channel, Membership
from tests.accounts_support import access_token_for
from tests.factories import make_channel, make_target, make_user, make_workspace
from tests.peers.receiver import WebhookReceiver

pytestmark = pytest.mark.peers


@pytest.fixture()
def owner(session):
    return make_user(session)


@pytest.fixture()
def workspace(session, owner):
    return make_workspace(session, owner)


@pytest.fixture()
def account(bluesky_pds):
    return bluesky_pds.create_account()


def bluesky_creds(pds, account, password=None):
    return {
        "service": pds.url,
        "identifier": account.handle,
        "app_password": password or account.app_password,
    }


def test_connect_verifies_with_the_pds_and_stores_credentials_encrypted(
    session, owner, workspace, bluesky_pds, account
):
    ch = channels.connect_channel(
        session,
        user_id=owner.id,
        workspace_id=workspace.id,
        network="bluesky",
        credentials=bluesky_creds(bluesky_pds, account),
    )
    assert (ch.network, ch.account, ch.status, ch.name) == (
        "bluesky",
        account.handle,
        "active",
        account.handle,
    )
    raw = session.execute(text("SELECT credentials FROM channels WHERE id = :id"), {"id": ch.id}).scalar()
    assert account.app_password not in raw and "app_password" not in raw
    assert channel_credentials.credentials_of(ch)["app_password"] == account.app_password
    # The stored channel publishes through the registry with its decrypted credentials.
    result = channel_credentials.connector_of(ch).publish(PublishRequest(idempotency_key="via-channel", text="hi"))
    assert result.remote_id.startswith(f"at://{account.did}/")
    audit = session.exec(select(AuditLog).where(AuditLog.subject_id == str(ch.id))).all()
    assert [a.action for a in audit] == ["channel.connected"]
    assert account.app_password not in str(audit[0].details)


def test_connecting_the_same_account_twice_keeps_one_channel(session, owner, workspace, bluesky_pds, account):
    creds = bluesky_creds(bluesky_pds, account)
    a = channels.connect_channel(
        session, user_id=owner.id, workspace_id=workspace.id, network="bluesky", credentials=creds
    )
    b = channels.connect_channel(
        session,
        user_id=owner.id,
        workspace_id=workspace.id,
        network="bluesky",
        credentials=creds,
        name="Main account",
    )
    assert a.id == b.id and b.name == "Main account"
    assert len(channels.list_channels(session, user_id=owner.id, workspace_id=workspace.id)) == 1


def test_wrong_app_password_is_refused_naming_the_field_and_nothing_is_saved(
    session, owner, workspace, bluesky_pds, account
):
    with pytest.raises(ValidationFailed) as err:
        channels.connect_channel(
            session,
            user_id=owner.id,
            workspace_id=workspace.id,
            network="bluesky",
            credentials=bluesky_creds(bluesky_pds, account, "wrong-pass-word"),
        )
    assert err.value.field == "credentials" and err.value.message.startswith(
        "Bluesky refused these credentials"
    )
    assert channels.list_channels(session, user_id=owner.id, workspace_id=workspace.id) == []


def test_unreachable_network_says_try_again(session, owner, workspace, account):
    creds = {"service": "http://127.0.0.1:9", "identifier": account.handle, "app_password": "x"}
    with pytest.raises(channels.NetworkUnavailable) as err:
        channels.connect_channel(
            session, user_id=owner.id, workspace_id=workspace.id, network="bluesky", credentials=creds
        )
    assert "try again" in err.value.message


def test_bad_input_is_refused_before_calling_any_network(session, owner, workspace):
    for network, creds, field in [
        ("myspace", {"a": "b"}, "network"),
        ("bluesky", {}, "credentials"),
        ("bluesky", {"identifier": "x" * 5000}, "credentials"),
    ]:
        with pytest.raises(ValidationFailed) as err:
            channels.connect_channel(
                session, user_id=owner.id, workspace_id=workspace.id, network=network, credentials=creds
            )
        assert err.value.field == field


def test_only_admins_connect_and_outsiders_see_nothing(session, workspace, bluesky_pds, account):
    editor = make_user(session)
    session.add(Membership(workspace_id=workspace.id, user_id=editor.id, role="editor"))
    session.commit()
    with pytest.raises(PermissionDenied):
        channels.connect_channel(
            session,
            user_id=editor.id,
            workspace_id=workspace.id,
            network="bluesky",
            credentials=bluesky_creds(bluesky_pds, account),
        )
    outsider = make_user(session)
    with pytest.raises(NotFound):
        channels.list_channels(session, user_id=outsider.id, workspace_id=workspace.id)


def test_reconnect_after_the_app_password_was_revoked(session, owner, workspace, bluesky_pds, account):
    ch = channels.connect_channel(
        session,
        user_id=owner.id,
        workspace_id=workspace.id,
        network="bluesky",
        credentials=bluesky_creds(bluesky_pds, account),
    )
    channel_credentials.mark_needs_reauth(session, ch, "Bluesky answered 401: AuthenticationRequired")
    session.commit()
    assert channels.channel_alerts(ch)[0].startswith("Bluesky needs re-connecting")
    ch = channels.reconnect_channel(
        session,
        user_id=owner.id,
        workspace_id=workspace.id,
        channel_id=ch.id,
        credentials=bluesky_creds(bluesky_pds, account),
    )
    assert (ch.status, ch.status_reason) == ("active", "")
    other = bluesky_pds.create_account()
    with pytest.raises(ValidationFailed) as err:
        channels.reconnect_channel(
            session,
            user_id=owner.id,
            workspace_id=workspace.id,
            channel_id=ch.id,
            credentials=bluesky_creds(bluesky_pds, other),
        )
    assert f"belong to {other.handle}, not {account.handle}" in err.value.message


def test_disconnect_keeps_waiting_posts_and_says_how_many(session, owner, workspace):
    ch = make_channel(session, workspace, network="webhook", account="hooks.example")
    make_target(session, ch)
    make_target(session, ch, status="draft")
    waiting = channels.disconnect_channel(
        session, user_id=owner.id, workspace_id=workspace.id, channel_id=ch.id
    )
    assert waiting == 1
    session.refresh(ch)
    assert (ch.status, ch.credentials) == ("disabled", "")
    assert channels.list_channels(session, user_id=owner.id, workspace_id=workspace.id) == []
    assert session.get(Channel, ch.id) is not None


# --- REST API -------------------------------------------------------------------------------------
@pytest.fixture()
def client(app_env):
    return TestClient(create_api())


def auth(user):
    return {"Authorization": f"Bearer {access_token_for(user.id)}"}


def test_api_connect_list_check_and_disconnect(client, session, owner, workspace, bluesky_pds, account):
    base = f"/api/workspaces/{workspace.id}/channels"
    r = client.post(
        base,
        headers=auth(owner),
        json={"network": "bluesky", "name": "Bluesky 🦋", "credentials": bluesky_creds(bluesky_pds, account)},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["account"] == account.handle and body["name"] == "Bluesky 🦋"
    assert "credentials" not in body and account.app_password not in r.text
    assert "access_jwt" not in r.text
    listed = client.get(base, headers=auth(owner)).json()
    assert [c["id"] for c in listed] == [body["id"]]

    check = client.post(
        f"{base}/check", headers=auth(owner), json={"channel_id": body["id"], "text": "a" * 312}
    )
    assert check.json()["ok"] is False
    assert check.json()["problems"][0]["message"] == (
        "Bluesky allows 300 characters; this post has 312 — shorten it by 12"
    )

    gone = client.delete(f"{base}/{body['id']}", headers=auth(owner))
    assert gone.status_code == 200 and gone.json()["waiting_posts"] == 0
    assert client.get(base, headers=auth(owner)).json() == []


def test_api_errors_name_the_field(client, owner, workspace, bluesky_pds, account):
    base = f"/api/workspaces/{workspace.id}/channels"
    r = client.post(
        base,
        headers=auth(owner),
        json={"network": "bluesky", "credentials": bluesky_creds(bluesky_pds, account, "nope")},
    )
    assert r.status_code == 422
    assert r.json()["problems"][0]["field"] == "credentials"
    r = client.post(base, headers=auth(owner), json={"network": "<script>", "credentials": {"a": "b"}})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "network"
    assert client.get(base).status_code == 401


def test_api_connects_a_webhook_channel_verified_by_a_signed_ping(client, owner, workspace):
    receiver = WebhookReceiver("the-shared-secret-0123").start()
    try:
        r = client.post(
            f"/api/workspaces/{workspace.id}/channels",
            headers=auth(owner),
            json={
                "network": "webhook",
                "credentials": {"url": receiver.url, "secret": "the-shared-secret-0123"},
            },
        )
        assert r.status_code == 201, r.text
        assert receiver.received[0].signature_ok and receiver.received[0].json["type"] == "ping"
    finally:
        receiver.stop()


def test_api_network_limits(client):
    limits = {n["network"]: n for n in client.get("/api/networks").json()}
    assert limits["bluesky"]["max_chars"] == 300 and limits["bluesky"]["max_text_bytes"] == 3000
    assert limits["telegram"]["max_caption_chars"] == 1024 and limits["discord"]["max_chars"] == 2000


def test_ready_connector_refreshes_and_saves_or_marks_needs_reauth(
    session, owner, workspace, bluesky_pds, account
):
    import httpx

    ch = channels.connect_channel(
        session,
        user_id=owner.id,
        workspace_id=workspace.id,
        network="bluesky",
        credentials=bluesky_creds(bluesky_pds, account),
    )
    stored = channel_credentials.credentials_of(ch)
    # The stored session has expired (an access token the PDS no longer takes): refreshed and saved.
    import base64
    import json as _json

    header, _payload, _sig = stored["access_jwt"].split(".")
    expired_payload = base64.urlsafe_b64encode(_json.dumps({"exp": 1}).encode()).decode().rstrip("=")
    ch.credentials = channel_credentials.encrypt_credentials({**stored, "access_jwt": f"{header}.{expired_payload}.x"})
    session.add(ch)
    session.commit()
    connector = channel_credentials.ready_connector(session, ch)
    session.refresh(ch)
    saved = channel_credentials.credentials_of(ch)
    # A new session: the refresh token rotated and the expired access token was replaced.
    assert saved["refresh_jwt"] != stored["refresh_jwt"] and not saved["access_jwt"].endswith(".x")
    assert connector.publish(PublishRequest(idempotency_key="after-refresh", text="ok")).remote_id

    # The user revokes the app password: the next refresh fails for good and the channel says why.
    httpx.post(
        f"{bluesky_pds.url}/xrpc/com.atproto.server.revokeAppPassword",
        json={"name": "quillcast"},
        headers={"Authorization": f"Bearer {account.access_jwt}"},
    ).raise_for_status()
    ch.credentials = channel_credentials.encrypt_credentials({**saved, "access_jwt": f"{header}.{expired_payload}.x"})
    session.add(ch)
    session.commit()
    from app.connectors.base import AuthError

    with pytest.raises(AuthError):
        channel_credentials.ready_connector(session, ch)
    session.refresh(ch)
    assert ch.status == "needs_reauth" and "re-connect" in ch.status_reason
