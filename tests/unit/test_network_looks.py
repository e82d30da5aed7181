"""Every network has a look in the UI (components/networks.py), and every label the UI shows for a
network is the catalogue's."""

from __future__ import annotations

from app.connectors import catalogue
from components import networks
from models.channel import NETWORKS


def test_every_network_has_a_look_and_an_unknown_one_a_neutral_look():
    assert set(networks.LOOKS) == set(NETWORKS)
    assert networks.look("threads") is networks.NEUTRAL
    colours = [lk.colour for lk in networks.LOOKS.values()]
    assert all(c.startswith("#") and len(c) == 7 for c in colours)
    assert len({lk.letter for lk in networks.LOOKS.values()}) == len(NETWORKS)


def test_the_calendars_marks_stay_as_they_were():
    assert [(m["network"], m["letter"], m["colour"]) for m in networks.marks()] == [
        ("bluesky", "B", "#0866d6"), ("mastodon", "M", "#5a4be0"), ("x", "X", "#000000"),
        ("linkedin", "in", "#0a66c2"), ("telegram", "T", "#1a74ad"), ("discord", "D", "#4752c4"),
        ("matrix", "[m]", "#1e1e1e"), ("webhook", "W", "#60646c"),
    ]
    assert [m["network"] for m in networks.marks({"matrix", "bluesky"})] == ["bluesky", "matrix"]


def test_labels_agree_everywhere():
    from app.pages.channels import NETWORK_CHOICES
    from components.networks import NETWORK_STYLE
    from state.channels import OAUTH

    for m in networks.marks():
        assert m["label"] == catalogue.label(m["network"])
    assert {n: style[2] for n, style in NETWORK_STYLE.items()} == dict(catalogue.LABELS)
    assert all(label == catalogue.label(n) for n, label in NETWORK_CHOICES)
    assert {n for n, _ in NETWORK_CHOICES} == set(catalogue.connectable("form") + catalogue.connectable("oauth"))
    assert OAUTH == {"mastodon": "Mastodon", "x": "X"}


def test_the_connect_form_asks_what_the_catalogue_lists():
    from state.channels import CONNECTABLE, FORM_NETWORKS, connect_fields

    def required(network):
        return [f.key for f in connect_fields(network) if f.required]

    assert required("bluesky") == ["identifier", "app_password"]
    assert required("matrix") == ["homeserver", "user", "room"]
    assert required("webhook") == ["url"] and required("telegram") == ["bot_token", "chat_id"]
    assert required("mastodon") == ["instance"] and connect_fields("linkedin") == ()
    assert [f.default for f in connect_fields("bluesky")] == ["", "", "https://bsky.social"]
    assert set(FORM_NETWORKS) < set(CONNECTABLE) and "linkedin" not in CONNECTABLE
