"""/invitations/accept?token=...: join the workspace an e-mail invited you to."""

from __future__ import annotations

import reflex as rx

from components.forms import auth_card
from state.invitation import InvitationState as S


def invitation_page() -> rx.Component:
    signed_out = rx.vstack(
        rx.text("You were invited to a Quillcast workspace. Sign in, or create your account, with the "
                "e-mail address the invitation was sent to; then open the link from the e-mail again.",
                size="2"),
        rx.hstack(
            rx.link(rx.button("Sign in", size="3"), href="/signin"),
            rx.link(rx.button("Create an account", size="3", variant="soft"), href="/signup"),
            spacing="3",
        ),
        spacing="4",
        width="100%",
    )
    signed_in = rx.form(
        rx.vstack(
            rx.text("Join the workspace you were invited to. You can switch between workspaces at any time.",
                    size="2"),
            rx.el.input(type="hidden", name="nonce", value=S.nonce),
            rx.button("Accept the invitation", type="submit", size="3", width="100%", loading=S.joining,
                      disabled=~S.has_token),
            spacing="4",
            width="100%",
        ),
        on_submit=S.accept,
    )
    return auth_card(
        "Join a workspace",
        rx.cond(S.error != "", rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert",
                                           width="100%"), rx.fragment()),
        rx.cond(S.signed_in_here, signed_in, signed_out),
    )
