"""Connecting X and Mastodon through their sign-in pages. The networks cannot run here: their OAuth
endpoints are tested against the request/response shapes of their official documentation (respx);
the pending state lives in the real Redis of the test run."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import respx

from app.core.config import get_settings
from app.services.channels import channel_credentials, channel_oauth
from app.services.errors import PermissionDenied, ValidationFailed
from models import Membership
from tests.factories import make_user, make_workspace

MASTO = "https://mastodon.example"


@pytest.fixture()
def owner(session):
    return make_user(session)


@pytest.fixture()
def workspace(session, owner):
    return make_workspace(session, owner)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@respx.mock
def test_mastodon_sign_in_registers_an_app_and_connects_the_channel(session, owner, workspace):
    """Documented shapes (docs.joinmastodon.org): POST /api/v1/apps, GET /oauth/authorize,
    POST /oauth/token, then verify_credentials and /api/v1/instance."""
    apps = respx.post(f"{MASTO}/api/v1/apps").respond(200, json={"client_id": "cid", "client_secret": "csec"})
    token = respx.post(f"{MASTO}/oauth/token").respond(
        200,
        json={
            "access_token": "at-1",
            "token_type": "Bearer",
            "scope": "read:accounts write:statuses write:media",
            "created_at": 1573979017,
        },
    )
    respx.get(f"{MASTO}/api/v1/accounts/verify_credentials").respond(200, json={"id": "9", "acct": "ada"})
    respx.get(f"{MASTO}/api/v1/instance").respond(
        200, json={"configuration": {"statuses": {"max_characters": 1000}}}
    )

    url = channel_oauth.start_oauth(
        session, user_id=owner.id, workspace_id=workspace.id, network="mastodon", instance="mastodon.example"
    )
    q = query(url)
    assert url.startswith(f"{MASTO}/oauth/authorize?")
    assert q["client_id"] == "cid" and q["redirect_uri"] == channel_oauth.redirect_uri()
    assert "write:statuses" in q["scope"] and q["state"]
    assert "redirect_uris" in apps.calls[0].request.content.decode()

    ch = channel_oauth.finish_oauth(session, user_id=owner.id, state=q["state"], code="the-code")
    assert (ch.network, ch.account, ch.settings["limits"]["max_chars"]) == (
        "mastodon",
        "@ada@mastodon.example",
        1000,
    )
    assert channel_credentials.credentials_of(ch) == {"instance": MASTO, "access_token": "at-1"}
    sent = parse_qs(token.calls[0].request.content.decode())
    assert sent["code"] == ["the-code"] and sent["client_secret"] == ["csec"]

    with pytest.raises(ValidationFailed) as err:  # the same callback again: the state is single use
        channel_oauth.finish_oauth(session, user_id=owner.id, state=q["state"], code="the-code")
    assert err.value.field == "state" and "already used" in err.value.message


@respx.mock
def test_x_sign_in_uses_pkce_and_stores_the_refresh_token(session, owner, workspace, monkeypatch):
    """Documented shapes (docs.x.com OAuth 2.0 Authorization Code with PKCE): authorize URL with
    code_challenge S256; POST /2/oauth2/token with code_verifier; GET /2/users/me."""
    monkeypatch.setenv("X_CLIENT_ID", "x-client")
    get_settings.cache_clear()
    try:
        token = respx.post("https://api.x.com/2/oauth2/token").respond(
            200,
            json={
                "token_type": "bearer",
                "expires_in": 7200,
                "access_token": "x-at",
                "refresh_token": "x-rt",
                "scope": "tweet.write users.read tweet.read offline.access media.write",
            },
        )
        respx.get("https://api.x.com/2/users/me").respond(
            200, json={"data": {"id": "42", "name": "Ada", "username": "ada"}}
        )
        url = channel_oauth.start_oauth(session, user_id=owner.id, workspace_id=workspace.id, network="x")
        q = query(url)
        assert url.startswith("https://x.com/i/oauth2/authorize?") and q["code_challenge_method"] == "S256"
        assert "offline.access" in q["scope"]

        ch = channel_oauth.finish_oauth(session, user_id=owner.id, state=q["state"], code="c0de")
        form = parse_qs(token.calls[0].request.content.decode())
        verifier = form["code_verifier"][0]
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        assert challenge == q["code_challenge"]  # the verifier kept server-side matches the challenge sent
        assert ch.account == "@ada"
        creds = channel_credentials.credentials_of(ch)
        assert creds["refresh_token"] == "x-rt" and creds["client_id"] == "x-client"
    finally:
        get_settings.cache_clear()


def test_x_without_an_app_configured_says_what_the_operator_must_set(session, owner, workspace, monkeypatch):
    monkeypatch.delenv("X_CLIENT_ID", raising=False)
    get_settings.cache_clear()
    with pytest.raises(ValidationFailed) as err:
        channel_oauth.start_oauth(session, user_id=owner.id, workspace_id=workspace.id, network="x")
    assert "X_CLIENT_ID" in err.value.message


@respx.mock
def test_a_callback_for_someone_elses_sign_in_connects_nothing(session, owner, workspace):
    respx.post(f"{MASTO}/api/v1/apps").respond(200, json={"client_id": "cid", "client_secret": "csec"})
    url = channel_oauth.start_oauth(
        session, user_id=owner.id, workspace_id=workspace.id, network="mastodon", instance=MASTO
    )
    intruder = make_user(session)
    with pytest.raises(ValidationFailed) as err:
        channel_oauth.finish_oauth(session, user_id=intruder.id, state=query(url)["state"], code="x")
    assert "someone else" in err.value.message
    with pytest.raises(ValidationFailed):
        channel_oauth.finish_oauth(session, user_id=owner.id, state="forged", code="x")


def test_bad_instance_and_roles(session, owner, workspace):
    for bad in ("http://insecure.example", "javascript:alert(1)", "https://a.example/path", ""):
        with pytest.raises(ValidationFailed) as err:
            channel_oauth.start_oauth(
                session, user_id=owner.id, workspace_id=workspace.id, network="mastodon", instance=bad
            )
        assert err.value.field == "instance"
    editor = make_user(session)
    session.add(Membership(workspace_id=workspace.id, user_id=editor.id, role="editor"))
    session.commit()
    with pytest.raises(PermissionDenied):
        channel_oauth.start_oauth(
            session, user_id=editor.id, workspace_id=workspace.id, network="mastodon", instance=MASTO
        )
