"""The navigation's own state: whether the phone menu is open, and whether to show the Admin links.

The Admin links are a convenience only: each admin page checks the administrator again on load.
"""

from __future__ import annotations

import reflex as rx

from app.services import admins
from app.services.errors import DomainError
from state.auth import AuthState, in_db


def _is_admin(session, user_id) -> bool:  # type: ignore[no-untyped-def]
    try:
        admins.require_instance_admin(session, user_id)
    except DomainError:
        return False
    return True


class NavState(AuthState):
    menu_open: bool = False
    admin: bool = False

    @rx.event
    def toggle_menu(self) -> None:
        self.menu_open = not self.menu_open

    @rx.event
    def close_menu(self) -> None:
        self.menu_open = False

    @rx.event
    async def arrive(self) -> None:
        """on_mount of every page's navigation: a new page starts with the menu closed."""
        self.menu_open = False
        user_id = self.current_user_id() if self.session_token else None
        self.admin = user_id is not None and await in_db(_is_admin, user_id)
