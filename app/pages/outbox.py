"""Instance administration: the e-mail outbox (held mail can be read here when no SMTP is set)."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import page
from state.outbox import OutboxState

WIDE_ONLY = ["none", "none", "table-cell"]  # columns a phone leaves out (Radix breakpoints: from md)


def _part(part: rx.Var) -> rx.Component:
    return rx.cond(
        part.href != "",
        rx.link(part.text, href=part.href, is_external=True, style={"overflow_wrap": "anywhere"}),
        rx.text.span(part.text),
    )


def _link_row(link: rx.Var) -> rx.Component:
    """One link of a mail, to open or copy (an administrator may hand it on to the person)."""
    return rx.hstack(
        rx.link(link, href=link, is_external=True, size="2", style={"overflow_wrap": "anywhere"},
                min_width="0"),
        rx.button(rx.icon("copy", size=14), "Copy link", size="1", variant="soft", type="button",
                  flex_shrink="0",
                  on_click=[rx.set_clipboard(link), rx.toast.success("Link copied to the clipboard.")]),
        align="center",
        spacing="3",
        width="100%",
        justify="between",
    )


def _mail_row(row: rx.Var) -> rx.Component:
    return rx.fragment(
        rx.table.row(
            rx.table.cell(row.created, white_space="nowrap", display=WIDE_ONLY),
            rx.table.cell(row.recipient, style={"overflow_wrap": "anywhere"}),
            rx.table.cell(row.subject),
            rx.table.cell(rx.badge(row.status)),
            rx.table.cell(row.attempts, display=WIDE_ONLY),
            rx.table.cell(
                rx.button(
                    rx.cond(OutboxState.opened == row.id, "Hide", "Read"),
                    size="1",
                    variant="soft",
                    on_click=OutboxState.toggle(row.id),
                    aria_label=rx.cond(OutboxState.opened == row.id, "Hide ", "Read ") + row.subject,
                ),
            ),
        ),
        rx.cond(
            OutboxState.opened == row.id,
            rx.table.row(
                rx.table.cell(
                    rx.vstack(
                        rx.cond(
                            row.error != "",
                            rx.text("Last error: ", row.error, color_scheme="red", size="2"),
                            rx.fragment(),
                        ),
                        rx.cond(
                            row.links.length() > 0,
                            rx.card(
                                rx.vstack(
                                    rx.text("Links in this mail", size="2", weight="medium"),
                                    rx.foreach(row.links, _link_row),
                                    spacing="2",
                                    width="100%",
                                ),
                                width="100%",
                                class_name="mail-links",
                            ),
                            rx.fragment(),
                        ),
                        rx.el.pre(
                            rx.foreach(row.parts, _part),
                            style={"white_space": "pre-wrap", "overflow_wrap": "anywhere",
                                   "font_size": "13px", "margin": "0"},
                        ),
                        spacing="3",
                        width="100%",
                    ),
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
                        rx.table.column_header_cell("Created", display=WIDE_ONLY),
                        rx.table.column_header_cell("To"),
                        rx.table.column_header_cell("Subject"),
                        rx.table.column_header_cell("Status"),
                        rx.table.column_header_cell("Attempts", display=WIDE_ONLY),
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
    return page(
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
