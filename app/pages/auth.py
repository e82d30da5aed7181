"""Signed-out pages: sign up, sign in (with the 2FA step), verify, forgot and reset password."""

from __future__ import annotations

from typing import Any

import reflex as rx

from app.api.oidc import configured_providers
from app.pages import routes
from app.pages.setup import not_set_up_notice
from components.forms import auth_card, form_error, labelled_input
from state.auth import ForgotState, ResetState, SignInState, SignUpState, VerifyState


def _submit(label: str, loading: rx.Var) -> rx.Component:
    return rx.button(label, type="submit", size="3", width="100%", loading=loading)


def _form(errors: Any, *fields: rx.Component, on_submit: Any) -> rx.Component:
    """A signed-out form: the form-level error above its fields and button."""
    return rx.form(
        rx.vstack(form_error(errors), *fields, spacing="4", width="100%"), on_submit=on_submit, width="100%"
    )


def _new_password(errors: Any, label: str, hint: str) -> rx.Component:
    return labelled_input(label, "password", errors, type="password", autocomplete="new-password", hint=hint)


def _success(text: str, icon: str) -> rx.Component:
    return rx.callout(text, icon=icon, color_scheme="green")


def _link(text: str, route: str) -> rx.Component:
    return rx.link(text, href=route, size="2")


def signup_page() -> rx.Component:
    s = SignUpState
    form = _form(
        s.errors,
        labelled_input("E-mail address", "email", s.errors, type="email", autocomplete="email"),
        labelled_input(
            "Your name",
            "display_name",
            s.errors,
            autocomplete="name",
            hint="Shown to your teammates. Any language is fine.",
        ),
        _new_password(s.errors, "Password", "At least 10 characters. A few unusual words work well."),
        _submit("Create account", s.submitting),
        on_submit=s.submit,
    )
    done = rx.cond(
        s.mail_held,
        rx.callout(
            "Your account is created, but this Quillcast sends no e-mail yet (no mail server is set up): "
            "your confirmation mail waits in its outbox. Ask your Quillcast administrator to open "
            "Admin → Outbox and send you the link. It works for 24 hours.",
            icon="mail-warning", color_scheme="amber", id="signup-mail-held",
        ),
        _success(
            "Check your inbox: we sent a link to confirm your e-mail address. It works for 24 hours.",
            "mail-check",
        ),
    )
    return auth_card(
        "Create your account",
        not_set_up_notice(),
        rx.cond(s.done, done, form),
        rx.hstack(
            rx.text("Already have an account?", size="2"), _link("Sign in", routes.SIGNIN), spacing="2"
        ),
    )


def _password_step() -> rx.Component:
    s = SignInState
    return _form(
        s.errors,
        labelled_input("E-mail address", "email", s.errors, type="email", autocomplete="username"),
        labelled_input(
            "Password", "password", s.errors, type="password", autocomplete="current-password"
        ),
        _submit("Sign in", s.submitting),
        on_submit=s.submit_password,
    )


def _code_step() -> rx.Component:
    s = SignInState
    return _form(
        s.errors,
        rx.cond(
            s.use_recovery,
            rx.text(
                "Enter one of the recovery codes you saved when you turned on two-factor "
                "authentication. Each works once.",
                size="2",
            ),
            rx.text("Enter the 6-digit code from your authenticator app.", size="2"),
        ),
        rx.cond(
            s.use_recovery,
            labelled_input(
                "Recovery code",
                "code",
                s.errors,
                autocomplete="off",
                placeholder="abcde-fghjk",
                key="recovery",
            ),
            labelled_input(
                "Authentication code",
                "code",
                s.errors,
                autocomplete="one-time-code",
                input_mode="numeric",
                placeholder="123456",
                key="totp",
            ),
        ),
        _submit("Verify", s.submitting),
        rx.hstack(
            rx.link(
                rx.cond(s.use_recovery, "Use the authenticator app", "Use a recovery code"),
                on_click=s.toggle_recovery,
                size="2",
                href="#",
            ),
            rx.spacer(),
            rx.link("Start again", on_click=s.restart, size="2", href="#"),
            width="100%",
        ),
        on_submit=s.submit_code,
    )


PROVIDER_LABELS = {"google": "Google", "github": "GitHub"}


def _social_buttons() -> rx.Component:
    """One button per configured OpenID Connect provider (settings decide; none: nothing shown)."""
    names = configured_providers()
    if not names:
        return rx.fragment()
    return rx.vstack(
        rx.text("or", size="1", color_scheme="gray", align="center", width="100%"),
        *[rx.link(rx.button(f"Continue with {PROVIDER_LABELS.get(n, n.title())}", variant="outline", size="3",
                            width="100%"), href=f"/api/auth/oidc/{n}/login", width="100%")
          for n in names],
        spacing="2",
        width="100%",
    )


def signin_page() -> rx.Component:
    s = SignInState
    return auth_card(
        rx.cond(s.step == "code", "Two-factor authentication", "Sign in"),  # type: ignore[arg-type]
        not_set_up_notice(),
        rx.cond(s.step == "code", _code_step(), _password_step()),
        _social_buttons(),
        rx.hstack(
            _link("Forgot your password?", routes.FORGOT),
            rx.spacer(),
            _link("Create an account", routes.SIGNUP),
            width="100%",
        ),
        _link("Didn't get the confirmation e-mail?", routes.VERIFY),
    )


def _resend_form() -> rx.Component:
    s = VerifyState
    return rx.cond(
        s.resent,
        _success(
            "If that address has an unconfirmed account, a new link is on its way. It works for 24 hours.",
            "mail-check",
        ),
        _form(
            s.errors,
            rx.text("Enter your e-mail address and we will send a new confirmation link.", size="2"),
            labelled_input("E-mail address", "email", s.errors, type="email", autocomplete="email"),
            rx.button("Send a new link", type="submit", size="3", width="100%"),
            on_submit=s.resend,
        ),
    )


def verify_page() -> rx.Component:
    s = VerifyState
    return auth_card(
        "Confirm your e-mail address",
        rx.match(
            s.status,
            ("ok", rx.callout(s.message, icon="circle-check", color_scheme="green")),
            (
                "error",
                rx.vstack(
                    rx.callout(
                        s.message, icon="triangle-alert", color_scheme="red", role="alert", width="100%"
                    ),
                    _resend_form(),
                    spacing="4",
                    width="100%",
                ),
            ),
            ("resend", _resend_form()),
            rx.hstack(rx.spinner(), rx.text("Checking the link…"), spacing="2"),
        ),
        rx.link("Go to sign in", href=routes.SIGNIN, size="2"),
    )


def forgot_page() -> rx.Component:
    s = ForgotState
    form = _form(
        s.errors,
        rx.text(
            "Enter the e-mail address of your account and we will send a link to choose a new password.",
            size="2",
        ),
        labelled_input("E-mail address", "email", s.errors, type="email", autocomplete="email"),
        _submit("Send the link", s.submitting),
        on_submit=s.submit,
    )
    done = _success(
        "If that address has an account, a link is on its way. It works once, for 30 minutes.", "mail-check"
    )
    return auth_card(
        "Forgot your password?", rx.cond(s.done, done, form), _link("Back to sign in", routes.SIGNIN)
    )


def reset_page() -> rx.Component:
    s = ResetState
    form = _form(
        s.errors,
        rx.cond(
            s.errors.contains("token"),
            rx.callout(s.errors["token"], icon="triangle-alert", color_scheme="red", role="alert"),
            rx.fragment(),
        ),
        _new_password(s.errors, "New password", "At least 10 characters."),
        _submit("Set the new password", s.submitting),
        on_submit=s.submit,
    )
    done = _success(
        "Your password is changed and every session was signed out. Sign in with the new password.",
        "circle-check",
    )
    return auth_card(
        "Choose a new password",
        rx.cond(s.done, done, form),
        rx.hstack(
            _link("Sign in", routes.SIGNIN),
            rx.spacer(),
            _link("Ask for a new link", routes.FORGOT),
            width="100%",
        ),
    )
