"""A weekday x hour heatmap: 7 rows of 24 cells, coloured by a level the page's state computes.

Stateless: it takes the rows (`{"day", "cells": [{"level", "title", "posts"}]}`) and the hour labels as
vars. On a narrow screen the table keeps its size and scrolls sideways inside its own box, never the page.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

# Level "0" is a cell without a score: faint when it holds posts, blank when it holds none.
_SHADES = [(str(n), rx.color("grass", step)) for n, step in enumerate((4, 6, 8, 9, 11), start=1)]
CELL = {"height": "26px", "border_radius": "4px", "border": f"1px solid {rx.color('gray', 4)}"}


def _colour(cell: Any) -> rx.Var:
    return rx.match(cell["level"], *_SHADES,
                    rx.cond(cell["posts"] != "", rx.color("gray", 4), rx.color("gray", 2)))


def _cell(cell: Any) -> rx.Component:
    return rx.el.td(
        rx.el.div(style={**CELL, "background": _colour(cell)}),
        title=cell["title"], aria_label=cell["title"], style={"padding": "1px"},
    )


def _row(row: Any) -> rx.Component:
    return rx.el.tr(
        rx.el.th(row["day"], scope="row",
                 style={"font_weight": "500", "font_size": "12px", "text_align": "left",
                        "white_space": "nowrap", "padding_right": "6px", "position": "sticky", "left": "0",
                        "background": rx.color("gray", 1)}),
        rx.foreach(row["cells"].to(list[dict[str, str]]), _cell),
    )


def legend() -> rx.Component:
    swatch = lambda colour: rx.el.span(style={**CELL, "display": "inline-block", "width": "18px",  # noqa: E731
                                              "height": "14px", "background": colour})
    return rx.flex(
        rx.hstack(rx.text("Less", size="1", color_scheme="gray"), *[swatch(c) for _, c in _SHADES],
                  rx.text("More engagement per post", size="1", color_scheme="gray"),
                  spacing="1", align="center"),
        rx.hstack(swatch(rx.color("gray", 4)),
                  rx.text("too few posts for a score", size="1", color_scheme="gray"),
                  spacing="1", align="center"),
        gap="4px 16px", align="center", wrap="wrap",
    )


def heatmap(rows: rx.Var, hours: rx.Var, name: str) -> rx.Component:
    """The table, named `name` for screen readers; each cell's title tells its posts and score."""
    return rx.box(
        rx.el.table(
            rx.el.caption(name, style={"position": "absolute", "width": "1px", "height": "1px",
                                       "overflow": "hidden", "clip": "rect(0 0 0 0)"}),
            rx.el.thead(rx.el.tr(
                rx.el.td(style={"width": "40px"}),  # the fixed layout takes the day column's width from here
                rx.foreach(hours, lambda h: rx.el.th(h, scope="col", style={
                    "font_weight": "400", "font_size": "11px", "color": rx.color("gray", 11),
                    "text_align": "center"})),
            )),
            rx.el.tbody(rx.foreach(rows, _row)),
            style={"border_collapse": "separate", "border_spacing": "0", "table_layout": "fixed",
                   "width": "100%", "min_width": "680px"},
        ),
        width="100%",
        overflow_x="auto",
        tab_index=0,  # a box that scrolls must be reachable by keyboard
        aria_label=f"{name} (scrolls sideways)",
        role="region",
    )
