"""What the form pages share: the once-only form nonce and the confirm-before-removing dialog.

Both are state mixins, not vars on WorkspaceState: Reflex keeps a parent state's vars once for all its
substates, while a mixin's vars are copied onto each page's own state, so every page keeps a nonce (and
a dialog) of its own.
"""

from __future__ import annotations

import secrets
from typing import Any

import reflex as rx


def fresh_nonce() -> str:
    return secrets.token_hex(8)


class OnceForm(rx.State, mixin=True):
    """Reflex runs a second click's submit after the first one finished, so a "saving" flag cannot stop
    a double click: each rendered form carries a nonce, and the server accepts each nonce once."""

    nonce: str = ""
    _used_nonces: list[str] = []

    def _take(self, nonce: Any, busy: bool) -> bool:
        """True the first time a nonce comes in while the form is not busy; remembers it."""
        nonce = str(nonce)
        if busy or not nonce or nonce in self._used_nonces:
            return False
        self._used_nonces = [*self._used_nonces[-20:], nonce]
        return True


class ConfirmDialog(rx.State, mixin=True):
    """The dialog that asks before a row is removed: which row (`confirm_id`) and its name."""

    confirm_id: str = ""
    confirm_label: str = ""

    @rx.event
    def cancel_confirm(self) -> None:
        self.confirm_id = ""

    @rx.event
    def dialog_open_change(self, is_open: bool) -> None:
        if not is_open:  # Escape: the same as "Keep it"
            self.confirm_id = ""

    def _confirmed(self) -> str:
        """The row the person confirmed ("" when none); the dialog closes."""
        confirm_id, self.confirm_id = self.confirm_id, ""
        return confirm_id
