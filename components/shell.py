"""The page frame: navigation beside the content (a menu button over it on phones). Stateless: the
links, the menu's open state and its events come from the caller (app/pages/layout.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

MENU_ID = "main-menu"


@dataclass(frozen=True)
class Nav:
    """What the navigation shows and does. Items have `.label`, `.route` and `.icon`."""

    items: Sequence[Any]
    admin_items: Sequence[Any]
    show_admin: Any  # Var[bool]: the Admin group is drawn only for instance administrators
    menu_open: Any  # Var[bool]: the phone menu (below 768 px); wider screens always show the links
    on_toggle: Any  # event: the menu button


def _nav_link(item: Any) -> rx.Component:
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


def _menu_button(nav: Nav) -> rx.Component:
    return rx.icon_button(
        rx.cond(nav.menu_open, rx.icon("x", size=20), rx.icon("menu", size=20)),
        class_name="qc-menu-button",
        variant="soft",
        color_scheme="gray",
        size="3",
        type="button",
        aria_label="Menu",
        aria_expanded=rx.cond(nav.menu_open, "true", "false"),
        aria_controls=MENU_ID,
        on_click=nav.on_toggle,
    )


def _admin_group(nav: Nav) -> rx.Component:
    return rx.cond(
        nav.show_admin,
        rx.vstack(
            rx.text("Admin", size="1", weight="bold", color_scheme="gray", padding_x="12px",
                    id="nav-admin-heading"),
            rx.vstack(*[_nav_link(item) for item in nav.admin_items], spacing="1", width="100%",
                      role="group", aria_labelledby="nav-admin-heading"),
            spacing="1",
            width="100%",
        ),
        rx.fragment(),
    )


def shell(*content: rx.Component, title: str, nav: Nav, sidebar: rx.Component | None = None,
          actions: rx.Component | None = None) -> rx.Component:
    """`sidebar`: extra controls under the brand (the workspace switcher); `actions`: buttons beside
    the page title. Below 768 px the navigation is a bar with a menu button; assets/shell.css hides the
    links there until the menu is opened."""
    return rx.flex(
        rx.el.nav(
            rx.hstack(brand(), rx.spacer(), _menu_button(nav), align="center", width="100%"),
            rx.vstack(
                sidebar or rx.fragment(),
                rx.vstack(*[_nav_link(item) for item in nav.items], spacing="1", width="100%"),
                _admin_group(nav),
                rx.spacer(),
                rx.color_mode.button(size="2", variant="ghost", aria_label="Toggle dark mode"),
                id=MENU_ID,
                class_name="qc-nav-panel",
                spacing="5",
                width="100%",
                flex="1",
            ),
            aria_label="Main",
            class_name="qc-nav",
            data_open=rx.cond(nav.menu_open, "true", "false"),
            style={
                "display": "flex",
                "flex_direction": "column",
                "gap": "20px",
                "padding": "16px",
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
