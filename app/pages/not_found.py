"""The page for an address that matches no page (Reflex's "404" route): says so, with the navigation."""

from __future__ import annotations

import reflex as rx

from app.pages import routes
from app.pages.layout import page


def not_found_page() -> rx.Component:
    return page(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.icon("map-pin-off", size=28, color=rx.color("iris", 10)),
                    rx.heading("There is no page at this address", size="5", as_="h2"),
                    spacing="3",
                    align="center",
                ),
                rx.text(
                    rx.code(rx.State.router.url.path, id="missing-path"),
                    " does not exist here: the link may be mistyped, or the page has moved.",
                    size="3",
                ),
                rx.hstack(
                    # a link that looks like a button (Radix asChild), not a button inside a link
                    rx.button(rx.link(rx.icon("calendar-days", size=16), "Go to the calendar",
                                      href=routes.CALENDAR, underline="none"), as_child=True, size="3"),
                    rx.button(rx.link("Home", href=routes.HOME, underline="none"), as_child=True, size="3",
                              variant="soft"),
                    spacing="3",
                    wrap="wrap",
                ),
                spacing="4",
                align="start",
            ),
            size="3",
            max_width="640px",
            width="100%",
        ),
        title="Page not found",
    )
