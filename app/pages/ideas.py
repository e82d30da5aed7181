"""Ideas board: cards a team collects before they become posts (user text rendered as text)."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from components.forms import field_error, form_error, labelled_input
from state.ideas import IdeasState as S


def _textarea(label: str, name: str, errors: rx.Var, **props: object) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=name),
        rx.text_area(id=name, name=name, width="100%", rows="4", aria_describedby=f"{name}-error",
                     aria_invalid=rx.cond(errors.contains(name), "true", "false"), **props),
        field_error(errors, name),
        spacing="1",
        width="100%",
    )


def add_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("New idea", size="4", as_="h2"),
                rx.el.input(type="hidden", name="nonce", value=S.nonce),
                labelled_input("Title", "title", S.errors),
                _textarea("Notes", "notes", S.errors),
                form_error(S.errors),
                rx.button("Add idea", type="submit", loading=S.saving),
                spacing="3",
                width="100%",
                align="start",
            ),
            on_submit=S.add,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
        max_width="640px",
    )


def idea_card(c: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(c["title"], size="3", as_="h3", style={"overflow_wrap": "anywhere"}),
            rx.cond(
                c["excerpt"] != "",
                rx.text(c["excerpt"], size="2", color_scheme="gray",
                        style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"}),
                rx.fragment(),
            ),
            rx.text("Added ", c["created"], size="1", color_scheme="gray"),
            rx.cond(
                S.can_create,
                rx.flex(
                    rx.link(rx.button("Turn into post", size="1", tab_index=-1),
                            href="/compose?idea=" + c["id"].to(str),
                            aria_label="Turn into post: " + c["title"].to(str)),
                    rx.button("Edit", size="1", variant="soft",
                              aria_label="Edit " + c["title"].to(str), on_click=S.start_edit(c["id"])),
                    rx.button("Archive", size="1", variant="soft", color_scheme="gray",
                              aria_label="Archive " + c["title"].to(str), on_click=S.archive(c["id"])),
                    spacing="2",
                    wrap="wrap",
                ),
                rx.fragment(),
            ),
            spacing="2",
            align="start",
            width="100%",
        ),
        width="100%",
    )


def edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Edit idea"),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name="nonce", value=S.nonce),
                    labelled_input("Title", "edit_title", S.edit_errors, default_value=S.editing_title,
                                   key=S.editing_id),
                    _textarea("Notes", "edit_notes", S.edit_errors, default_value=S.editing_notes,
                              key=S.editing_id),
                    form_error(S.edit_errors),
                    rx.hstack(
                        rx.button("Cancel", type="button", variant="soft", color_scheme="gray",
                                  on_click=S.cancel_edit),
                        rx.button("Save idea", type="submit", loading=S.saving),
                        spacing="3",
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_edit,
                reset_on_submit=False,
            ),
            max_width="560px",
        ),
        open=S.editing_id != "",
        on_open_change=S.edit_open_change,
    )


def ideas_page() -> rx.Component:
    return workspace_page(
        rx.cond(S.can_create, add_form(), rx.fragment()),
        rx.heading("Open ideas", size="4", as_="h2"),
        rx.cond(
            S.cards.length() > 0,
            rx.grid(rx.foreach(S.cards, idea_card), columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                    spacing="3", width="100%"),
            rx.cond(S.loaded, rx.text("No ideas yet.", color_scheme="gray"), rx.spinner()),
        ),
        edit_dialog(),
        title="Ideas",
    )
