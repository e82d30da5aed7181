"""The frame of every page inside a workspace: the shell plus the workspace switcher."""

from __future__ import annotations

import reflex as rx

from components.shell import shell
from state.workspace import WorkspaceState


def workspace_switcher() -> rx.Component:
    return rx.vstack(
        rx.text("Workspace", size="1", color_scheme="gray", as_="label", html_for="workspace-switcher"),
        rx.el.select(
            rx.foreach(WorkspaceState.my_workspaces,
                       lambda w: rx.el.option(w["name"], value=w["id"])),
            id="workspace-switcher",
            aria_label="Workspace",
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


def workspace_page(*content: rx.Component, title: str, actions: rx.Component | None = None) -> rx.Component:
    return shell(*content, title=title, sidebar=workspace_switcher(), actions=actions)
