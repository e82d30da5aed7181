"""A channel's connector with its credentials: the seam that chooses connectors (tests and peers plug
in their own), decrypting the stored credentials, and keeping the tokens a connector refreshed."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import text

from app.connectors.base import AuthError, Connector, TransientError
from app.core import crypto, db
from app.core.config import get_settings
from models import Channel

ConnectorResolver = Callable[[Channel, dict[str, Any]], Connector]
_resolver_override: ConnectorResolver | None = None


# --- the connector seam ---
def set_connector_resolver(resolver: ConnectorResolver | None) -> None:
    """Use `resolver` in this process instead of the CONNECTOR_RESOLVER setting (None restores it).

    Other processes (workers) read the setting: CONNECTOR_RESOLVER="module:function".
    """
    global _resolver_override
    _resolver_override = resolver


@lru_cache
def _load_resolver(path: str) -> ConnectorResolver:
    module_name, _, attr = path.partition(":")
    fn: ConnectorResolver = getattr(importlib.import_module(module_name), attr or "connector_for")
    return fn


def connector_for(channel: Channel) -> Connector:
    """The channel's connector with its decrypted credentials (never logged)."""
    resolver = _resolver_override or _load_resolver(get_settings().connector_resolver)
    credentials = json.loads(crypto.decrypt(channel.credentials)) if channel.credentials else {}
    return resolver(channel, credentials)


def connector_or_error(channel: Channel) -> Connector:
    """`connector_for`, its failures told as the publishing errors they mean."""
    try:
        return connector_for(channel)
    except ImportError as exc:
        # A deployment without the connector yet: wait for it rather than fail the user's post.
        raise TransientError(f"no connector is installed for {channel.network} yet ({exc})") from exc
    except crypto.DecryptionFailed as exc:
        raise AuthError(f"the {channel.network} credentials cannot be read: reconnect the channel") from exc


def save_rotated_credentials(channel: Channel, connector: Connector) -> None:
    """Keep tokens the connector refreshed while publishing (Bluesky rotates its refresh token on every
    use): without this the next publish starts from a used token and falls back to a rate-limited login."""
    try:
        fresh = connector.refresh_credentials()
    except Exception:  # noqa: BLE001 - the post is out; a failed check changes nothing stored
        return
    if fresh:
        with db.session_scope() as session:
            session.connection().execute(
                text("UPDATE channels SET credentials = :c, last_verified_at = now() WHERE id = :id"),
                {"c": crypto.encrypt(json.dumps(fresh)), "id": channel.id})


def try_refresh(channel: Channel) -> bool:
    """New credentials on the channel row (not yet saved) when the connector can refresh them."""
    try:
        fresh = connector_or_error(channel).refresh_credentials()
    except Exception:  # noqa: BLE001 - a refresh that fails means the user must reconnect
        return False
    if not fresh:
        return False
    channel.credentials = crypto.encrypt(json.dumps(fresh))
    return True
