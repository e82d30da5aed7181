"""From a channel row to its connector. The publishing engine calls `connector_for`.

Contract (other slices rely on it): `connector_for(channel, credentials) -> Connector` where
`credentials` is the channel's decrypted credentials dict; `NETWORK_LIMITS[network] -> Limits` are the
defaults before a channel has read its own (e.g. a Mastodon instance's maximum).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from app.connectors import bluesky, discord, linkedin, mastodon, matrix, telegram, webhook, x
from app.connectors.base import Connector, Limits
from models import Channel

Factory = Callable[..., Connector]

FACTORIES: dict[str, Factory] = {
    "bluesky": bluesky.BlueskyConnector,
    "matrix": matrix.MatrixConnector,
    "mastodon": mastodon.MastodonConnector,
    "x": x.XConnector,
    "linkedin": linkedin.LinkedInConnector,
    "telegram": telegram.TelegramConnector,
    "discord": discord.DiscordConnector,
    "webhook": webhook.WebhookConnector,
}

NETWORK_LIMITS: dict[str, Limits] = {
    "bluesky": bluesky.LIMITS,
    "matrix": matrix.LIMITS,
    "mastodon": mastodon.DEFAULT_LIMITS,
    "x": x.LIMITS,
    "linkedin": linkedin.LIMITS,
    "telegram": telegram.LIMITS,
    "discord": discord.LIMITS,
    "webhook": webhook.LIMITS,
}


class UnknownNetwork(ValueError):
    pass


def build(
    network: str,
    credentials: dict[str, Any],
    settings: dict[str, Any] | None = None,
    client: httpx.Client | None = None,
) -> Connector:
    """A connector for a network before any channel row exists (used when connecting)."""
    try:
        factory = FACTORIES[network]
    except KeyError:
        raise UnknownNetwork(f"unknown network {network!r}; choose one of: {', '.join(FACTORIES)}") from None
    return factory(credentials, settings or {}, client=client)


def connector_for(channel: Channel, credentials: dict[str, Any]) -> Connector:
    """The connector that publishes to `channel` with its decrypted `credentials`."""
    settings = dict(channel.settings or {})
    if channel.network == "matrix":
        settings.setdefault("room_id", channel.account)
    return build(channel.network, credentials, settings)
