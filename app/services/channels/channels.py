"""Channels: connect a workspace to a network account, list, disconnect, re-connect, check content.

Credentials are checked by calling the network (e.g. Bluesky createSession) before anything is saved,
then stored encrypted (app.services.channels.channel_credentials keeps them at rest); servers the user
names must be public (app.services.channels.public_endpoints). Disconnecting keeps the row (status
`disabled`, credentials wiped) so posts waiting for it fail visibly with a reason instead of vanishing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from sqlmodel import Session, col, select

from app.connectors import registry
from app.connectors.base import (
    AuthError,
    ConnectorError,
    MediaItem,
    Problem,
    PublishRequest,
    TransientError,
    VerifiedAccount,
)
from app.connectors.catalogue import subject
from app.connectors.linkedin import version_alert
from app.core.config import get_settings
from app.services import audit
from app.services.channels.channel_credentials import encrypt_credentials
from app.services.channels.public_endpoints import check_endpoints
from app.services.errors import DomainError, NotFound, ValidationFailed
from app.services.tenancy import permissions
from models import NETWORKS, Channel, MediaAsset, PostTarget
from models.base import utcnow
from models.post import TARGET_PENDING

WAITING_STATUSES = TARGET_PENDING
MAX_NAME = 120


class NetworkUnavailable(DomainError):
    """The network could not be reached or answered with an error of its own: try again later."""

    status_code = 502
    code = "network_unavailable"


# --- connecting -----------------------------------------------------------------------------------
def _check_network(network: str) -> str:
    network = (network or "").strip().lower()
    if network not in NETWORKS:
        raise ValidationFailed(
            f"unknown network {network!r}; choose one of: {', '.join(NETWORKS)}", field="network"
        )
    return network


def _check_credentials_shape(credentials: Any) -> dict[str, Any]:
    if not isinstance(credentials, dict) or not credentials:
        raise ValidationFailed(
            "give the network's credentials (e.g. handle and app password)", field="credentials"
        )
    for k, v in credentials.items():
        if not isinstance(k, str) or not isinstance(v, str | int | float | bool) or len(str(v)) > 4096:
            raise ValidationFailed(
                f"credential {str(k)[:40]!r} must be a short text value", field="credentials"
            )
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in credentials.items()}


def _verify(
    network: str, credentials: dict[str, Any], settings: dict[str, Any], client: httpx.Client | None
) -> VerifiedAccount:
    """Ask the network whether the credentials work; turn its answer into an error the user can act on."""
    name = subject(network)
    check_endpoints(credentials, settings)
    try:
        return registry.build(network, credentials, settings, client=client).verify()
    except AuthError as exc:
        raise ValidationFailed(
            f"{name} refused these credentials: {exc.message}", field="credentials"
        ) from exc
    except TransientError as exc:
        raise NetworkUnavailable(
            f"{name} could not be reached to check the credentials ({exc.message}); try again in a minute",
            field="network",
        ) from exc
    except ConnectorError as exc:
        raise ValidationFailed(
            f"{name} did not accept the channel: {exc.message}", field="credentials"
        ) from exc


def _clean_name(name: str | None, fallback: str) -> str:
    name = (name or "").strip() or fallback
    if len(name) > MAX_NAME:
        raise ValidationFailed(
            f"the channel name has {len(name)} characters; use at most {MAX_NAME}", field="name"
        )
    return name


def connect_channel(
    session: Session,
    *,
    user_id: uuid.UUID,
    workspace_id: uuid.UUID,
    network: str,
    credentials: dict[str, Any],
    name: str | None = None,
    settings: dict[str, Any] | None = None,
    client: httpx.Client | None = None,
) -> Channel:
    """Verify with the network and save. Connecting the same account again re-connects its row
    (a double submit never makes two channels)."""
    permissions.require(session, user_id, workspace_id, "channel:manage")
    network = _check_network(network)
    credentials = _check_credentials_shape(credentials)
    verified = _verify(network, credentials, dict(settings or {}), client)
    channel = session.exec(
        select(Channel).where(
            Channel.workspace_id == workspace_id,
            Channel.network == network,
            Channel.account == verified.account,
        )
    ).first()
    created = channel is None
    if channel is None:
        channel = Channel(
            workspace_id=workspace_id,
            network=network,
            account=verified.account[:255],
            name=_clean_name(name, verified.account[:MAX_NAME]),
        )
    elif name is not None:
        channel.name = _clean_name(name, channel.name)
    channel.credentials = encrypt_credentials(verified.credentials)
    channel.settings = {**(settings or {}), **verified.settings}
    channel.status, channel.status_reason, channel.last_verified_at = "active", "", utcnow()
    session.add(channel)
    session.flush()
    audit.record(
        session,
        "channel.connected" if created else "channel.reconnected",
        actor_id=user_id,
        workspace_id=workspace_id,
        subject_type="channel",
        subject_id=channel.id,
        network=network,
    )
    session.flush()
    return channel


def get_channel(
    session: Session,
    *,
    user_id: uuid.UUID,
    workspace_id: uuid.UUID,
    channel_id: uuid.UUID,
    permission: str = "channel:read",
) -> Channel:
    permissions.require(session, user_id, workspace_id, permission)
    channel = session.get(Channel, channel_id)
    if channel is None or channel.workspace_id != workspace_id:
        raise NotFound("channel not found", field="channel_id")
    return channel


def list_channels(
    session: Session, *, user_id: uuid.UUID, workspace_id: uuid.UUID, include_disabled: bool = False
) -> Sequence[Channel]:
    permissions.require(session, user_id, workspace_id, "channel:read")
    query = select(Channel).where(Channel.workspace_id == workspace_id)
    if not include_disabled:
        query = query.where(Channel.status != "disabled")
    return session.exec(query.order_by(col(Channel.network), col(Channel.name))).all()


def reconnect_channel(
    session: Session,
    *,
    user_id: uuid.UUID,
    workspace_id: uuid.UUID,
    channel_id: uuid.UUID,
    credentials: dict[str, Any],
    client: httpx.Client | None = None,
) -> Channel:
    """New credentials for the same account (after a revoked token or a changed app password)."""
    channel = get_channel(
        session,
        user_id=user_id,
        workspace_id=workspace_id,
        channel_id=channel_id,
        permission="channel:manage",
    )
    credentials = _check_credentials_shape(credentials)
    verified = _verify(channel.network, credentials, dict(channel.settings or {}), client)
    if verified.account != channel.account:
        raise ValidationFailed(
            f"these credentials belong to {verified.account}, not {channel.account}; connect it as a new "
            "channel instead",
            field="credentials",
        )
    channel.credentials = encrypt_credentials(verified.credentials)
    channel.settings = {**(channel.settings or {}), **verified.settings}
    channel.status, channel.status_reason, channel.last_verified_at = "active", "", utcnow()
    session.add(channel)
    audit.record(
        session,
        "channel.reconnected",
        actor_id=user_id,
        workspace_id=workspace_id,
        subject_type="channel",
        subject_id=channel.id,
        network=channel.network,
    )
    session.flush()
    return channel


def waiting_targets(session: Session, channel_id: uuid.UUID) -> int:
    return len(
        session.exec(
            select(PostTarget.id).where(
                PostTarget.channel_id == channel_id, col(PostTarget.status).in_(WAITING_STATUSES)
            )
        ).all()
    )


def disconnect_channel(
    session: Session, *, user_id: uuid.UUID, workspace_id: uuid.UUID, channel_id: uuid.UUID
) -> int:
    """Disable the channel and wipe its credentials. Returns how many posts were waiting for it:
    they stay (and fail with a visible reason when due) rather than being deleted with the channel."""
    channel = get_channel(
        session,
        user_id=user_id,
        workspace_id=workspace_id,
        channel_id=channel_id,
        permission="channel:manage",
    )
    waiting = waiting_targets(session, channel.id)
    channel.status, channel.credentials = "disabled", ""
    channel.status_reason = "disconnected by a workspace admin; re-connect it to publish here again"
    session.add(channel)
    audit.record(
        session,
        "channel.disconnected",
        actor_id=user_id,
        workspace_id=workspace_id,
        subject_type="channel",
        subject_id=channel.id,
        network=channel.network,
        waiting_posts=waiting,
    )
    session.flush()
    return waiting


def channel_alerts(channel: Channel) -> list[str]:
    """Things an admin should act on before posts fail (e.g. a LinkedIn API version near its sunset)."""
    alerts = []
    if channel.status == "needs_reauth":
        alerts.append(f"{subject(channel.network)} needs re-connecting: {channel.status_reason}")
    if channel.network == "linkedin":
        alert = version_alert(get_settings().linkedin_api_version)
        if alert:
            alerts.append(alert)
    return alerts


# --- content ---------------------------------------------------------------------------------------
def media_item(asset: MediaAsset) -> MediaItem:
    return MediaItem(
        path=asset.storage_path,
        content_type=asset.content_type,
        alt_text=asset.alt_text,
        width=asset.width,
        height=asset.height,
        size_bytes=asset.size_bytes,
        name=asset.filename,
    )


def validate_content(
    network_or_channel: str | Channel,
    text: str,
    media: Sequence[MediaItem | MediaAsset] = (),
    thread: Sequence[str] = (),
    first_comment: str | None = None,
) -> list[Problem]:
    """Problems for this content on one network (or channel, with its own limits), each naming the
    network, the limit and the fix, e.g. "Bluesky allows 300 characters; this post has 312 — shorten
    it by 12"."""
    if isinstance(network_or_channel, Channel):
        network, settings = network_or_channel.network, dict(network_or_channel.settings or {})
    else:
        network, settings = _check_network(network_or_channel), {}
    items = tuple(media_item(m) if isinstance(m, MediaAsset) else m for m in media)
    request = PublishRequest(
        idempotency_key="validate", text=text, media=items, thread=tuple(thread), first_comment=first_comment
    )
    return registry.check(network, request, settings)
