"""Audit log (owners and admins): who did what in this workspace, newest first, paginated."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from state.audit import AuditState as S


def entry_row(e: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(e["when"], size="1", color_scheme="gray", min_width="170px"),
        rx.badge(e["action"], variant="soft"),
        rx.text(e["actor"], size="2", style={"overflow_wrap": "anywhere"}),
        rx.text(e["details"], size="1", color_scheme="gray", flex="1", min_width="160px",
                style={"overflow_wrap": "anywhere"}),
        spacing="3",
        align="center",
        wrap="wrap",
        width="100%",
        padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def audit_page() -> rx.Component:
    return workspace_page(
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert"),
            rx.card(
                rx.vstack(
                    rx.cond(
                        S.rows.length() > 0,
                        rx.vstack(rx.foreach(S.rows, entry_row), spacing="0", width="100%"),
                        rx.cond(S.loaded, rx.text("No entries.", color_scheme="gray"), rx.spinner()),
                    ),
                    rx.hstack(
                        rx.button("Newer", variant="soft", on_click=S.newer, disabled=S.page_number <= 1),
                        rx.text("Page ", S.page_number, size="2"),
                        rx.button("Older", variant="soft", on_click=S.older, disabled=~S.has_older),
                        spacing="3",
                        align="center",
                    ),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
                max_width="960px",
            ),
        ),
        title="Audit log",
    )
