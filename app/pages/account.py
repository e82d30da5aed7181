"""Account settings: profile and time zone, password, two-factor authentication, notifications,
sessions."""

from __future__ import annotations

from typing import Any

import reflex as rx

from app.pages.layout import page
from app.services.messaging.notifications import KINDS, Kind
from components.forms import form_error, labelled_input, section_card
from state.account import AccountState

RECOVERY_FILE = "quillcast-recovery-codes.txt"


def _section(title: str, *content: rx.Component, description: str = "") -> rx.Component:
    return section_card(title, *content, description=description, max_width="720px")


def _save(label: str) -> rx.Component:
    return rx.button(label, type="submit", size="2")


def _current_password(label: str, name: str, hint: str | None = None) -> rx.Component:
    """The password asked again before a sensitive change."""
    return labelled_input(
        label, name, AccountState.errors, type="password", autocomplete="current-password", hint=hint
    )


def _form(*fields: rx.Component, on_submit: Any, reset_on_submit: bool = False) -> rx.Component:
    """A column of fields ending in its submit button; `reset_on_submit` clears what was typed."""
    return rx.form(
        rx.vstack(*fields, spacing="3", width="100%", align="start"),
        on_submit=on_submit,
        reset_on_submit=reset_on_submit,
        width="100%",
    )


def profile_section() -> rx.Component:
    s = AccountState
    return _section(
        "Profile",
        _form(
            rx.text("E-mail address: ", rx.text.strong(s.user_email), size="2"),
            rx.cond(
                s.pending_email != "",
                rx.text("Waiting for confirmation of ", s.pending_email, size="2", color_scheme="amber"),
                rx.fragment(),
            ),
            labelled_input(
                "Display name", "display_name", s.errors, default_value=s.display_name, key=s.display_name
            ),
            labelled_input(
                "Time zone",
                "timezone",
                s.errors,
                default_value=s.timezone,
                key=s.timezone,
                hint="An IANA name such as Europe/Paris or America/New_York.",
            ),
            _save("Save profile"),
            on_submit=s.save_profile,
        ),
    )


def email_section() -> rx.Component:
    s = AccountState
    return _section(
        "E-mail address",
        _form(
            labelled_input("New e-mail address", "new_email", s.errors, type="email", autocomplete="email"),
            _current_password("Password, to confirm the change", "email_password"),
            _save("Change e-mail address"),
            on_submit=s.change_email,
        ),
        description="We send a link to the new address; your current address stays until it is followed.",
    )


def password_section() -> rx.Component:
    s = AccountState
    return _section(
        "Password",
        _form(
            _current_password("Current password", "current_password"),
            labelled_input(
                "New password",
                "new_password",
                s.errors,
                type="password",
                autocomplete="new-password",
                hint="At least 10 characters.",
            ),
            _save("Change password"),
            on_submit=s.change_password,
            reset_on_submit=True,
        ),
        description="Changing it signs out every other session.",
    )


def _enrol_form() -> rx.Component:
    s = AccountState
    return _form(
        _current_password(
            "Password", "password", hint="Confirm it is you before turning two-factor authentication on."
        ),
        _save("Set up two-factor authentication"),
        on_submit=s.start_two_factor,
        reset_on_submit=True,
    )


def _confirm_form() -> rx.Component:
    s = AccountState
    return rx.vstack(
        rx.text(
            "1. Scan this QR code with an authenticator app (Aegis, 1Password, Google Authenticator…).",
            size="2",
        ),
        rx.image(
            src=s.enrol_qr,
            alt="QR code for your authenticator app",
            width="200px",
            height="200px",
            background="white",
            padding="8px",
            border_radius="8px",
        ),
        rx.text("Or type this key into the app:", size="2"),
        rx.code(s.enrol_key, size="3", id="manual-key"),
        _form(
            labelled_input(
                "2. Enter the 6-digit code the app shows",
                "code",
                s.errors,
                autocomplete="one-time-code",
                input_mode="numeric",
                placeholder="123456",
            ),
            _save("Turn on"),
            on_submit=s.confirm_two_factor,
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def _recovery_codes() -> rx.Component:
    s = AccountState
    return rx.callout(
        rx.vstack(
            rx.text(
                "Save these recovery codes now; they are shown only once. Each one signs you in once if "
                "you lose your phone.",
                weight="medium",
            ),
            rx.grid(
                rx.foreach(s.recovery_codes, lambda c: rx.code(c, size="3")),
                columns="2",
                spacing="2",
                id="recovery-codes",
            ),
            rx.hstack(
                rx.button(rx.icon("copy", size=16), "Copy all", type="button", size="2", variant="surface",
                          on_click=[rx.set_clipboard(s.recovery_text),
                                    rx.toast.success("Recovery codes copied to the clipboard.")]),
                rx.button(rx.icon("download", size=16), "Download .txt", type="button", size="2",
                          variant="surface",
                          on_click=rx.download(data=s.recovery_file, filename=RECOVERY_FILE)),
                spacing="2",
                wrap="wrap",
            ),
            spacing="3",
        ),
        icon="key-round",
        color_scheme="amber",
        width="100%",
    )


def _disable_form() -> rx.Component:
    s = AccountState
    return _form(
        rx.text(
            "Two-factor authentication is on. ", s.recovery_left, " unused recovery codes left.", size="2"
        ),
        _current_password("Password", "password", hint="Needed to turn two-factor authentication off."),
        rx.button("Turn off", type="submit", size="2", color_scheme="red", variant="soft"),
        on_submit=s.disable_two_factor,
        reset_on_submit=True,
    )


def two_factor_section() -> rx.Component:
    s = AccountState
    return _section(
        "Two-factor authentication",
        rx.cond(s.recovery_codes.length() > 0, _recovery_codes(), rx.fragment()),
        rx.cond(
            s.two_factor,
            _disable_form(),
            rx.cond(s.enrol_key != "", _confirm_form(), _enrol_form()),
        ),
        description="A code from your phone at each sign-in, so a stolen password alone is not enough.",
    )


def _notification_switch(kind: Kind) -> rx.Component:
    s = AccountState
    switch_id = f"notify-{kind.name}"
    return rx.hstack(
        rx.switch(
            id=switch_id,
            checked=s.notification_prefs[kind.name],
            on_change=lambda on: s.set_notification(kind.name, on),
            aria_describedby=f"{switch_id}-hint",
        ),
        rx.vstack(
            rx.el.label(rx.text(kind.label, size="2", weight="medium"), html_for=switch_id),
            rx.text(kind.hint, size="1", color_scheme="gray", id=f"{switch_id}-hint"),
            spacing="0",
        ),
        spacing="3",
        align="start",
    )


def notifications_section() -> rx.Component:
    return _section(
        "Notifications",
        *(_notification_switch(kind) for kind in KINDS.values()),
        description="E-mails about posts. Security e-mails (sign-ins, password, two-factor) always come.",
    )


def _session_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            row["device"], rx.cond(row["current"] != "", rx.badge("this browser", ml="2"), rx.fragment())
        ),
        rx.table.cell(row["ip"]),
        rx.table.cell(row["created"]),
        rx.table.cell(row["last_seen"]),
        rx.table.cell(
            rx.button(
                "Sign out",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=AccountState.revoke(row["id"]),
                aria_label="Sign out this session",
                white_space="nowrap",
            ),
        ),
    )


def sessions_section() -> rx.Component:
    s = AccountState
    return _section(
        "Sessions",
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Device"),
                    rx.table.column_header_cell("IP"),
                    rx.table.column_header_cell("Signed in"),
                    rx.table.column_header_cell("Last seen"),
                    rx.table.column_header_cell(""),
                )
            ),
            rx.table.body(rx.foreach(s.session_rows, _session_row)),
            width="100%",
            aria_label="Active sessions",
            id="sessions-table",
        ),
        rx.button(
            "Sign out everywhere", on_click=s.sign_out_everywhere, color_scheme="red", variant="outline"
        ),
        description="Where your account is signed in. Signing a session out takes effect at once.",
    )


def account_page() -> rx.Component:
    s = AccountState
    return page(
        rx.cond(
            s.notice != "",
            rx.callout(s.notice, icon="circle-check", color_scheme="green", max_width="720px", width="100%"),
            rx.fragment(),
        ),
        rx.cond(
            s.errors.contains("form"),
            rx.box(form_error(s.errors), max_width="720px", width="100%"),
            rx.fragment(),
        ),
        profile_section(),
        email_section(),
        password_section(),
        two_factor_section(),
        notifications_section(),
        sessions_section(),
        rx.button("Sign out", on_click=s.sign_out, variant="soft"),
        title="Account settings",
    )
