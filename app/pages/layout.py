"""The frames of the pages: `page` (the shell with the navigation) and `workspace_page` (plus the
workspace switcher)."""

from __future__ import annotations

import reflex as rx

from app.pages.routes import ADMIN_NAV, NAV
from components.shell import Nav, shell
from state.auth import AuthState
from state.health import HealthState
from state.nav import NavState
from state.workspace import WorkspaceState

NAVIGATION = Nav(
    items=NAV,
    admin_items=ADMIN_NAV,
    # known from sign-in checks (AuthState.require_login) or, on the public Status page, its health check
    show_admin=AuthState.is_admin | HealthState.admin,
    menu_open=NavState.open_on == rx.State.router.url.path,
    on_toggle=NavState.toggle_menu,
)


def workspace_switcher() -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text("Workspace", size="1", color_scheme="gray"), html_for="workspace-switcher"),
        rx.el.select(
            rx.foreach(WorkspaceState.my_workspaces,
                       lambda w: rx.el.option(w["name"], value=w["id"])),
            id="workspace-switcher",
            aria_label="Workspace",  # rx.text(as_="label") drops html_for: axe saw an unnamed select
            value=WorkspaceState.workspace_choice,
            on_change=WorkspaceState.switch,
            style={"width": "100%", "padding": "6px 8px", "border_radius": "6px",
                   "border": f"1px solid {rx.color('gray', 7)}", "background": rx.color("gray", 1),
                   "color": rx.color("gray", 12)},
        ),
        rx.text(WorkspaceState.role, size="1", color_scheme="gray", transform="capitalize"),
        spacing="1",
        width="100%",
    )


def page(*content: rx.Component, title: str, actions: rx.Component | None = None,
         sidebar: rx.Component | None = None) -> rx.Component:
    return shell(*content, title=title, nav=NAVIGATION, sidebar=sidebar, actions=actions)


def workspace_page(*content: rx.Component, title: str, actions: rx.Component | None = None) -> rx.Component:
    return page(*content, title=title, sidebar=workspace_switcher(), actions=actions)
