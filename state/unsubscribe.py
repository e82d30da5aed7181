"""The page a notice e-mail's "Stop these e-mails" link opens: no sign-in, the signed link is the proof."""

from __future__ import annotations

from typing import Any

import reflex as rx

from app.services.errors import DomainError
from app.services.messaging import notifications
from state.auth import field_errors, in_db


class UnsubscribeState(rx.State):
    status: str = "checking"  # checking | confirm | off | on | error
    label: str = ""
    email: str = ""
    message: str = ""
    # Backend only: the link's token, so the buttons act on the same link the page was opened with.
    _token: str = ""

    async def _apply(self, action: Any, *, confirm_if_on: bool = False) -> None:
        try:
            choice = await in_db(action, self._token)
        except DomainError as exc:
            message = next(iter(field_errors(exc).values()))
            self.status, self.message = "error", message[:1].upper() + message[1:]
            return
        self.label, self.email = choice.label, choice.email
        if confirm_if_on and choice.enabled:
            self.status = "confirm"
        else:
            self.status = "on" if choice.enabled else "off"

    @rx.event
    async def on_load(self) -> None:
        self._token = self.router.url.query_parameters.get("token", "")
        self.status, self.message, self.label, self.email = "checking", "", "", ""
        if not self._token:
            self.status = "error"
            self.message = ("This page needs the link from an e-mail. To choose your e-mails, sign in and "
                            "open your Account page.")
            return
        # Opening the link changes nothing: a mail scanner following it must not unsubscribe anyone.
        await self._apply(notifications.link_choice, confirm_if_on=True)

    @rx.event
    async def turn_on(self) -> None:
        await self._apply(notifications.resubscribe)

    @rx.event
    async def turn_off(self) -> None:
        await self._apply(notifications.unsubscribe)
