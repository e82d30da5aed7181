"""The network catalogue is the one table of network facts: the database's vocabulary, the connectors,
the UI's looks and every label shown agree with it."""

from __future__ import annotations

import pytest

from app.connectors import (
    bluesky,
    catalogue,
    discord,
    linkedin,
    mastodon,
    matrix,
    registry,
    telegram,
    webhook,
    x,
)
from app.connectors.base import Presence
from models.channel import NETWORKS

MODULES = {"bluesky": bluesky, "matrix": matrix, "mastodon": mastodon, "x": x, "linkedin": linkedin,
           "telegram": telegram, "discord": discord, "webhook": webhook}


def test_the_database_vocabulary_and_the_catalogue_name_the_same_networks_in_the_same_order():
    assert tuple(catalogue.NETWORKS) == NETWORKS
    assert all(name == entry.name for name, entry in catalogue.NETWORKS.items())


@pytest.mark.parametrize("network", NETWORKS)
def test_every_network_has_a_connector_that_uses_the_catalogues_limits(network):
    entry = catalogue.get(network)
    assert network in registry.FACTORIES
    module = MODULES[network]
    assert module.NETWORK == network and registry.FACTORIES[network].network == network
    limits = module.DEFAULT_LIMITS if network == "mastodon" else module.LIMITS
    assert limits is entry.limits
    assert registry.NETWORK_LIMITS[network] is entry.limits and registry.limits_for(network) is entry.limits
    assert registry.COUNTERS[network] is entry.count


def test_the_registry_knows_no_network_the_catalogue_does_not():
    assert set(registry.FACTORIES) == set(catalogue.NETWORKS)


def test_capabilities_read_from_the_catalogue():
    assert registry.ENGAGEMENT_NETWORKS == catalogue.ENGAGEMENT_NETWORKS == {"bluesky", "mastodon", "x"}
    assert {n for n, e in catalogue.NETWORKS.items() if e.video} == {"mastodon"}
    assert {n for n, e in catalogue.NETWORKS.items() if not e.threads} == {"linkedin", "discord"}
    assert {n for n, e in catalogue.NETWORKS.items() if e.lookup} == {"bluesky", "matrix"}
    assert {n for n, e in catalogue.NETWORKS.items() if e.idempotency} == {"bluesky", "matrix", "mastodon",
                                                                             "webhook"}


@pytest.mark.parametrize("network", ["x", "linkedin"])
def test_a_network_without_lookup_cannot_tell(network):
    assert not catalogue.get(network).lookup
    assert registry.FACTORIES[network]({}, {}).lookup("key").presence is Presence.UNKNOWN


def test_connect_forms():
    assert catalogue.connectable("form") == ("bluesky", "matrix", "telegram", "discord", "webhook")
    assert catalogue.connectable("oauth") == ("mastodon", "x")
    assert catalogue.connectable("api") == ("linkedin",)
    for entry in catalogue.NETWORKS.values():
        keys = [f.key for f in entry.fields]
        assert len(keys) == len(set(keys))
        if entry.connect == "form":
            assert entry.fields and entry.error_field in keys
        else:
            assert entry.error_field == "form"
    assert [f.key for f in catalogue.get("mastodon").fields] == ["instance"]


def test_labels_and_sentence_subjects():
    assert dict(catalogue.LABELS) == {
        "bluesky": "Bluesky", "matrix": "Matrix", "mastodon": "Mastodon", "x": "X", "linkedin": "LinkedIn",
        "telegram": "Telegram", "discord": "Discord", "webhook": "Webhook",
    }
    assert catalogue.subject("webhook") == "The webhook"
    assert all(catalogue.subject(n) == catalogue.label(n) for n in NETWORKS if n != "webhook")
    assert catalogue.label("myspace") == catalogue.subject("myspace") == "myspace"
    with pytest.raises(catalogue.UnknownNetwork, match="choose one of: bluesky, matrix"):
        catalogue.get("myspace")


def test_a_disconnected_webhook_channel_is_named_once():
    from app.connectors.base import AuthError
    from models import Channel

    ch = Channel(network="webhook", name="Hook", account="https://example.test", status="disabled")
    with pytest.raises(AuthError) as err:
        registry.connector_for(ch, {})
    assert err.value.message.startswith("the Webhook channel 'Hook' was disconnected")
