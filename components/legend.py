"""The status colour legend of the calendar. Stateless: colours come from the calendar service."""

from __future__ import annotations

import reflex as rx

from app.services.calendar import STATUS_COLOURS

LEGEND = [("scheduled", "Scheduled"), ("awaiting_approval", "Awaiting approval"),
          ("publishing", "Publishing"),
          ("retrying", "Retrying"), ("published", "Published"), ("failed", "Failed"), ("unknown", "Unknown"),
          ("draft", "Draft")]


def swatch(colour: str) -> rx.Component:
    return rx.box(width="10px", height="10px", border_radius="3px", background=colour, flex_shrink="0",
                  aria_hidden="true")


def legend() -> rx.Component:
    return rx.flex(
        *[rx.hstack(swatch(STATUS_COLOURS[s]), rx.text(label, size="1"), spacing="1", align="center",
                    role="listitem")
          for s, label in LEGEND],
        wrap="wrap", spacing="3", role="list", aria_label="Status colours",
    )


def status_badge(status: rx.Var, colour: rx.Var) -> rx.Component:
    """A status in its calendar colour (text stays readable in light and dark mode)."""
    return rx.badge(
        rx.hstack(swatch(colour), rx.text(status.to(str).replace("_", " ")), spacing="1", align="center"),
        variant="surface", color_scheme="gray", high_contrast=True, size="2",
    )
