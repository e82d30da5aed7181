"""The page frame: navigation beside the content. Stateless."""

from __future__ import annotations

import reflex as rx

from app.pages.routes import NAV, NavItem


def _nav_link(item: NavItem) -> rx.Component:
    active = rx.State.router.url.path == item.route
    return rx.link(
        rx.hstack(rx.icon(item.icon, size=18), rx.text(item.label, size="3"), spacing="2", align="center"),
        href=item.route,
        underline="none",
        color_scheme=rx.cond(active, "iris", "gray"),
        high_contrast=True,
        padding_x="12px",
        padding_y="8px",
        border_radius="8px",
        background=rx.cond(active, rx.color("iris", 4), "transparent"),
        width="100%",
        aria_current=rx.cond(active, "page", "false"),
    )


def brand() -> rx.Component:
    return rx.hstack(
        rx.icon("feather", size=22, color=rx.color("iris", 10)),
        rx.heading("Quillcast", size="5", weight="bold"),
        spacing="2",
        align="center",
    )


def shell(*content: rx.Component, title: str, sidebar: rx.Component | None = None,
          actions: rx.Component | None = None) -> rx.Component:
    """`sidebar`: extra controls under the brand (the workspace switcher); `actions`: buttons beside
    the page title."""
    return rx.flex(
        rx.el.nav(
            rx.vstack(
                brand(),
                sidebar or rx.fragment(),
                rx.vstack(*[_nav_link(item) for item in NAV], spacing="1", width="100%"),
                rx.spacer(),
                rx.color_mode.button(size="2", variant="ghost", aria_label="Toggle dark mode"),
                spacing="5",
                height="100%",
                padding="16px",
            ),
            aria_label="Main",
            style={
                "width": ["100%", "100%", "220px"],
                "border_right": f"1px solid {rx.color('gray', 5)}",
                "background": rx.color("gray", 2),
            },
        ),
        rx.el.main(
            rx.vstack(
                rx.hstack(rx.heading(title, size="7", as_="h1"), rx.spacer(), actions or rx.fragment(),
                          width="100%", align="center", wrap="wrap", spacing="3"),
                *content, spacing="5", width="100%",
            ),
            padding=["16px", "24px", "32px"],
            flex="1",
            min_width="0",
        ),
        direction={"initial": "column", "md": "row"},
        min_height="100vh",
        width="100%",
    )
