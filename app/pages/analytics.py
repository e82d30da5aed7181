"""Analytics: did posts go out, on time, and did people click?"""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from components.previews import network_badge
from state.analytics import AnalyticsState as S


def _stat(label: str, key: str, hint: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.heading(S.summary.get(key, "—"), size="7", as_="p"),
            rx.text(hint, size="1", color_scheme="gray"),
            spacing="1",
        ),
        min_width="150px",
        flex="1",
    )


def _chart() -> rx.Component:
    return rx.card(
        rx.heading("Posts per day", size="4", as_="h2", margin_bottom="8px"),
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.graphing_tooltip(),
            rx.recharts.legend(),
            rx.recharts.bar(data_key="published", name="Published", stack_id="a", fill="#30a46c"),
            rx.recharts.bar(data_key="failed", name="Failed", stack_id="a", fill="#e5484d"),
            data=S.per_day,
            height=260,
            width="100%",
        ),
        width="100%",
    )


def _networks() -> rx.Component:
    def row(n: rx.Var) -> rx.Component:
        return rx.table.row(
            rx.table.cell(network_badge(n["network"])),
            rx.table.cell(n["published"]),
            rx.table.cell(n["failed"]),
            rx.table.cell(n["waiting"]),
            rx.table.cell(n["on_time"]),
            rx.table.cell(n["median"]),
            rx.table.cell(n["attempts"]),
        )

    return rx.card(
        rx.heading("By network", size="4", as_="h2", margin_bottom="8px"),
        rx.cond(
            S.per_network.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                    "Network", "Published", "Failed", "Waiting", "On time", "Median delay", "Attempts")])),
                rx.table.body(rx.foreach(S.per_network, row)),
                width="100%",
            ),
            rx.text("Nothing published in this period yet.", color_scheme="gray"),
        ),
        width="100%",
        overflow_x="auto",
    )


def _links() -> rx.Component:
    return rx.card(
        rx.heading("Most clicked short links", size="4", as_="h2", margin_bottom="8px"),
        rx.cond(
            S.top_links.length() > 0,
            rx.vstack(rx.foreach(S.top_links, lambda link: rx.hstack(
                rx.code("/l/", link["code"]),
                rx.text(link["destination"], size="2", color_scheme="gray", trim="both",
                        style={"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"},
                        flex="1", min_width="0"),
                rx.badge(link["clicks"].to_string(), " clicks"),
                width="100%", align="center",
            )), width="100%"),
            rx.text("No clicks yet. Shorten links in the composer to count them.", color_scheme="gray"),
        ),
        width="100%",
    )


def analytics_page() -> rx.Component:
    range_picker = rx.hstack(
        rx.el.label(rx.text("Period", size="2"), html_for="analytics-days"),
        rx.el.select(
            rx.el.option("Last 7 days", value="7"), rx.el.option("Last 30 days", value="30"),
            rx.el.option("Last 90 days", value="90"), rx.el.option("Last year", value="365"),
            id="analytics-days", value=S.days, on_change=S.set_days,
            style={"padding": "6px 8px", "border_radius": "6px", "border": f"1px solid {rx.color('gray', 7)}",
                   "background": rx.color("gray", 1), "color": rx.color("gray", 12)},
        ),
        align="center",
        spacing="2",
    )
    return workspace_page(
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red"), rx.fragment()),
        rx.flex(
            _stat("Published", "published", "posts that went out"),
            _stat("On time", "on_time", "within a minute of schedule"),
            _stat("Slowest 5 %", "p95", "delay at the 95th percentile"),
            _stat("Failed", "failed", "see each post for the reason"),
            _stat("Link clicks", "clicks", "on Quillcast short links"),
            wrap="wrap",
            gap="12px",
            width="100%",
        ),
        _chart(),
        _networks(),
        _links(),
        title="Analytics",
        actions=range_picker,
    )
