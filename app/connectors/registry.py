"""From a channel row to its connector. The publishing engine calls `connector_for`.

Contract (other slices rely on it): `connector_for(channel, credentials) -> Connector` where
`credentials` is the channel's decrypted credentials dict; `NETWORK_LIMITS[network] -> Limits` are the
defaults before a channel has read its own (e.g. a Mastodon instance's maximum). The facts about each
network (label, limits, capabilities, how it counts) are in `catalogue`; this module adds its class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import httpx

from app.connectors import (
    bluesky,
    catalogue,
    checks,
    discord,
    linkedin,
    mastodon,
    matrix,
    telegram,
    webhook,
    x,
)
from app.connectors.base import AuthError, Connector, Limits, Problem, PublishRequest
from app.connectors.catalogue import UnknownNetwork
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

# Networks that report engagement (read where the analytics and the engagement sync import it from).
ENGAGEMENT_NETWORKS = catalogue.ENGAGEMENT_NETWORKS
NETWORK_LIMITS: dict[str, Limits] = {name: n.limits for name, n in catalogue.NETWORKS.items()}

# How each network counts characters (validation without credentials, e.g. while composing).
COUNTERS: dict[str, Callable[[str], int]] = {name: n.count for name, n in catalogue.NETWORKS.items()}


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
    """The connector that publishes to `channel` with its decrypted `credentials`.

    A disconnected channel raises AuthError (a permanent error naming what to do), so a post that was
    waiting for it fails visibly instead of silently.
    """
    if channel.status == "disabled":
        raise AuthError(
            f"the {catalogue.label(channel.network)} channel {channel.name!r} was disconnected; "
            "re-connect it or choose another channel for this post"
        )
    settings = dict(channel.settings or {})
    if channel.network == "matrix":
        settings.setdefault("room_id", channel.account)
    return build(channel.network, credentials, settings)


def limits_for(network: str, settings: dict[str, Any] | None = None) -> Limits:
    """The network's limits, overlaid with a channel's own when it read them from its server
    (a Mastodon instance's maximum, a Matrix homeserver's upload size)."""
    defaults = catalogue.get(network).limits
    stored = (settings or {}).get("limits")
    if network == "mastodon" and stored:
        return mastodon.merge_limits(stored)
    if isinstance(stored, dict) and stored:
        known = {f.name for f in dataclasses.fields(Limits)}
        overrides: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in stored.items() if k in known
        }
        return dataclasses.replace(defaults, **overrides)
    return defaults


def check(network: str, request: PublishRequest, settings: dict[str, Any] | None = None) -> list[Problem]:
    """Every content problem for `network`, each naming the limit and the fix."""
    limits = limits_for(network, settings)
    return checks.text_problems(
        network, limits, request, count=catalogue.get(network).count
    ) + checks.media_problems(network, limits, request.media)
