"""The Webhooks section of workspace settings: add, edit in place, test, rotate, delete, and each
webhook's recent deliveries."""

from __future__ import annotations

import reflex as rx

from components.confirm import confirm_dialog
from components.forms import field_error, form_error, labelled_input, section_card
from state.workspace_settings import EVENT_LABELS
from state.workspace_settings import WebhookSettingsState as W

STATUS_COLOURS = {"delivered": "green", "failed": "red", "pending": "amber", "retrying": "amber"}


def _status_badge(status: rx.Var) -> rx.Component:
    return rx.badge(
        status, variant="soft",
        color_scheme=rx.match(status, *[(k, v) for k, v in STATUS_COLOURS.items()], "gray"),
    )


def secret_callout() -> rx.Component:
    return rx.cond(
        W.new_secret != "",
        rx.callout.root(
            rx.vstack(
                rx.text("Copy the signing secret of ", rx.text.strong(W.new_secret_url),
                        " now: it is not shown again.", size="2"),
                rx.hstack(
                    rx.code(W.new_secret, id="webhook-secret", size="3",
                            style={"overflow_wrap": "anywhere", "user_select": "all"}),
                    rx.button("Copy", size="1", variant="soft", on_click=rx.set_clipboard(W.new_secret)),
                    rx.button("Done", size="1", variant="outline", on_click=W.dismiss_secret),
                    spacing="2", align="center", wrap="wrap",
                ),
                spacing="2", width="100%",
            ),
            color_scheme="green", role="status", width="100%",
        ),
        rx.fragment(),
    )


def event_choices(
    errors: rx.Var, prefix: str = "", error_key: str = "events", checked: rx.Var | None = None
) -> rx.Component:
    """The event checkboxes; `prefix` keeps the edit form's names and ids apart from the add form's."""
    return rx.el.fieldset(
        rx.el.legend(rx.text("Events", size="2", weight="medium")),
        rx.vstack(
            *[
                rx.el.label(
                    rx.el.input(type="checkbox", name=f"{prefix}event:{event}", id=f"{prefix}event-{event}",
                                aria_describedby=f"{error_key}-error",
                                default_checked=checked.contains(event) if checked is not None else False,
                                style={"width": "16px", "height": "16px", "margin": "3px 0 0"}),
                    # One text block beside the box, so a long line wraps under itself on a phone.
                    rx.text(rx.code(event, size="2"), " ", rx.text.span(label, color_scheme="gray"),
                            size="2"),
                    html_for=f"{prefix}event-{event}",
                    style={"display": "grid", "grid_template_columns": "16px 1fr", "gap": "8px",
                           "align_items": "start", "cursor": "pointer"},
                )
                for event, label in EVENT_LABELS.items()
            ],
            spacing="1",
            margin_top="4px",
        ),
        field_error(errors, error_key),
        style={"border": "none", "padding": "0", "margin": "0"},
    )


def edit_form() -> rx.Component:
    """The webhook being edited, in place of its row's buttons. The secret stays as it is (rotate it)."""
    return rx.form(
        rx.vstack(
            rx.el.input(type="hidden", name="nonce", value=W.edit_nonce),
            labelled_input("Receiver URL", "edit_url", W.edit_errors, type="url", default_value=W.edit_url),
            labelled_input("Description (optional)", "edit_description", W.edit_errors,
                           default_value=W.edit_description),
            event_choices(W.edit_errors, prefix="edit-", error_key="edit_events", checked=W.edit_events),
            form_error(W.edit_errors),
            rx.hstack(
                rx.button("Save changes", type="submit", loading=W.saving),
                rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                          on_click=W.cancel_edit),
                spacing="2",
            ),
            spacing="3", width="100%", align="start",
        ),
        # Remounted for each webhook opened, so the uncontrolled fields start from its values.
        key=W.edit_id,
        id="webhook-edit-form",
        on_submit=W.save_edit,
        reset_on_submit=False,
        width="100%",
        padding="12px",
        border_radius="8px",
        background=rx.color("gray", 2),
        border=f"1px solid {rx.color('gray', 5)}",
    )


def webhook_row(h: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.text(h["url"], weight="medium", size="2", style={"overflow_wrap": "anywhere"}),
                rx.cond(h["description"] != "", rx.text(h["description"], size="1"), rx.fragment()),
                rx.text(h["events"], size="1", color_scheme="gray", style={"overflow_wrap": "anywhere"}),
                spacing="0", flex="1", min_width="220px",
            ),
            rx.vstack(
                _status_badge(h["last_status"]),
                rx.text(h["last_at"], size="1", color_scheme="gray"),
                spacing="0", align="end",
            ),
            spacing="3", align="center", wrap="wrap", width="100%",
        ),
        rx.cond(
            W.edit_id == h["id"],
            edit_form(),
            rx.flex(
                rx.el.label(
                    rx.switch(checked=h["active"] == "yes", size="1",
                              on_change=lambda on: W.set_active(h["id"], on)),
                    rx.text("Active", size="2"),
                    style={"display": "flex", "gap": "6px", "align_items": "center"},
                ),
                rx.button("Edit", size="1", variant="soft",
                          aria_label="Edit the webhook " + h["url"].to(str), on_click=W.start_edit(h["id"])),
                rx.button("Send test", size="1", variant="soft",
                          aria_label="Send a test event to " + h["url"].to(str),
                          on_click=W.send_test(h["id"])),
                rx.button("Rotate secret", size="1", variant="soft", color_scheme="gray",
                          aria_label="Rotate the secret of " + h["url"].to(str), on_click=W.rotate(h["id"])),
                rx.button("Delete", size="1", variant="soft", color_scheme="red",
                          aria_label="Delete the webhook " + h["url"].to(str),
                          on_click=W.ask_delete(h["id"])),
                spacing="3", align="center", wrap="wrap",
            ),
        ),
        spacing="2",
        width="100%",
        padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def delivery_row(d: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(d["when"], size="1", white_space="nowrap")),
        rx.table.cell(rx.code(d["event"], size="1")),
        rx.table.cell(rx.vstack(
            _status_badge(d["status"]),
            rx.cond(d["next"] != "", rx.text("next try ", d["next"], size="1", color_scheme="gray",
                                             white_space="nowrap"), rx.fragment()),
            spacing="1",
        )),
        rx.table.cell(rx.text(d["http_status"], size="2")),
        rx.table.cell(rx.text(d["attempts"], size="2")),
        rx.table.cell(rx.text(d["excerpt"], size="1", color_scheme="gray",
                              style={"overflow_wrap": "anywhere", "max_width": "260px"})),
        aria_label="Delivery " + d["event"].to(str),
    )


def webhooks_section() -> rx.Component:
    return section_card(
        "Webhooks",
        secret_callout(),
        rx.cond(
            W.hooks.length() > 0,
            rx.vstack(rx.foreach(W.hooks, webhook_row), spacing="0", width="100%"),
            rx.text("No webhooks yet.", size="2", color_scheme="gray"),
        ),
        rx.heading("Add a webhook", size="3", as_="h3"),
        rx.form(
            rx.vstack(
                rx.el.input(type="hidden", name="nonce", value=W.nonce),
                labelled_input("Receiver URL", "webhook_url", W.errors, type="url",
                               placeholder="https://example.com/hooks/quillcast"),
                labelled_input("Description (optional)", "webhook_description", W.errors,
                               placeholder="e.g. Slack #social via n8n"),
                event_choices(W.errors),
                form_error(W.errors),
                rx.button("Add webhook", type="submit", loading=W.saving),
                spacing="3", width="100%", align="start",
            ),
            id="webhook-form",
            on_submit=W.add,
            reset_on_submit=False,
            width="100%",
        ),
        rx.heading("Recent deliveries", size="3", as_="h3"),
        rx.cond(
            W.deliveries.length() > 0,
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(
                        *[rx.table.column_header_cell(c) for c in
                          ("When", "Event", "Status", "HTTP", "Attempts", "Receiver said")])),
                    rx.table.body(rx.foreach(W.deliveries, delivery_row)),
                    size="1", width="100%",
                ),
                overflow_x="auto", width="100%",
            ),
            rx.text("Nothing sent yet.", size="2", color_scheme="gray"),
        ),
        description="Tell your own systems (Slack, Zapier, n8n, ...) when a post went out, failed, or needs "
                    "someone. Each event is a JSON POST signed with the webhook's secret (see the README).",
    )


def delete_webhook_dialog() -> rx.Component:
    return confirm_dialog(
        W,
        "Delete this webhook?",
        rx.text(rx.text.strong(W.confirm_label), " stops receiving events, and its delivery history is "
                "deleted."),
        "Delete",
        W.delete,
    )
