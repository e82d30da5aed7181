"""First sign-in: create the first workspace."""

from __future__ import annotations

from zoneinfo import available_timezones

import reflex as rx

from components.forms import auth_card, form_error, labelled_input
from state.workspace import OnboardingState

# The browser's own zone replaces the "UTC" placeholder, in the page only (no round trip) and only while
# the field is untouched, so nothing typed is overwritten.
BROWSER_ZONE = """(() => {
  const field = document.getElementById("timezone");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (field && zone && field.value === "UTC") field.value = zone;
})()"""
ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def welcome_page() -> rx.Component:
    return auth_card(
        "Create your workspace",
        rx.text("A workspace holds your channels, posts and team. You can make more later.",
                color_scheme="gray", size="2"),
        rx.form(
            rx.vstack(
                form_error(OnboardingState.errors),
                rx.el.input(type="hidden", name="nonce", value=OnboardingState.nonce),
                labelled_input("Name", "name", OnboardingState.errors, placeholder="e.g. Acme Studio",
                               required=True, max_length=120),
                labelled_input("Time zone", "timezone", OnboardingState.errors, list="zones",
                               default_value="UTC",
                               hint="Posts are scheduled in this time zone; it starts as your browser's."),
                rx.el.datalist(*[rx.el.option(value=z) for z in ZONES], id="zones"),
                rx.button("Create workspace", type="submit", loading=OnboardingState.saving, width="100%",
                          size="3"),
                spacing="4",
                width="100%",
            ),
            on_submit=OnboardingState.create,
            on_mount=rx.run_script(BROWSER_ZONE),  # compiled into the page: no eval, whatever the CSP
        ),
    )
