"""Queue: per channel, the upcoming posts in order, the weekly time slots and the next free slot."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from state.queue import WEEKDAYS
from state.queue import QueueState as S

FIELD_STYLE = {"padding": "6px 8px", "border_radius": "6px", "border": f"1px solid {rx.color('gray', 7)}",
               "background": rx.color("gray", 1), "color": rx.color("gray", 12)}


def slot_chip(ch: rx.Var, slot: rx.Var) -> rx.Component:
    return rx.badge(
        slot["label"],
        rx.cond(
            S.can_manage_slots,
            rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost", color_scheme="gray",
                           aria_label="Remove slot " + slot["label"].to(str),
                           on_click=S.remove_slot(ch["id"], slot["key"])),
            rx.fragment(),
        ),
        variant="soft",
        size="2",
    )


def add_slot_form(ch: rx.Var) -> rx.Component:
    wid, tid = "weekday-" + ch["id"].to(str), "time-" + ch["id"].to(str)
    return rx.form(
        rx.flex(
            rx.el.input(type="hidden", name="channel_id", value=ch["id"]),
            rx.vstack(
                rx.el.label(rx.text("Weekday", size="1"), html_for=wid),
                rx.el.select(*[rx.el.option(d, value=str(i)) for i, d in enumerate(WEEKDAYS)],
                             id=wid, name="weekday", default_value="0", style=FIELD_STYLE),
                spacing="1",
            ),
            rx.vstack(
                rx.el.label(rx.text("Time", size="1"), html_for=tid),
                rx.el.input(id=tid, name="time", type="time", default_value="09:00", required=True,
                            style=FIELD_STYLE),
                spacing="1",
            ),
            rx.button("Add slot", type="submit", size="2", aria_label="Add slot to " + ch["name"].to(str)),
            spacing="3",
            align="end",
            wrap="wrap",
        ),
        on_submit=S.add_slot,
        reset_on_submit=False,
    )


def upcoming_row(t: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(t["when"], size="2", weight="medium", min_width="190px"),
        rx.badge(t["status"], variant="soft"),
        rx.text(t["text"], size="2", color_scheme="gray", flex="1", min_width="160px",
                style={"overflow_wrap": "anywhere"}),
        spacing="3",
        align="center",
        wrap="wrap",
        width="100%",
        padding_y="6px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def channel_queue(ch: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(ch["name"], size="4", as_="h2", style={"overflow_wrap": "anywhere"}),
                rx.badge(ch["network"], variant="outline"),
                align="center",
                wrap="wrap",
            ),
            rx.text("Next free slot: ", rx.text.strong(ch["next_free"]), size="2"),
            rx.heading("Weekly time slots", size="3", as_="h3"),
            rx.cond(
                ch["slots"].to(list).length() > 0,
                rx.flex(rx.foreach(ch["slots"].to(list[dict[str, str]]), lambda s: slot_chip(ch, s)),
                        spacing="2", wrap="wrap"),
                rx.text("No slots yet.", size="2", color_scheme="gray"),
            ),
            rx.cond(S.can_manage_slots, add_slot_form(ch), rx.fragment()),
            rx.cond(
                S.errors.contains(ch["id"]),
                rx.text(S.errors[ch["id"].to(str)], color_scheme="red", size="2", role="alert"),
                rx.fragment(),
            ),
            rx.heading("Upcoming (next 4 weeks)", size="3", as_="h3"),
            rx.cond(
                ch["upcoming"].to(list).length() > 0,
                rx.vstack(rx.foreach(ch["upcoming"].to(list[dict[str, str]]), upcoming_row),
                          spacing="0", width="100%"),
                rx.text("Nothing scheduled.", size="2", color_scheme="gray"),
            ),
            spacing="3",
            align="start",
            width="100%",
        ),
        width="100%",
        max_width="900px",
    )


def queue_page() -> rx.Component:
    return workspace_page(
        rx.text("Times are in the workspace's time zone: ", S.workspace_timezone, ".", size="2",
                color_scheme="gray"),
        rx.cond(
            S.channels.length() > 0,
            rx.vstack(rx.foreach(S.channels, channel_queue), spacing="4", width="100%"),
            rx.cond(S.loaded, rx.text("Connect a channel first.", color_scheme="gray"), rx.spinner()),
        ),
        title="Queue",
    )
