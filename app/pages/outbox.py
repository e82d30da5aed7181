"""Instance administration: the e-mail outbox (held mail can be read here when no SMTP is set)."""

from __future__ import annotations

import reflex as rx

from components.shell import shell
from state.outbox import OutboxState


def _mail_row(row: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.table.row(
            rx.table.cell(row["created"], white_space="nowrap"),
            rx.table.cell(row["to"]),
            rx.table.cell(row["subject"]),
            rx.table.cell(rx.badge(row["status"])),
            rx.table.cell(row["attempts"]),
            rx.table.cell(
                rx.button(
                    rx.cond(OutboxState.opened == row["id"], "Hide", "Read"),
                    size="1",
                    variant="soft",
                    on_click=OutboxState.toggle(row["id"]),
                ),
            ),
        ),
        rx.cond(
            OutboxState.opened == row["id"],
            rx.table.row(
                rx.table.cell(
                    rx.cond(
                        row["error"] != "",
                        rx.text("Last error: ", row["error"], color_scheme="red", size="2"),
                        rx.fragment(),
                    ),
                    rx.el.pre(row["body"], style={"white_space": "pre-wrap", "font_size": "13px"}),
                    col_span=6,
                )
            ),
            rx.fragment(),
        ),
    )


def outbox_page() -> rx.Component:
    s = OutboxState
    table = rx.vstack(
        rx.hstack(
            rx.text("Show", size="2"),
            rx.select(
                ["all", "held", "queued", "sent", "failed"],
                value=s.status_filter,
                on_change=s.set_status_filter,
                aria_label="Filter by status",
            ),
            align="center",
            spacing="2",
        ),
        rx.cond(
            s.rows.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Created"),
                        rx.table.column_header_cell("To"),
                        rx.table.column_header_cell("Subject"),
                        rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell("Attempts"),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(s.rows, _mail_row)),
                width="100%",
                id="outbox-table",
            ),
            rx.text("No mail here yet.", color_scheme="gray"),
        ),
        spacing="4",
        width="100%",
    )
    return shell(
        rx.text(
            "Held mail waits here when no SMTP server is configured (set SMTP_HOST to send it).",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            s.allowed,
            table,
            rx.callout(
                "Only instance administrators can read the outbox.", icon="lock", color_scheme="amber"
            ),
        ),
        title="Outbox",
    )
