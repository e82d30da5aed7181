"""A row per system part with its state. Stateless: takes vars, renders."""

from __future__ import annotations

import reflex as rx


def check_row(check: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(check["name"], weight="medium", transform="capitalize")),
        rx.table.cell(
            rx.cond(
                check["ok"],
                rx.badge(rx.icon("circle-check", size=14), "OK", color_scheme="green", size="2"),
                rx.badge(rx.icon("circle-x", size=14), "Down", color_scheme="red", size="2"),
            )
        ),
        rx.table.cell(rx.text(check["detail"], color_scheme="gray")),
        rx.table.cell(rx.text(check["ms"].to_string(), " ms", color_scheme="gray")),
    )


def health_card(card: rx.Var) -> rx.Component:
    """One number an administrator watches, coloured by whether it needs them, with what to do."""
    tone = rx.match(card["tone"], ("red", "var(--red-9)"), ("amber", "var(--amber-9)"),
                    ("green", "var(--green-9)"), "var(--gray-8)")
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.box(width="8px", height="8px", border_radius="50%", background=tone,
                       flex_shrink="0"),
                rx.text(card["label"], size="2", color_scheme="gray", weight="medium"),
                align="center",
                spacing="2",
            ),
            rx.text(card["value"], size="6", weight="bold"),
            rx.text(card["hint"], size="1", color_scheme="gray"),
            spacing="1",
            align="start",
        ),
        width="100%",
    )


def adoption_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["label"])),
        rx.table.cell(rx.text(row["uses"], weight="medium")),
        rx.table.cell(rx.text(row["days"], color_scheme="gray")),
    )
