"""Stateless composer parts: the channel picker, a channel's card (its own text, counter and preview), and
the schedule fields. Values and handlers come in as arguments; user text is always rendered as text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from components.forms import field_error
from components.networks import NETWORK_STYLE
from components.previews import counter, preview_card


def network_tag(network: rx.Var) -> rx.Component:
    """The network's icon in its colour with a neutral label (coloured text fails contrast checks)."""
    return rx.match(
        network,
        *[
            (key, rx.badge(rx.icon(icon, size=12, color=colour, aria_hidden="true"), label, variant="soft",
                           color_scheme="gray"))
            for key, (colour, icon, label) in NETWORK_STYLE.items()
        ],
        rx.badge(network, variant="soft", color_scheme="gray"),
    )


def _loading_channels() -> rx.Component:
    return rx.hstack(rx.spinner(size="2"), rx.text("Loading channels…", size="2", color_scheme="gray"),
                     align="center", spacing="2", role="status", min_height="24px")


def channel_picker(channels: rx.Var, selected: rx.Var, on_toggle: Callable[..., Any],
                   errors: Any, loaded: rx.Var) -> rx.Component:
    """The workspace's channels to post to; until they are read it says so (an empty list then means
    "not read yet", not "none connected")."""
    return rx.vstack(
        rx.heading("Channels", size="3", as_="h2"),
        rx.cond(
            loaded,
            rx.cond(
                channels.length() > 0,
                rx.flex(
                    rx.foreach(
                        channels,
                        lambda ch: rx.el.label(
                            rx.hstack(
                                rx.checkbox(
                                    checked=selected.contains(ch["id"]),
                                    on_change=lambda v: on_toggle(ch["id"], v),
                                    aria_label=ch["name"],
                                ),
                                network_tag(ch["network"]),
                                rx.text(ch["name"], size="2"),
                                align="center",
                                spacing="2",
                            ),
                            style={"cursor": "pointer"},
                        ),
                    ),
                    wrap="wrap",
                    spacing="4",
                ),
                rx.callout("This workspace has no connected channels yet: an admin connects them first.",
                           icon="info", width="100%"),
            ),
            _loading_channels(),
        ),
        field_error(errors, "targets"),
        spacing="2",
        width="100%",
        align="start",
    )


def _preview(card: rx.Var) -> rx.Component:
    return rx.match(
        card.network,
        *[(net, preview_card(net, card.name, card.account, card.segments, card.media))
          for net in NETWORK_STYLE],
        preview_card("webhook", card.name, card.account, card.segments, card.media),
    )


def own_text_card(card: rx.Var, on_edit: Callable[..., Any], on_reset: Callable[..., Any],
                  show_problems: rx.Var | bool = True) -> rx.Component:
    """One channel's text (the post's text until edited here, then its own), its counter, problems and
    preview; `on_reset` makes it use the post's text again.
    `show_problems`: false while nobody touched the form (an empty text is no mistake yet)."""
    problems = rx.Var.create(show_problems) & (card.problems.length() > 0)
    field_id = "own-text-" + card.channel_id.to(str)
    return rx.card(
        rx.vstack(
            rx.hstack(
                network_tag(card.network),
                rx.text(card.name, weight="medium", size="2"),
                rx.spacer(),
                counter(card.count, card.limit),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.el.label(
                rx.text("Text for ", card.name, size="1", color_scheme="gray"),
                html_for=field_id,
            ),
            rx.text_area(
                id=field_id,
                value=card.text,
                on_change=lambda v: on_edit(card.channel_id, v),
                debounce_timeout=400,
                rows="4",
                width="100%",
                aria_invalid=rx.cond(problems, "true", "false"),
            ),
            rx.hstack(
                rx.cond(card.own,
                        rx.text("Own text for this channel", size="1", color_scheme="gray"),
                        rx.text("Uses the post's text", size="1", color_scheme="gray")),
                rx.spacer(),
                rx.cond(card.own,
                        rx.button("Use the post's text", size="1", variant="soft", color_scheme="gray",
                                  on_click=lambda: on_reset(card.channel_id)),
                        rx.fragment()),
                width="100%",
                align="center",
            ),
            rx.cond(problems,
                    rx.foreach(card.problems,
                               lambda p: rx.text(p, color_scheme="red", size="2", role="alert")),
                    rx.fragment()),
            _preview(card),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def schedule_fields(day: rx.Var, clock: rx.Var, timezone: rx.Var, zones: list[str], errors: Any,
                    on_day: Callable[..., Any], on_clock: Callable[..., Any],
                    on_timezone: Callable[..., Any]) -> rx.Component:
    def labelled(label: str, control: rx.Component, name: str) -> rx.Component:
        return rx.vstack(rx.el.label(rx.text(label, size="2", weight="medium"), html_for=name), control,
                         spacing="1", min_width="140px", flex="1")

    return rx.vstack(
        rx.flex(
            labelled("Date", rx.input(id="schedule-date", type="date", value=day, on_change=on_day,
                                      aria_describedby="scheduled_at-error", width="100%"), "schedule-date"),
            labelled("Time", rx.input(id="schedule-time", type="time", value=clock, on_change=on_clock,
                                      aria_describedby="scheduled_at-error", width="100%"), "schedule-time"),
            labelled("Time zone", rx.input(id="schedule-zone", value=timezone, on_change=on_timezone,
                                           list="compose-zones", width="100%",
                                           aria_describedby="timezone-error"), "schedule-zone"),
            rx.el.datalist(*[rx.el.option(value=z) for z in zones], id="compose-zones"),
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        field_error(errors, "scheduled_at"),
        field_error(errors, "timezone"),
        field_error(errors, "queue"),
        spacing="2",
        width="100%",
    )


MEDIA_UPLOAD_ID = "compose-media"
MEDIA_ACCEPT = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"], "image/webp": [".webp"],
                "image/gif": [".gif"]}


def _media_item(item: rx.Var, on_alt: Callable[..., Any], on_remove: Callable[..., Any]) -> rx.Component:
    alt_id = "alt-" + item["id"].to(str)
    return rx.card(
        rx.flex(
            rx.image(src=item["thumb"], alt=item["alt"], width="96px", height="96px",
                     style={"object_fit": "cover", "border_radius": "var(--radius-2)", "flex_shrink": "0"}),
            rx.vstack(
                rx.hstack(
                    rx.text(item["filename"], size="2", weight="medium", trim="both",
                            style={"overflow_wrap": "anywhere"}),
                    rx.spacer(),
                    rx.icon_button(rx.icon("x", size=14), size="1", variant="soft", color_scheme="gray",
                                   aria_label="Remove " + item["filename"].to(str),
                                   on_click=lambda: on_remove(item["id"])),
                    width="100%",
                    align="start",
                ),
                rx.el.label(rx.text("Alt text (describes the image for people who cannot see it)", size="1",
                                    color_scheme="gray"), html_for=alt_id),
                rx.text_area(id=alt_id, value=item["alt"], on_change=lambda v: on_alt(item["id"], v),
                             debounce_timeout=400, rows="2", width="100%", max_length=2000),
                spacing="1",
                width="100%",
            ),
            spacing="3",
            width="100%",
            direction=rx.breakpoints(initial="column", sm="row"),
        ),
        width="100%",
    )


def media_picker(media: rx.Var, uploading: rx.Var, percent: rx.Var, errors: Any, on_drop: Any,
                 on_alt: Callable[..., Any], on_remove: Callable[..., Any]) -> rx.Component:
    """Images for the post (every chosen channel gets them): a drop zone with a file picker, then one
    thumbnail per image with its alt text and a remove button."""
    return rx.vstack(
        rx.heading("Images", size="3", as_="h2"),
        # The label names the hidden file input (axe) and opens the picker on click; the drop zone itself
        # takes drops and Enter/Space (no_click: one click must not open two pickers).
        rx.el.label(
            rx.upload(
                rx.vstack(
                    rx.cond(
                        uploading,
                        rx.hstack(rx.spinner(size="2"),
                                  rx.text("Uploading… ", rx.cond(percent > 0, percent.to_string() + "%", ""),
                                          size="2"),
                                  align="center", role="status"),
                        rx.hstack(rx.icon("image-plus", size=18, aria_hidden="true"),
                                  rx.text("Drop images here, or ",
                                          rx.text.span("choose files", color_scheme="indigo", weight="medium",
                                                       style={"text_decoration": "underline"}),
                                          size="2"),
                                  align="center", wrap="wrap", spacing="2"),
                    ),
                    rx.text("JPEG, PNG, WebP or GIF, up to 50 MB each", size="1", color_scheme="gray"),
                    align="center",
                    spacing="1",
                ),
                id=MEDIA_UPLOAD_ID,
                accept=MEDIA_ACCEPT,
                multiple=True,
                max_files=10,
                no_click=True,
                on_drop=on_drop,
                border="1px dashed var(--gray-a8)",
                border_radius="var(--radius-3)",
                padding="16px",
                width="100%",
            ),
            style={"cursor": "pointer", "width": "100%", "display": "block"},
        ),
        field_error(errors, "media"),
        rx.cond(
            media.length() > 0,
            rx.grid(rx.foreach(media, lambda m: _media_item(m, on_alt, on_remove)),
                    columns=rx.breakpoints(initial="1", md="2"), spacing="3", width="100%"),
            rx.fragment(),
        ),
        spacing="2",
        width="100%",
        align="start",
    )
