"""/unsubscribe?token=...: asks, then turns off the notice a mail's link names, with a way back. (Mail
clients' one-click unsubscribe is the POST to /api/unsubscribe; this page is for people.)"""

from __future__ import annotations

import reflex as rx

from app.pages import routes
from components.forms import auth_card
from state.unsubscribe import UnsubscribeState


def _result(icon: str, color: str, *text: rx.Component | str | rx.Var) -> rx.Component:
    return rx.callout(rx.text(*text), icon=icon, color_scheme=color, width="100%", role="status")


def _off() -> rx.Component:
    s = UnsubscribeState
    return rx.vstack(
        _result("bell-off", "green", "You will no longer get e-mails about “", rx.text.strong(s.label),
                "” at ", rx.text.strong(s.email), "."),
        rx.text("Security e-mails (sign-ins, password, two-factor) still come.", size="2",
                color_scheme="gray"),
        rx.button("Turn them back on", on_click=s.turn_on, variant="soft", id="resubscribe"),
        spacing="3",
        width="100%",
        align="start",
    )


def _on() -> rx.Component:
    s = UnsubscribeState
    return rx.vstack(
        _result("bell-ring", "blue", "E-mails about “", rx.text.strong(s.label), "” are on again for ",
                rx.text.strong(s.email), "."),
        rx.button("Stop them again", on_click=s.turn_off, variant="soft", color_scheme="gray",
                  id="unsubscribe-again"),
        spacing="3",
        width="100%",
        align="start",
    )


def _confirm() -> rx.Component:
    s = UnsubscribeState
    return rx.vstack(
        rx.text("Stop e-mails about “", rx.text.strong(s.label), "” to ", rx.text.strong(s.email), "?"),
        rx.text("Security e-mails (sign-ins, password, two-factor) still come.", size="2",
                color_scheme="gray"),
        rx.button("Stop these e-mails", on_click=s.turn_off, id="unsubscribe"),
        spacing="3",
        width="100%",
        align="start",
    )


def unsubscribe_page() -> rx.Component:
    s = UnsubscribeState
    return auth_card(
        "E-mail notifications",
        rx.match(
            s.status,
            ("confirm", _confirm()),
            ("off", _off()),
            ("on", _on()),
            ("error", rx.callout(s.message, icon="triangle-alert", color_scheme="red", role="alert",
                                 width="100%")),
            rx.hstack(rx.spinner(), rx.text("Checking the link…"), spacing="2"),
        ),
        rx.link("Choose all your e-mails on your Account page", href=routes.ACCOUNT, size="2"),
    )
