"""Workspace settings: name and time zone, the two-factor policy, members with roles, invitations, and
outgoing webhooks."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from app.pages.routes import RSS_FEEDS
from app.pages.webhook_settings import delete_webhook_dialog, webhooks_section
from components.confirm import confirm_dialog
from components.forms import field_error, form_error, labelled_input, section_card
from models import INVITABLE_ROLES, ROLES
from state.workspace_settings import WebhookSettingsState as W
from state.workspace_settings import WorkspaceSettingsState as S

SELECT_STYLE = {"padding": "6px 8px", "border_radius": "6px", "border": f"1px solid {rx.color('gray', 7)}",
                "background": rx.color("gray", 1), "color": rx.color("gray", 12)}


def general_section() -> rx.Component:
    return section_card(
        "General",
        rx.form(
            rx.vstack(
                rx.el.input(type="hidden", name="nonce", value=S.nonce),
                labelled_input("Workspace name", "name", S.errors, default_value=S.name, key=S.name,
                               disabled=~S.can_manage),
                labelled_input("Time zone", "timezone", S.errors, default_value=S.timezone, key=S.timezone,
                               hint="An IANA name such as Europe/Berlin; the calendar and time slots use it.",
                               disabled=~S.can_manage),
                form_error(S.errors),
                rx.cond(S.can_manage, rx.button("Save", type="submit", loading=S.saving), rx.fragment()),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=S.save_general,
            reset_on_submit=False,
            width="100%",
        ),
    )


def security_section() -> rx.Component:
    return section_card(
        "Security",
        rx.hstack(
            rx.switch(id="require_2fa", checked=S.require_2fa, on_change=S.set_require_2fa,
                      disabled=~S.can_manage, aria_describedby="require_2fa-error"),
            rx.el.label(rx.text("Require two-factor authentication of every member", size="2"),
                        html_for="require_2fa"),
            spacing="3",
            align="center",
        ),
        field_error(S.errors, "require_2fa"),
    )


def member_row(m: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.text(m["name"], weight="medium", size="2", style={"overflow_wrap": "anywhere"}),
                rx.text(m["email"], size="1", color_scheme="gray", style={"overflow_wrap": "anywhere"}),
                spacing="0",
                flex="1",
                min_width="180px",
            ),
            rx.badge(m["two_fa"], variant="soft",
                     color_scheme=rx.cond(m["two_fa"] == "2FA on", "green", "gray")),
            rx.cond(
                S.can_manage_members,
                rx.hstack(
                    rx.el.select(
                        *[rx.el.option(r.capitalize(), value=r) for r in ROLES],
                        value=m["role"],
                        aria_label="Role of " + m["email"].to(str),
                        on_change=lambda role: S.change_role(m["id"], role),
                        style=SELECT_STYLE,
                    ),
                    rx.button("Remove", size="1", variant="soft", color_scheme="red",
                              aria_label="Remove " + m["email"].to(str), on_click=S.ask_remove(m["id"])),
                    spacing="2",
                    align="center",
                ),
                rx.badge(m["role"], variant="outline"),
            ),
            spacing="3",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(
            S.member_errors.contains(m["id"]),
            rx.text(S.member_errors[m["id"]], color_scheme="red", size="2", role="alert"),
            rx.fragment(),
        ),
        spacing="1",
        width="100%",
        padding_y="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def members_section() -> rx.Component:
    return section_card(
        "Members",
        rx.vstack(rx.foreach(S.members, member_row), spacing="0", width="100%"),
        description="Owners and admins change roles; only an owner makes someone an owner. "
                    "The last owner cannot be removed or demoted.",
    )


def invitation_row(i: rx.Var) -> rx.Component:
    return rx.flex(
        rx.text(i["email"], size="2", flex="1", min_width="180px", style={"overflow_wrap": "anywhere"}),
        rx.badge(i["role"], variant="outline"),
        rx.text("expires ", i["expires"], size="1", color_scheme="gray"),
        rx.button("Revoke", size="1", variant="soft", color_scheme="red",
                  aria_label="Revoke invitation to " + i["email"].to(str), on_click=S.revoke(i["id"])),
        spacing="3",
        align="center",
        wrap="wrap",
        width="100%",
        padding_y="6px",
    )


def invitations_section() -> rx.Component:
    return section_card(
        "Invitations",
        rx.form(
            rx.flex(
                rx.el.input(type="hidden", name="nonce", value=S.invite_nonce),
                rx.box(labelled_input("E-mail address", "email", S.invite_errors, type="email"),
                       flex="1", min_width="220px"),
                rx.vstack(
                    rx.el.label(rx.text("Role", size="2", weight="medium"), html_for="invite_role"),
                    rx.el.select(*[rx.el.option(r.capitalize(), value=r) for r in INVITABLE_ROLES],
                                 id="invite_role", name="role", default_value="editor",
                                 style={**SELECT_STYLE, "padding": "9px 8px"}),
                    field_error(S.invite_errors, "role"),
                    spacing="1",
                ),
                rx.button("Invite", type="submit", size="3", loading=S.saving),
                spacing="3",
                align="end",
                wrap="wrap",
                width="100%",
            ),
            form_error(S.invite_errors),
            on_submit=S.invite,
            reset_on_submit=False,
            width="100%",
        ),
        rx.heading("Pending", size="3", as_="h3"),
        rx.cond(
            S.pending.length() > 0,
            rx.vstack(rx.foreach(S.pending, invitation_row), spacing="0", width="100%"),
            rx.text("No pending invitations.", size="2", color_scheme="gray"),
        ),
    )


def remove_dialog() -> rx.Component:
    return confirm_dialog(
        S,
        "Remove this member?",
        rx.text(rx.text.strong(S.confirm_label), " loses access to this workspace at once."),
        "Remove",
        S.remove,
        keep="Keep",
    )


def workspace_settings_page() -> rx.Component:
    return workspace_page(
        general_section(),
        security_section(),
        members_section(),
        rx.cond(S.can_invite, invitations_section(), rx.fragment()),
        rx.cond(W.can_manage, webhooks_section(), rx.fragment()),
        remove_dialog(),
        delete_webhook_dialog(),
        title="Workspace settings",
        actions=rx.hstack(
            rx.link(rx.button("RSS feeds", variant="soft", tab_index=-1), href=RSS_FEEDS),
            rx.cond(S.allowed.contains("audit:read"),
                    rx.link(rx.button("Audit log", variant="soft", tab_index=-1), href="/settings/audit"),
                    rx.fragment()),
            spacing="2", wrap="wrap"),
    )
