"""OAuth 2.0 authorization-code flows for networks that connect through a browser: X (with PKCE,
a fixed app registered at X) and Mastodon (an app registered on the fly at each instance).

These are the network halves only (URLs, code exchange); the service keeps the pending state.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from app.connectors import catalogue
from app.connectors.base import AuthError
from app.connectors.http import new_client, raise_for_status, send
from app.connectors.x import TOKEN_URL

X_AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
X_SCOPES = "tweet.read tweet.write users.read media.write offline.access"
MASTODON_SCOPES = "read:accounts write:statuses write:media"


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) per RFC 7636: 43-128 unreserved characters, challenge = b64url(sha256)."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def x_authorize_url(client_id: str, redirect_uri: str, state: str, challenge: str) -> str:
    return (
        X_AUTHORIZE_URL
        + "?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": X_SCOPES,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )


def x_exchange_code(
    client_id: str,
    client_secret: str | None,
    code: str,
    redirect_uri: str,
    verifier: str,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Credentials for XConnector from the code X sent back to the redirect URI."""
    client = client or new_client()
    auth = httpx.BasicAuth(client_id, client_secret) if client_secret else None
    r = send(
        "x",
        client,
        "POST",
        TOKEN_URL,
        auth=auth,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": client_id,
        },
    )
    raise_for_status(catalogue.label("x"), r, is_auth_error=lambda resp, _b: resp.status_code in (400, 401))
    body = r.json()
    creds: dict[str, Any] = {
        "access_token": body["access_token"],
        "expires_at": time.time() + float(body.get("expires_in", 7200)),
        "client_id": client_id,
    }
    if body.get("refresh_token"):
        creds["refresh_token"] = body["refresh_token"]
    if client_secret:
        creds["client_secret"] = client_secret
    return creds


def mastodon_register_app(
    instance: str, redirect_uri: str, website: str | None = None, client: httpx.Client | None = None
) -> dict[str, str]:
    """POST /api/v1/apps on the instance: {client_id, client_secret} for this redirect URI."""
    client = client or new_client()
    data = {"client_name": "Quillcast", "redirect_uris": redirect_uri, "scopes": MASTODON_SCOPES}
    if website:
        data["website"] = website
    r = send("mastodon", client, "POST", f"{instance.rstrip('/')}/api/v1/apps", data=data)
    raise_for_status(catalogue.label("mastodon"), r)
    body = r.json()
    return {"client_id": body["client_id"], "client_secret": body["client_secret"]}


def mastodon_authorize_url(instance: str, client_id: str, redirect_uri: str, state: str) -> str:
    return f"{instance.rstrip('/')}/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": MASTODON_SCOPES,
            "state": state,
        }
    )


def mastodon_exchange_code(
    instance: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Credentials for MastodonConnector from the code the instance sent back."""
    client = client or new_client()
    r = send(
        "mastodon",
        client,
        "POST",
        f"{instance.rstrip('/')}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "scope": MASTODON_SCOPES,
        },
    )
    raise_for_status(catalogue.label("mastodon"), r,
                     is_auth_error=lambda resp, _b: resp.status_code in (400, 401))
    token = r.json().get("access_token")
    if not token:
        raise AuthError("Mastodon did not return an access token; start connecting again")
    return {"instance": instance.rstrip("/"), "access_token": token}
