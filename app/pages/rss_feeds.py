"""RSS feeds: the workspace's feeds with their state and last error, and the form to follow one."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from app.services.planning.rss_feeds import MODE_LABELS
from components.confirm import confirm_dialog
from components.forms import field_error, form_error, labelled_input, section_card
from state.rss_feeds import RssFeedsState as S


def feed_row(f: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.vstack(
                rx.text(f["title"], weight="medium", size="2", style={"overflow_wrap": "anywhere"}),
                rx.text(f["url"], size="1", color_scheme="gray", style={"overflow_wrap": "anywhere"}),
                rx.text(f["mode"], " · ", f["channels"], size="1", style={"overflow_wrap": "anywhere"}),
                spacing="0",
                flex="1",
                min_width="220px",
            ),
            rx.badge(
                rx.cond(f["active"] == "yes", rx.cond(f["error"] == "yes", "failing", "active"), "paused"),
                variant="soft",
                color_scheme=rx.cond(
                    f["active"] == "yes", rx.cond(f["error"] == "yes", "red", "green"), "gray"
                ),
            ),
            spacing="3",
            align="center",
            wrap="wrap",
            width="100%",
        ),
        rx.text(
            f["status"],
            size="1",
            color_scheme=rx.cond(f["error"] == "yes", "red", "gray"),
            role=rx.cond(f["error"] == "yes", "alert", "status"),
            style={"overflow_wrap": "anywhere"},
        ),
        rx.cond(
            S.can_create,
            rx.flex(
                rx.el.label(
                    rx.switch(
                        checked=f["active"] == "yes", size="1", on_change=lambda on: S.set_active(f["id"], on)
                    ),
                    rx.text("Active", size="2"),
                    style={"display": "flex", "gap": "6px", "align_items": "center"},
                ),
                rx.button(
                    "Poll now",
                    size="1",
                    variant="soft",
                    aria_label="Poll now: " + f["title"].to(str),
                    on_click=S.poll_now(f["id"]),
                ),
                rx.button(
                    "Edit",
                    size="1",
                    variant="soft",
                    aria_label="Edit the feed " + f["title"].to(str),
                    on_click=S.start_edit(f["id"]),
                ),
                rx.button(
                    "Delete",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    aria_label="Delete the feed " + f["title"].to(str),
                    on_click=S.ask_delete(f["id"]),
                ),
                spacing="3",
                align="center",
                wrap="wrap",
            ),
            rx.fragment(),
        ),
        spacing="2",
        width="100%",
        padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def channel_choices(p: str, errors: rx.Var, checked: rx.Var | None = None) -> rx.Component:
    """The channel checkboxes; `p` ("" or "edit_") keeps the edit form's names apart from the add form's."""
    return rx.el.fieldset(
        rx.el.legend(rx.text("Channels", size="2", weight="medium")),
        rx.cond(
            S.channel_options.length() > 0,
            rx.flex(
                rx.foreach(
                    S.channel_options,
                    lambda c: rx.el.label(
                        rx.el.input(
                            type="checkbox",
                            name=f"{p}channel:" + c["id"].to(str),
                            id=f"{p}channel-" + c["id"].to(str),
                            aria_describedby=f"{p}channel_ids-error",
                            default_checked=checked.contains(c["id"].to(str))
                            if checked is not None
                            else False,
                            style={"width": "16px", "height": "16px"},
                        ),
                        rx.text(c["name"], size="2"),
                        style={"display": "flex", "gap": "6px", "align_items": "center", "cursor": "pointer"},
                    ),
                ),
                spacing="4",
                wrap="wrap",
                margin_top="4px",
            ),
            rx.text("Connect a channel first (Channels).", size="2", color_scheme="gray"),
        ),
        field_error(errors, f"{p}channel_ids"),
        style={"border": "none", "padding": "0", "margin": "0"},
    )


def feed_fields(
    p: str,
    errors: rx.Var,
    mode: rx.Var,
    set_mode,
    template: rx.Var,
    set_template,  # type: ignore[no-untyped-def]
    preview: rx.Var,
    row: rx.Var | None = None,
) -> list[rx.Component]:
    """The fields of the add form (`p` "") and of the edit dialog (`p` "edit_", starting from `row`)."""
    start = (lambda key, default: row[key].to(str)) if row is not None else (lambda key, default: default)
    return [
        labelled_input(
            "Feed URL (RSS or Atom)",
            f"{p}url",
            errors,
            type="url",
            placeholder="https://example.com/feed.xml",
            default_value=start("url", ""),
        ),
        channel_choices(p, errors, row["channel_ids"].to(str).split(",") if row is not None else None),
        rx.vstack(
            rx.el.label(rx.text("Each new item becomes", size="2", weight="medium"), html_for=f"{p}mode"),
            rx.select.root(
                rx.select.trigger(id=f"{p}mode", width="100%"),
                rx.select.content(
                    *[rx.select.item(label, value=value) for value, label in MODE_LABELS.items()]
                ),
                value=mode,
                on_change=set_mode,
            ),
            field_error(errors, f"{p}mode"),
            spacing="1",
            width="100%",
        ),
        rx.cond(
            mode == "delay",
            labelled_input(
                "Minutes after the item is read",
                f"{p}delay_minutes",
                errors,
                type="number",
                default_value=start("delay", "60"),
                min="5",
            ),
            rx.fragment(),
        ),
        rx.vstack(
            rx.el.label(rx.text("Template", size="2", weight="medium"), html_for=f"{p}template"),
            rx.text(
                "Placeholders: {title}, {link} (with UTM, shortened if the workspace uses short links), "
                "{summary} (cut to fit the strictest channel).",
                size="1",
                color_scheme="gray",
            ),
            rx.text_area(
                id=f"{p}template",
                name=f"{p}template",
                value=template,
                on_change=set_template,
                rows="5",
                width="100%",
                aria_describedby=f"{p}template-error",
            ),
            field_error(errors, f"{p}template"),
            rx.text("Preview with a sample item", size="1", weight="medium"),
            rx.box(
                rx.text(preview, size="2", style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"}),
                id=f"{p}template-preview",
                padding="8px",
                border_radius="6px",
                width="100%",
                background=rx.color("gray", 2),
                border=f"1px solid {rx.color('gray', 5)}",
            ),
            spacing="1",
            width="100%",
        ),
        labelled_input(
            "UTM campaign", f"{p}utm_campaign", errors, default_value=start("utm_campaign", "rss")
        ),
    ]


def add_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.input(type="hidden", name="nonce", value=S.nonce),
            *feed_fields("", S.errors, S.mode, S.set_mode, S.template, S.set_template, S.preview),
            rx.text(
                "The first read takes only the feed's newest item; older items are not posted.",
                size="1",
                color_scheme="gray",
            ),
            form_error(S.errors),
            rx.button("Add feed", type="submit", loading=S.saving),
            spacing="3",
            width="100%",
            align="start",
        ),
        id="rss-feed-form",
        on_submit=S.add,
        reset_on_submit=False,
        width="100%",
    )


def edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Edit RSS feed"),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name="nonce", value=S.nonce),
                    *feed_fields(
                        "edit_",
                        S.edit_errors,
                        S.edit_mode,
                        S.set_edit_mode,
                        S.edit_template,
                        S.set_edit_template,
                        S.edit_preview,
                        S.edit_row,
                    ),
                    form_error(S.edit_errors),
                    rx.hstack(
                        rx.button(
                            "Cancel",
                            type="button",
                            variant="soft",
                            color_scheme="gray",
                            on_click=S.edit_open_change(False),
                        ),
                        rx.button("Save feed", type="submit", loading=S.saving),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                # Remounted for each feed opened, so the uncontrolled fields start from its values.
                key=S.editing_id,
                on_submit=S.save_edit,
                reset_on_submit=False,
            ),
            max_width="600px",
        ),
        open=S.editing_id != "",
        on_open_change=S.edit_open_change,
    )


def rss_feeds_page() -> rx.Component:
    return workspace_page(
        section_card(
            "Followed feeds",
            rx.cond(
                S.feeds.length() > 0,
                rx.vstack(rx.foreach(S.feeds, feed_row), spacing="0", width="100%"),
                rx.cond(S.loaded, rx.text("No RSS feeds yet.", size="2", color_scheme="gray"), rx.spinner()),
            ),
            rx.cond(
                S.can_create,
                rx.vstack(
                    rx.heading("Add an RSS feed", size="3", as_="h3"), add_form(), spacing="3", width="100%"
                ),
                rx.fragment(),
            ),
            description="New items of a blog or news feed become posts: drafts, queued posts or scheduled "
            "posts. Feeds are read every 15 minutes, less often while they fail.",
        ),
        edit_dialog(),
        confirm_dialog(
            S,
            "Stop following this feed?",
            rx.text(rx.text.strong(S.confirm_label), " is no longer read. The posts it made stay."),
            "Delete",
            S.delete,
        ),
        title="RSS feeds",
    )
