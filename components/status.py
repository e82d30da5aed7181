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
