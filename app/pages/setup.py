"""/setup?token=...: the first person makes the instance's administrator account, signed in, no mail."""

from __future__ import annotations

import reflex as rx

from app.pages import routes
from app.pages.welcome import ZONES
from components.forms import auth_card, form_error, labelled_input
from state.setup import SetupNoticeState, SetupState


def not_set_up_notice() -> rx.Component:
    """What a stranger reads on the signed-out pages of a fresh instance (SetupNoticeState.check on load)."""
    return rx.cond(
        SetupNoticeState.setup_needed,
        rx.callout(
            rx.text(
                "This Quillcast is not set up yet: open the setup link printed in the terminal where "
                "you ran ", rx.code("make run"), ". It makes the first account, the administrator, "
                "without any e-mail.",
            ),
            icon="key-round", color_scheme="amber", width="100%", id="setup-needed",
        ),
        rx.fragment(),
    )


def _where_is_the_link() -> rx.Component:
    return rx.vstack(
        rx.cond(
            SetupState.message != "",
            rx.callout(SetupState.message, icon="triangle-alert", color_scheme="red", role="alert",
                       width="100%"),
            rx.fragment(),
        ),
        rx.text("Setting up this Quillcast needs its setup link. It is printed in the terminal where "
                "you ran ", rx.code("make run"), ", just below \u201cQuillcast is running at \u2026\u201d, "
                "and looks like ",
                rx.code("http://127.0.0.1:3000/setup?token=\u2026"), ".", size="2"),
        rx.text("Lost it? In the project folder, run ", rx.code("quillcast setup-link"), " (or ",
                rx.code(".venv/bin/quillcast setup-link"), ") to print it again.", size="2"),
        spacing="3", width="100%", id="setup-no-token",
    )


def _already_set_up() -> rx.Component:
    return rx.vstack(
        rx.callout("This Quillcast is already set up: the setup link worked once and is no longer valid.",
                   icon="circle-check", color_scheme="green", width="100%"),
        rx.text("Sign in with your account. New people create an account and are confirmed by e-mail.",
                size="2"),
        rx.link(rx.button("Go to sign in", size="3", width="100%"), href=routes.SIGNIN, width="100%"),
        spacing="3", width="100%", id="setup-done",
    )


def _form() -> rx.Component:
    s = SetupState
    return rx.form(
        rx.vstack(
            rx.text("You are the first person here. This account becomes the administrator of this "
                    "Quillcast: it can read the e-mail outbox and see the health of the whole instance. "
                    "No confirmation e-mail is needed.", size="2"),
            form_error(s.errors),
            labelled_input("E-mail address", "email", s.errors, type="email", autocomplete="email",
                           required=True),
            labelled_input("Your name", "display_name", s.errors, autocomplete="name",
                           hint="Shown to your teammates. Any language is fine."),
            labelled_input("Password", "password", s.errors, type="password", autocomplete="new-password",
                           hint="At least 10 characters. A few unusual words work well."),
            labelled_input("Time zone", "timezone", s.errors, list="zones", value=s.timezone,
                           on_change=s.set_timezone,
                           hint="Taken from this browser; change it if it is wrong."),
            rx.el.datalist(*[rx.el.option(value=z) for z in ZONES], id="zones"),
            rx.button("Create admin account", type="submit", size="3", width="100%",
                      loading=s.submitting),
            spacing="4", width="100%",
        ),
        on_submit=s.submit, width="100%",
    )


def setup_page() -> rx.Component:
    return auth_card(
        "Set up Quillcast",
        rx.match(
            SetupState.status,
            ("form", _form()),
            ("set_up", _already_set_up()),
            ("no_token", _where_is_the_link()),
            rx.hstack(rx.spinner(), rx.text("Checking the setup link\u2026"), spacing="2"),
        ),
    )
