"""A channel's credentials at rest and their upkeep: encrypted with app.core.crypto, decrypted only to build
its connector, re-encrypted when a key is added, saved again when a network rotates a token, and the
channel marked `needs_reauth` when the network refuses them. They are never logged, audited or returned by
the API. Connecting a channel is app.services.channels.channels; the publishing engine's connector seam
(and the tokens rotated during a publish or an engagement read) is app.services.channels.connector.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from sqlmodel import Session, col, select

from app.connectors import registry
from app.connectors.base import AuthError, Connector
from app.core import crypto
from app.services import audit
from models import Channel
from models.base import utcnow


def encrypt_credentials(credentials: dict[str, Any]) -> str:
    return crypto.encrypt(json.dumps(credentials, separators=(",", ":")))


def credentials_of(channel: Channel) -> dict[str, Any]:
    """The channel's decrypted credentials ({} when disconnected)."""
    if not channel.credentials:
        return {}
    value = json.loads(crypto.decrypt(channel.credentials))
    return value if isinstance(value, dict) else {}


def connector_of(channel: Channel) -> Connector:
    """The connector for a stored channel (what the publishing engine uses)."""
    return registry.connector_for(channel, credentials_of(channel))


def save_refreshed_credentials(session: Session, channel: Channel, credentials: dict[str, Any]) -> None:
    """Store credentials a connector refreshed (a rotated token); the caller commits."""
    channel.credentials = encrypt_credentials(credentials)
    channel.last_verified_at = utcnow()
    session.add(channel)


def mark_needs_reauth(session: Session, channel: Channel, reason: str) -> None:
    """The network refused the credentials: keep the row, say why, and wait for a re-connect."""
    channel.status = "needs_reauth"
    channel.status_reason = reason[:500]
    session.add(channel)
    audit.record(
        session,
        "channel.needs_reauth",
        workspace_id=channel.workspace_id,
        subject_type="channel",
        subject_id=channel.id,
        network=channel.network,
    )


@dataclass
class Rotation:
    rotated: int = 0
    unreadable: list[uuid.UUID] = field(default_factory=list)  # made with a key no longer configured


def rotate_credentials(session: Session, batch_size: int = 200) -> Rotation:
    """Re-encrypt every channel's credentials with the newest key of ENCRYPTION_KEYS (after adding a
    key in front). Remove the old key only once `unreadable` is empty."""
    result = Rotation()
    last_id: uuid.UUID | None = None
    while True:
        query = select(Channel).where(Channel.credentials != "").order_by(col(Channel.id)).limit(batch_size)
        if last_id is not None:
            query = query.where(col(Channel.id) > last_id)
        rows = session.exec(query).all()
        if not rows:
            return result
        for channel in rows:
            try:
                channel.credentials = crypto.rotate(channel.credentials)
            except InvalidToken:
                result.unreadable.append(channel.id)
                continue
            session.add(channel)
            result.rotated += 1
        last_id = rows[-1].id
        session.commit()  # batch by batch: a long run that stops keeps what it rotated


def ready_connector(session: Session, channel: Channel) -> Connector:
    """The channel's connector with fresh credentials, for the publishing engine.

    Expired tokens are refreshed before use and the new ones saved (committed). Credentials the network
    refuses mark the channel `needs_reauth` with the network's words (committed) and raise AuthError,
    which the engine records as a permanent failure naming what to do.
    """
    connector = connector_of(channel)
    try:
        fresh = connector.refresh_credentials()
    except AuthError as exc:
        mark_needs_reauth(session, channel, exc.message)
        session.commit()  # the channel stays marked although the caller's unit rolls back
        raise
    if fresh:
        save_refreshed_credentials(session, channel, fresh)
        session.commit()  # the network already dropped the old token: the new one must outlive a failure
    return connector


def keep_refreshed(session: Session, channel: Channel, connector: Connector) -> None:
    """After a publish: save credentials the connector refreshed on the way (e.g. a rotated token)."""
    fresh = connector.refresh_credentials()
    if fresh:
        save_refreshed_credentials(session, channel, fresh)
        session.commit()  # the network already dropped the old token: the new one must outlive what follows
