"""Connecting X and Mastodon channels through the network's own sign-in page (OAuth 2.0 code flow).

`start_oauth` returns the URL to send the admin to and keeps what the callback needs (PKCE verifier,
Mastodon app secret) encrypted in Redis for ten minutes under a random `state`. `finish_oauth` takes
that state exactly once (GETDEL), so a replayed or forged callback connects nothing.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlmodel import Session

from app.connectors import catalogue, oauth
from app.connectors.base import ConnectorError, TransientError
from app.core import crypto
from app.core.config import get_settings
from app.core.redis import get_redis
from app.services.channels import channels, public_endpoints
from app.services.errors import ValidationFailed
from app.services.tenancy import permissions
from models import Channel

STATE_TTL_SECONDS = 600
OAUTH_NETWORKS = catalogue.connectable("oauth")
CALLBACK_PATH = "/channels/oauth/callback"


def _key(state: str) -> str:
    return f"quillcast:oauth-state:{state}"


def redirect_uri() -> str:
    return get_settings().url.rstrip("/") + CALLBACK_PATH


def _check_instance(instance: str | None) -> str:
    value = (instance or "").strip().rstrip("/")
    if value and "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises on a malformed port
        valid_port = True
    except ValueError:
        valid_port = False
    host_ok = bool(re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", parts.hostname or ""))
    if (
        parts.scheme != "https"
        or not host_ok
        or not valid_port
        or parts.username
        or parts.path
        or parts.query
        or parts.fragment
    ):
        raise ValidationFailed("give the Mastodon server's address, e.g. mastodon.social", field="instance")
    return value


def start_oauth(
    session: Session,
    *,
    user_id: uuid.UUID,
    workspace_id: uuid.UUID,
    network: str,
    instance: str | None = None,
    client: httpx.Client | None = None,
) -> str:
    """The network's authorization URL for this admin to open."""
    permissions.require(session, user_id, workspace_id, "channel:manage")
    if network not in OAUTH_NETWORKS:
        raise ValidationFailed(
            f"{network!r} does not connect through a sign-in page; give its credentials instead",
            field="network",
        )
    state = secrets.token_urlsafe(32)
    pending: dict[str, Any] = {"user_id": str(user_id), "workspace_id": str(workspace_id), "network": network}
    if network == "x":
        settings = get_settings()
        if not settings.x_client_id:
            raise ValidationFailed(
                "X is not set up on this server: an operator must set X_CLIENT_ID", field="network"
            )
        verifier, challenge = oauth.pkce_pair()
        pending["verifier"] = verifier
        url = oauth.x_authorize_url(settings.x_client_id, redirect_uri(), state, challenge)
    else:
        base = _check_instance(instance)
        public_endpoints.check_endpoints({"instance": base}, {})
        try:
            app = oauth.mastodon_register_app(base, redirect_uri(), get_settings().public_url, client=client)
        except ConnectorError as exc:
            raise (channels.NetworkUnavailable if isinstance(exc, TransientError) else ValidationFailed)(
                f"{base} did not let Quillcast register: {exc.message}", field="instance"
            ) from exc
        pending.update(instance=base, **app)
        url = oauth.mastodon_authorize_url(base, app["client_id"], redirect_uri(), state)
    get_redis().set(_key(state), crypto.encrypt(json.dumps(pending)), ex=STATE_TTL_SECONDS)
    return url


def finish_oauth(
    session: Session, *, user_id: uuid.UUID, state: str, code: str, client: httpx.Client | None = None
) -> Channel:
    """Exchange the code from the callback and connect the channel (verified like any other)."""
    raw = get_redis().getdel(_key(state or "")) if state else None
    if not raw:
        raise ValidationFailed(
            "this sign-in link has expired or was already used; start connecting again", field="state"
        )
    pending = json.loads(crypto.decrypt(str(raw)))
    if pending["user_id"] != str(user_id):
        raise ValidationFailed(
            "this sign-in was started by someone else; start connecting again", field="state"
        )
    if not code or len(code) > 2048:
        raise ValidationFailed("the network sent no authorization code; start connecting again", field="code")
    workspace_id = uuid.UUID(pending["workspace_id"])
    try:
        if pending["network"] == "x":
            settings = get_settings()
            assert settings.x_client_id
            credentials = oauth.x_exchange_code(
                settings.x_client_id,
                settings.x_client_secret,
                code,
                redirect_uri(),
                pending["verifier"],
                client=client,
            )
        else:
            credentials = oauth.mastodon_exchange_code(
                pending["instance"],
                pending["client_id"],
                pending["client_secret"],
                code,
                redirect_uri(),
                client=client,
            )
    except TransientError as exc:
        raise channels.NetworkUnavailable(f"{exc.message}; start connecting again", field="code") from exc
    except ConnectorError as exc:
        raise ValidationFailed(f"the network refused the sign-in: {exc.message}", field="code") from exc
    return channels.connect_channel(
        session,
        user_id=user_id,
        workspace_id=workspace_id,
        network=pending["network"],
        credentials=credentials,
        client=client,
    )
