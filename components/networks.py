"""How each network looks in the UI: its colour, its mark on the calendar and its icon.

The facts about a network (its label, limits, what it can do) are the catalogue's
(`app.connectors.catalogue`); this is presentation only, keyed by the same names, with a neutral look
for a name it does not know. The order here is the order networks are shown in (legend, pickers).
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from app.connectors import catalogue


@dataclass(frozen=True)
class Look:
    # The network's colour: the preview's accent, the badge's text and icon, and the background of its
    # mark. Darkened from a network's own where needed so white text on it keeps a 4.5:1 contrast
    # (Bluesky's and Telegram's own blues are too light for that).
    colour: str
    letter: str  # the calendar's mark: a letter (or two) in white on the colour
    icon: str  # a lucide icon name


LOOKS: dict[str, Look] = {
    "bluesky": Look("#0866d6", "B", "cloud"),
    "mastodon": Look("#5a4be0", "M", "message-circle"),
    "x": Look("#000000", "X", "bird"),
    "linkedin": Look("#0a66c2", "in", "briefcase-business"),
    "telegram": Look("#1a74ad", "T", "send"),
    "discord": Look("#4752c4", "D", "message-square"),
    "matrix": Look("#1e1e1e", "[m]", "hash"),
    "webhook": Look("#60646c", "W", "webhook"),
}
NEUTRAL = Look("#8b8d98", "?", "globe")


def look(network: str) -> Look:
    return LOOKS.get(network, NEUTRAL)


# (colour, icon, label) by network, for the parts that match on a network Var.
NETWORK_STYLE: dict[str, tuple[str, str, str]] = {
    name: (lk.colour, lk.icon, catalogue.label(name)) for name, lk in LOOKS.items()
}


def marks(networks: set[str] | None = None) -> list[dict[str, str]]:
    """The marks of `networks` (all when None) in display order: [{network, label, letter, colour}]."""
    return [{"network": name, "label": catalogue.label(name), "letter": lk.letter, "colour": lk.colour}
            for name, lk in LOOKS.items() if networks is None or name in networks]


def network_badge(network: rx.Var | str) -> rx.Component:
    """The network's icon and label in its colour."""
    return rx.match(
        network,
        *[
            (key, rx.badge(rx.icon(icon, size=12), name, variant="soft", color_scheme="gray",
                           style={"color": colour}))
            for key, (colour, icon, name) in NETWORK_STYLE.items()
        ],
        rx.badge(network),
    )
