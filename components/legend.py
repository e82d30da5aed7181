"""The calendar's legends: status colours and network marks. Stateless: both come from the calendar
service."""

from __future__ import annotations

import reflex as rx

from app.services.planning.calendar import STATUS_COLOURS, STATUS_ICONS
from app.services.planning.statuses import status_label

# The target statuses the calendar shows, in the legend's order (a presentation choice: queued is drawn as
# scheduled, and cancelled targets only appear when filtered for); labels as statuses.status_label says.
LEGEND_STATUSES = ("scheduled", "awaiting_approval", "publishing", "retrying", "published", "failed",
                   "unknown", "draft")
LEGEND = [(s, status_label(s)) for s in LEGEND_STATUSES]


# A network's mark: its letter in white on its colour. The calendar draws the same mark in JS (class
# qc-net, styled from this dict), so the legend and the events cannot drift apart.
MARK_STYLE = {
    "display": "inline-flex", "align_items": "center", "justify_content": "center", "flex_shrink": "0",
    "min_width": "16px", "height": "16px", "padding": "0 3px", "border_radius": "4px",
    "color": "#fff", "font_size": "10px", "font_weight": "700", "line_height": "1",
    "letter_spacing": "-0.2px", "box_shadow": "inset 0 0 0 1px rgba(255, 255, 255, 0.25)",
}


def network_mark(letter: rx.Var | str, colour: rx.Var | str) -> rx.Component:
    """The mark beside its network's name (decorative there: the name is the text next to it)."""
    return rx.el.span(letter, aria_hidden="true", style={**MARK_STYLE, "background": colour})


def network_legend(marks: rx.Var) -> rx.Component:
    """marks: [{label, letter, colour}] of the networks in use."""
    return rx.flex(
        rx.foreach(marks, lambda m: rx.hstack(network_mark(m["letter"], m["colour"]),
                                              rx.text(m["label"], size="1"),
                                              spacing="1", align="center", role="listitem")),
        wrap="wrap", spacing="3", role="list", aria_label="Networks",
    )


def swatch(colour: str) -> rx.Component:
    return rx.box(width="10px", height="10px", border_radius="3px", background=colour, flex_shrink="0",
                  aria_hidden="true")


def status_icon(status: str) -> rx.Component:
    """A status's icon in its colour, as the calendar draws it inside events (decorative beside its word)."""
    return rx.icon(STATUS_ICONS[status].replace("-", "_"), size=13, stroke_width=3,
                   color=STATUS_COLOURS[status], aria_hidden="true", flex_shrink="0")


def legend() -> rx.Component:
    return rx.flex(
        *[rx.hstack(status_icon(s), rx.text(label, size="1"), spacing="1", align="center", role="listitem")
          for s, label in LEGEND],
        wrap="wrap", spacing="3", role="list", aria_label="Status colours",
    )


def status_badge(status: rx.Var, colour: rx.Var) -> rx.Component:
    """A status with its icon in its calendar colour (text stays readable in light and dark mode)."""
    icon = rx.match(status, *[(s, status_icon(s)) for s in STATUS_ICONS], swatch(colour))
    return rx.badge(
        rx.hstack(icon, rx.text(status.to(str).replace("_", " ")), spacing="1", align="center"),
        variant="surface", color_scheme="gray", high_contrast=True, size="2",
    )
