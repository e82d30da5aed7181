"""The phone menu's state. It is open on one page only (the path it was opened on), so following a link
closes it without an event of its own: an event sent as a page is left could be handled after the next
page's load and bring back the old page's router data."""

from __future__ import annotations

import reflex as rx


class NavState(rx.State):
    open_on: str = ""  # the path the menu was opened on; "" = closed

    @rx.event
    def toggle_menu(self) -> None:
        path = self.router.url.path
        self.open_on = "" if self.open_on == path else path
