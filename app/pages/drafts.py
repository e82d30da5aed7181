"""Drafts: posts not yet scheduled; open one in the composer, delete with a confirmation."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from state.drafts import DraftsState as S


def draft_row(d: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(d["excerpt"], size="2",
                        style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"}),
                rx.text(d["channels"], " · ", d["status"], " · updated ", d["updated"], size="1",
                        color_scheme="gray"),
                spacing="1",
                flex="1",
                min_width="220px",
            ),
            rx.hstack(
                rx.link(rx.button("Open", size="1", tab_index=-1), href="/compose?post_id=" + d["id"].to(str),
                        aria_label="Open draft in the composer: " + d["excerpt"].to(str)),
                rx.button("Delete", size="1", variant="soft", color_scheme="red",
                          aria_label="Delete draft: " + d["excerpt"].to(str), on_click=S.ask_delete(d["id"])),
                spacing="2",
            ),
            spacing="3",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        width="100%",
    )


def delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this draft?"),
            rx.alert_dialog.description(rx.text("“", S.confirm_label, "” is deleted for everyone.")),
            rx.hstack(
                rx.button("Keep it", variant="soft", color_scheme="gray", on_click=S.cancel_confirm),
                rx.button("Delete", color_scheme="red", on_click=S.delete),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="440px",
        ),
        open=S.confirm_id != "",
        on_open_change=S.dialog_open_change,
    )


def drafts_page() -> rx.Component:
    return workspace_page(
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert"),
                rx.fragment()),
        rx.cond(
            S.rows.length() > 0,
            rx.vstack(rx.foreach(S.rows, draft_row), spacing="3", width="100%", max_width="900px"),
            rx.cond(S.loaded, rx.text("No drafts.", color_scheme="gray"), rx.spinner()),
        ),
        delete_dialog(),
        title="Drafts",
    )
