"""Drafts: posts not yet scheduled; open one in the composer, delete with a confirmation."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from components.confirm import confirm_dialog
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
    return confirm_dialog(
        S, "Delete this draft?", rx.text("“", S.confirm_label, "” is deleted for everyone."), "Delete",
        S.delete,
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
