"""Stateless form parts: a labelled input with its own error line, a form-level error, a card frame."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.shell import brand


def field_error(errors: Any, name: str) -> rx.Component:
    return rx.cond(
        errors.contains(name),
        rx.text(errors[name], color_scheme="red", size="2", id=f"{name}-error", role="alert"),
        rx.fragment(),
    )


def form_error(errors: Any) -> rx.Component:
    return rx.cond(
        errors.contains("form"),
        rx.callout(errors["form"], icon="triangle-alert", color_scheme="red", role="alert", width="100%"),
        rx.fragment(),
    )


def labelled_input(
    label: str, name: str, errors: Any, *, type: str = "text", autocomplete: str | None = None,
    hint: str | None = None, **props: Any,
) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=name),
        rx.input(
            id=name, name=name, type=type, auto_complete=autocomplete, width="100%", size="3",
            aria_invalid=rx.cond(errors.contains(name), "true", "false"),
            aria_describedby=f"{name}-error", **props,
        ),
        rx.text(hint, size="1", color_scheme="gray") if hint else rx.fragment(),
        field_error(errors, name),
        spacing="1",
        width="100%",
        align="start",
    )


def section_card(
    title: str, *content: rx.Component, description: str = "", max_width: str = "760px"
) -> rx.Component:
    """One titled card of a settings page."""
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            rx.text(description, size="2", color_scheme="gray") if description else rx.fragment(),
            *content,
            spacing="3",
            width="100%",
            align="start",
        ),
        width="100%",
        max_width=max_width,
    )


def auth_card(title: str, *content: rx.Component) -> rx.Component:
    """The frame of the signed-out pages: the brand above one centred card."""
    return rx.center(
        rx.vstack(
            brand(),
            rx.card(
                rx.vstack(rx.heading(title, size="6", as_="h1"), *content, spacing="4", width="100%"),
                width="100%",
                size="3",
            ),
            spacing="5",
            width="100%",
            max_width="420px",
            align="center",
        ),
        min_height="100vh",
        padding="24px",
        background=rx.color("gray", 2),
    )
