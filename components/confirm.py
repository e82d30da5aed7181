"""The dialog that asks before a row is removed, for a page state with the ConfirmDialog mixin."""

from __future__ import annotations

from typing import Any

import reflex as rx


def confirm_dialog(
    state: Any, title: str, description: rx.Component, action: str, on_confirm: Any, *, keep: str = "Keep it"
) -> rx.Component:
    """Open while `state.confirm_id` names a row; `keep` closes it, `action` runs `on_confirm`."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                # plain buttons: the state closes the dialog, so a click cannot race a close event
                rx.button(keep, variant="soft", color_scheme="gray", on_click=state.cancel_confirm),
                rx.button(action, color_scheme="red", on_click=on_confirm),
                spacing="3",
                justify="end",
                margin_top="16px",
            ),
            max_width="440px",
        ),
        open=state.confirm_id != "",
        on_open_change=state.dialog_open_change,
    )
