"""Home: is Quillcast ready to publish?"""

from __future__ import annotations

import reflex as rx

from app.pages.layout import page
from components.status import adoption_row, check_row, health_card
from state.health import HealthState
from state.status import StatusState


def status_page() -> rx.Component:
    summary = rx.cond(
        StatusState.all_ok,
        rx.callout("Every part is up: scheduled posts will go out on time.", icon="circle-check",
                   color_scheme="green"),
        rx.callout("A part is down: scheduled posts wait until it is back. The row below says what to do.",
                   icon="triangle-alert", color_scheme="red"),
    )
    return page(
        rx.cond(StatusState.checks.length() > 0, summary, rx.fragment()),
        rx.card(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell("Part"),
                        rx.table.column_header_cell("State"),
                        rx.table.column_header_cell("Detail"),
                        rx.table.column_header_cell("Took"),
                    )
                ),
                rx.table.body(rx.foreach(StatusState.checks, check_row)),
                width="100%",
                aria_label="System status",
            ),
            width="100%",
        ),
        rx.hstack(
            rx.button(rx.icon("refresh-cw", size=16), "Check again",
                      on_click=[StatusState.refresh, HealthState.open], loading=StatusState.loading),
            rx.text(rx.cond(StatusState.checked_at != "", "Checked at " + StatusState.checked_at, ""),
                    color_scheme="gray", size="2"),
            align="center",
            spacing="3",
        ),
        rx.cond(
            HealthState.admin,
            rx.vstack(
                rx.heading("Publishing health", size="4", as_="h2", margin_top="4"),
                rx.text("The whole instance, updated every 10 seconds; the same numbers Prometheus reads at "
                        "/api/metrics.", size="2", color_scheme="gray"),
                rx.grid(rx.foreach(HealthState.health, health_card),
                        columns=rx.breakpoints(initial="1", sm="2", lg="4"), spacing="3", width="100%"),
                rx.heading("Feature adoption, last 30 days", size="4", as_="h2", margin_top="4"),
                rx.text(HealthState.active_people, size="2"),
                rx.card(
                    rx.table.root(
                        rx.table.header(rx.table.row(
                            rx.table.column_header_cell("Feature"),
                            rx.table.column_header_cell("Uses"),
                            rx.table.column_header_cell("Days used"),
                        )),
                        rx.table.body(rx.foreach(HealthState.adoption, adoption_row)),
                        width="100%",
                        aria_label="Feature adoption",
                    ),
                    width="100%",
                ),
                rx.text("Counts only, per day, kept 100 days: no person, workspace or post is recorded.",
                        size="1", color_scheme="gray"),
                width="100%",
                spacing="2",
            ),
            rx.fragment(),
        ),
        title="System status",
    )
