"""Channels: the workspace's connected accounts, connect one per network, re-connect, disconnect."""

from __future__ import annotations

import reflex as rx

from app.connectors import catalogue
from app.pages.layout import workspace_page
from components.confirm import confirm_dialog
from components.forms import field_error, form_error, labelled_input
from components.networks import LOOKS
from state.channels import CONNECTABLE, OAUTH, ChannelsState, connect_fields

# The networks the picker offers, in the order the UI shows networks in.
NETWORK_CHOICES = [(n, catalogue.label(n)) for n in LOOKS if n in CONNECTABLE]
STATUS_COLOURS = {"active": "green", "needs_reauth": "amber", "disabled": "gray"}
STATUS_LABELS = {"active": "Active", "needs_reauth": "Needs re-connecting", "disabled": "Disconnected"}


def status_badge(status: rx.Var) -> rx.Component:
    return rx.badge(
        rx.match(status, *[(k, v) for k, v in STATUS_LABELS.items()], status),
        color_scheme=rx.match(status, *[(k, v) for k, v in STATUS_COLOURS.items()], "gray"),
        variant="soft",
    )


def channel_card(row: rx.Var) -> rx.Component:
    s = ChannelsState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(row["network_label"], variant="solid", color_scheme="indigo"),
                status_badge(row["status"]),
                spacing="2",
                wrap="wrap",
            ),
            rx.heading(row["name"], size="3", as_="h3", style={"overflow_wrap": "anywhere"}),
            rx.text(row["account"], size="2", color_scheme="gray", style={"overflow_wrap": "anywhere"}),
            rx.text("Last verified: ", row["verified"], size="1", color_scheme="gray"),
            rx.cond(
                row["reason"] != "",
                rx.callout(row["reason"], icon="triangle-alert", color_scheme="amber", size="1",
                           width="100%"),
                rx.fragment(),
            ),
            rx.cond(
                row["alerts"] != "",
                rx.callout(row["alerts"], icon="info", color_scheme="orange", size="1", width="100%"),
                rx.fragment(),
            ),
            rx.cond(
                s.can_manage,
                rx.hstack(
                    rx.cond(
                        rx.Var.create(list(OAUTH)).contains(row["network"]),  # re-connected by signing in
                        rx.fragment(),
                        rx.button("Re-connect", size="1", variant="soft",
                                  aria_label="Re-connect " + row["account"].to(str),
                                  on_click=s.start_reconnect(row["id"])),
                    ),
                    rx.button("Disconnect", size="1", variant="soft", color_scheme="red",
                              aria_label="Disconnect " + row["account"].to(str),
                              on_click=s.ask_disconnect(row["id"])),
                    spacing="2",
                ),
                rx.fragment(),
            ),
            spacing="2",
            align="start",
            width="100%",
        ),
        width="100%",
    )


def channel_list() -> rx.Component:
    s = ChannelsState
    return rx.vstack(
        rx.heading("Connected channels", size="4", as_="h2"),
        rx.cond(
            s.rows.length() > 0,
            rx.grid(rx.foreach(s.rows, channel_card), columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="3", width="100%"),
            rx.cond(
                s.loaded,
                rx.text("No channels yet. Connect one below to start publishing.", color_scheme="gray"),
                rx.spinner(),
            ),
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def _credential_field(f: rx.Var) -> rx.Component:
    s = ChannelsState
    return rx.vstack(
        rx.el.label(rx.text(f["label"], size="2", weight="medium"), html_for=f["key"]),
        rx.input(
            id=f["key"], name=f["key"], type=f["type"], default_value=f["default"],
            key=s.network + f["key"].to(str) + s.reconnect_id + s.form_round.to_string(),
            auto_complete="off", width="100%", size="3",
            aria_invalid=rx.cond(s.errors.contains(f["key"]), "true", "false"),
            aria_describedby=f["key"].to(str) + "-error",
        ),
        rx.text(f["hint"], size="1", color_scheme="gray"),
        rx.cond(
            s.errors.contains(f["key"]),
            rx.text(s.errors[f["key"]], color_scheme="red", size="2", id=f["key"].to(str) + "-error",
                    role="alert"),
            rx.fragment(),
        ),
        spacing="1",
        width="100%",
        align="start",
    )


def network_picker() -> rx.Component:
    s = ChannelsState
    return rx.vstack(
        rx.el.label(rx.text("Network", size="2", weight="medium"), html_for="network"),
        rx.el.select(
            *[rx.el.option(lbl, value=key) for key, lbl in NETWORK_CHOICES],
            id="network",
            value=s.network,
            on_change=s.choose_network,
            disabled=s.reconnect_id != "",
            style={"width": "100%", "padding": "8px", "border_radius": "6px",
                   "border": f"1px solid {rx.color('gray', 7)}", "background": rx.color("gray", 1),
                   "color": rx.color("gray", 12)},
        ),
        spacing="1",
        width="100%",
    )


def credentials_form() -> rx.Component:
    s = ChannelsState
    return rx.form(
        rx.vstack(
            rx.el.input(type="hidden", name="nonce", value=s.nonce),
            rx.foreach(s.fields, _credential_field),
            rx.cond(
                s.reconnect_id == "",
                labelled_input("Channel name (optional)", "name", s.errors,
                               hint="Shown in Quillcast only; defaults to the handle on the network."),
                rx.fragment(),
            ),
            rx.hstack(
                rx.button(rx.cond(s.reconnect_id != "", "Re-connect", "Connect"), type="submit",
                          loading=s.saving, size="3"),
                rx.cond(s.reconnect_id != "",
                        rx.button("Cancel", type="button", variant="soft", color_scheme="gray", size="3",
                                  on_click=s.cancel_reconnect),
                        rx.fragment()),
                spacing="2",
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=s.connect,
        reset_on_submit=False,
        width="100%",
        key=s.form_round,
    )


def oauth_form() -> rx.Component:
    s = ChannelsState
    return rx.form(
        rx.vstack(
            rx.el.input(type="hidden", name="nonce", value=s.nonce),
            rx.match(
                s.network,
                *[(n, rx.fragment(*[labelled_input(f.label, f.key, s.errors, hint=f.hint)
                                    for f in connect_fields(n)]))
                  for n in OAUTH if connect_fields(n)],
                rx.fragment(),
            ),
            rx.text("You will sign in on ",
                    rx.match(s.network, *[(k, v) for k, v in OAUTH.items()], "the network"),
                    " and come back here with the channel connected.", size="2", color_scheme="gray"),
            field_error(s.errors, "network"),
            field_error(s.errors, "state"),
            rx.button("Continue to sign in", type="submit", loading=s.saving, size="3"),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=s.start_oauth,
        reset_on_submit=False,
        width="100%",
    )


def connect_section() -> rx.Component:
    s = ChannelsState
    return rx.card(
        rx.vstack(
            rx.heading(rx.cond(s.reconnect_id != "", "Re-connect a channel", "Connect a channel"),
                       size="4", as_="h2", id="connect-heading"),
            rx.cond(s.reconnect_id != "",
                    rx.text("New credentials for ", rx.text.strong(s.reconnect_label), size="2"),
                    network_picker()),
            form_error(s.errors),
            rx.cond(s.is_oauth, oauth_form(), credentials_form()),
            spacing="4",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width="640px",
    )


def disconnect_dialog() -> rx.Component:
    s = ChannelsState
    return confirm_dialog(
        s,
        "Disconnect this channel?",
        rx.text(rx.text.strong(s.confirm_label),
                " stops publishing. Its credentials are deleted; posts waiting for it stay and "
                "fail with a reason until it is re-connected."),
        "Disconnect",
        s.disconnect,
    )


def channels_page() -> rx.Component:
    s = ChannelsState
    return workspace_page(
        channel_list(),
        rx.cond(
            s.can_manage,
            connect_section(),
            rx.text("Only workspace owners and admins can connect or disconnect channels.",
                    size="2", color_scheme="gray"),
        ),
        disconnect_dialog(),
        title="Channels",
    )


def oauth_callback_page() -> rx.Component:
    from state.channels import OAuthCallbackState as S

    return workspace_page(
        rx.cond(
            S.error != "",
            rx.vstack(
                rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
                rx.link("Back to channels", href="/channels"),
                spacing="3",
                max_width="640px",
            ),
            rx.hstack(rx.spinner(), rx.text("Connecting the channel…")),
        ),
        title="Connecting a channel",
    )
