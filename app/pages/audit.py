"""Audit log (owners and admins): who did what in this workspace, newest first, paginated."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from state.audit import AuditState as S


def entry_row(e: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(e["sentence"], size="2", flex="1", min_width="220px", style={"overflow_wrap": "anywhere"}),
        rx.text(e["when"], size="1", color_scheme="gray", white_space="nowrap", title=e["action"]),
        spacing="3",
        align="baseline",
        wrap="wrap",
        width="100%",
        padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="audit-entry",
    )


def audit_page() -> rx.Component:
    return workspace_page(
        rx.cond(
            S.error != "",
            rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert"),
            rx.card(
                rx.vstack(
                    rx.text("Times in ", rx.text.strong(S.workspace_timezone), ", the workspace's time zone.",
                            size="1", color_scheme="gray"),
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
