"""The calendar: every target of the workspace in its time zone, filters, drag to reschedule, iCal feed."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from components.calendar import calendar, fitted_height, phone_view
from components.legend import MARK_STYLE, legend, network_legend
from state.calendar import ALL, STATUS_FILTERS, CalendarState

COMPOSE = "/compose"

# Keyboard: n = new post, t = today, arrows / j / k = previous / next period (not while typing).
SHORTCUTS = """
if (!window.__qcCalendarKeys) {
  window.__qcCalendarKeys = true;
  document.addEventListener('keydown', (e) => {
    if (!document.querySelector('.fc') || e.metaKey || e.ctrlKey || e.altKey) return;
    const t = e.target;
    if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName)
              || t.getAttribute('role') === 'combobox')) return;
    const click = (sel) => {
      const b = document.querySelector(sel); if (b) { b.click(); e.preventDefault(); }
    };
    if (e.key === 'n') { window.location.assign('/compose'); e.preventDefault(); }
    else if (e.key === 't') click('.fc-today-button');
    else if (e.key === 'ArrowLeft' || e.key === 'k') click('.fc-prev-button');
    else if (e.key === 'ArrowRight' || e.key === 'j') click('.fc-next-button');
  });
}
"""

# FullCalendar's own CSS, in the Radix colours so dark mode and light mode both read well.
CALENDAR_CSS = {
    "--fc-border-color": rx.color("gray", 5),
    "--fc-page-bg-color": rx.color("gray", 1),
    "--fc-neutral-bg-color": rx.color("gray", 3),
    "--fc-list-event-hover-bg-color": rx.color("gray", 4),
    "--fc-today-bg-color": rx.color("iris", 3),
    "--fc-now-indicator-color": rx.color("red", 9),
    "--fc-button-bg-color": rx.color("iris", 9),
    "--fc-button-border-color": rx.color("iris", 9),
    "--fc-button-hover-bg-color": rx.color("iris", 10),
    "--fc-button-hover-border-color": rx.color("iris", 10),
    # the chosen view: a light tint with dark text (and the reverse in dark mode) keeps its contrast
    "& .fc .fc-button-primary:not(:disabled).fc-button-active": {
        "background": rx.color("iris", 4), "color": rx.color("iris", 12), "border_color": rx.color("iris", 9),
    },
    "& .fc .fc-toolbar": {"flex_wrap": "wrap", "gap": "8px"},
    "& .fc .fc-toolbar-title": {"font_size": ["1.1rem", "1.25rem", "1.4rem"]},
    "& .fc .fc-button": {"padding": ["4px 8px", "6px 10px"], "font_size": ["13px", "14px"]},
    "& .fc a": {"color": "inherit"},
    "& .fc-event": {"cursor": "pointer", "border_width": "0 0 0 4px", "border_radius": "4px"},
    "& .fc .fc-button .fc-icon": {"display": "none"},
    "& .fc .fc-prev-button, & .fc .fc-next-button": {"font_size": "18px", "line_height": "1"},
    "& .fc .fc-daygrid-day-number": {"font_size": "13px"},
    "& .fc-daygrid-event": {"white_space": "nowrap", "overflow": "hidden"},
    # an event's content (components/calendar.py): [network mark] time title, on one line
    "& .qc-event": {"display": "flex", "align_items": "center", "gap": "4px", "min_width": "0",
                    "overflow": "hidden"},
    "& .qc-net": MARK_STYLE,
    "& .qc-time": {"flex_shrink": "0", "font_variant_numeric": "tabular-nums"},
    "& .qc-title": {"overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"},
    "& .fc-timegrid-event .qc-event": {"align_items": "flex-start", "flex_wrap": "wrap"},
    "& .fc-list-event-title .qc-event": {"gap": "6px", "flex_wrap": "wrap", "align_items": "flex-start"},
    # a list has room for the whole text: it wraps (a long word too) instead of widening the page
    "& .fc-list-event-title .qc-title": {"white_space": "normal", "overflow_wrap": "anywhere",
                                         "flex": "1 1 12ch", "min_width": "0"},
    # the status: its icon (month), with its word where there is room (week, day, lists)
    "& .qc-state": {"display": "inline-flex", "align_items": "center", "gap": "3px", "flex_shrink": "0"},
    "& .qc-state svg": {"display": "block", "flex_shrink": "0"},
    "& .qc-state-word": {"font_size": "11px", "font_weight": "600", "color": rx.color("gray", 11)},
    # the status in words for screen readers (sighted people read the colour of the event's edge)
    "& .qc-status": {"position": "absolute", "width": "1px", "height": "1px", "overflow": "hidden",
                     "clip": "rect(0 0 0 0)", "white_space": "nowrap"},
    "& .fc-daygrid-day": {"cursor": "copy"},
    # the month grid on a phone (its "Grid" view): a cell is ~50 px wide, so an entry shows its mark and
    # status icon over its whole time, and the text opens with a tap, instead of a time cut to "10:"
    "@media (max-width: 639px)": {
        "& .fc-daygrid-event .qc-event": {"flex_wrap": "wrap", "row_gap": "1px"},
        "& .fc-daygrid-event .qc-title": {"display": "none"},
        "& .fc-daygrid-event .qc-time": {"font_size": "12px"},
    },
    "width": "100%",
    "min_width": "0",
}


def _select(label: str, ident: str, value: rx.Var, on_change, options: rx.Component) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.vstack(
        rx.text(label, size="1", weight="medium", color_scheme="gray", as_="div", id=f"{ident}-label"),
        rx.select.root(
            rx.select.trigger(aria_labelledby=f"{ident}-label", id=ident, min_width="150px"),
            rx.select.content(rx.select.item(f"Every {label.lower()}", value=ALL), options),
            value=value, on_change=on_change, size="2",
        ),
        spacing="1",
    )


def _option(o: rx.Var) -> rx.Component:
    return rx.select.item(o["label"], value=o["value"])


def filters() -> rx.Component:
    statuses = rx.fragment(*[rx.select.item(s.replace("_", " ").capitalize(), value=s)
                             for s in STATUS_FILTERS])
    return rx.flex(
        _select("Channel", "filter-channel", CalendarState.channel_filter, CalendarState.set_channel_filter,
                rx.foreach(CalendarState.channel_options, _option)),
        _select("Status", "filter-status", CalendarState.status_filter, CalendarState.set_status_filter,
                statuses),
        _select("Author", "filter-author", CalendarState.author_filter, CalendarState.set_author_filter,
                rx.foreach(CalendarState.author_options, _option)),
        wrap="wrap", spacing="3", align="end",
    )


def empty_callout() -> rx.Component:
    return rx.cond(
        CalendarState.loaded & (CalendarState.events.length() == 0),
        rx.callout(
            rx.hstack(rx.text("Nothing scheduled here yet."),
                      rx.link("Add a post", href=COMPOSE, weight="bold"), spacing="2", wrap="wrap"),
            icon="calendar-plus", color_scheme="iris", width="100%",
        ),
        rx.fragment(),
    )


def feed_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Calendar feed", size="4", as_="h2"),
            rx.text("A private iCal address of this schedule for Google, Apple or Outlook calendars. "
                    "Anyone with the address can read the schedule: revoke it if it leaks.",
                    size="2", color_scheme="gray"),
            rx.cond(
                CalendarState.feed_url != "",
                rx.vstack(
                    rx.el.label(rx.text("Shown once: copy it now.", size="2", weight="medium"),
                                html_for="feed-url"),
                    rx.hstack(
                        rx.input(value=CalendarState.feed_url, read_only=True, id="feed-url", width="100%"),
                        rx.button(rx.icon("copy", size=16), "Copy", on_click=CalendarState.copy_feed,
                                  variant="soft"),
                        width="100%", spacing="2",
                    ),
                    width="100%", spacing="1",
                ),
                rx.fragment(),
            ),
            rx.hstack(
                rx.button(rx.icon("link", size=16), "Create feed URL", on_click=CalendarState.create_feed,
                          variant="soft"),
                rx.button("Revoke feed", on_click=CalendarState.revoke_feed, variant="ghost",
                          color_scheme="red"),
                spacing="3", wrap="wrap", align="center",
            ),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def _calendar() -> rx.Component:
    return calendar(
        key=CalendarState.mount_key,
        initial_view=phone_view(CalendarState.initial_view),  # a month as its agenda on a phone
        height=fitted_height(CalendarState.view),
        initial_date=CalendarState.initial_date,
        events=CalendarState.events,
        time_zone=CalendarState.workspace_timezone,
        editable=True,
        first_day=1,
        day_max_events=4,
        event_drop=CalendarState.drop,
        event_click=CalendarState.open_event,
        date_click=CalendarState.open_day,
        dates_set=CalendarState.dates_set,
        slot_label_format={"hour": "2-digit", "minute": "2-digit", "hour12": False},
        # bars with a status-coloured edge read better than FullCalendar's small dots
        custom_attrs={
            "eventDisplay": "block", "buttonIcons": False,
            # a crowded day's "+N more" (all-day) below its posts, not above them
            "eventOrder": "allDay,start,-duration,title",
        },
    )


def calendar_page() -> rx.Component:
    return workspace_page(
        rx.vstack(
            filters(),
            rx.vstack(legend(), network_legend(CalendarState.network_marks), spacing="2"),
            rx.text("Times in ", rx.text.strong(CalendarState.workspace_timezone),
                    ". Drag a post to move it; click a day to add one. "
                    "Keys: n new post, t today, ← → or j k previous / next.",
                    size="1", color_scheme="gray"),
            spacing="3", width="100%",
        ),
        empty_callout(),
        rx.box(
            rx.cond(CalendarState.initial_date != "", _calendar(),
                    rx.center(rx.spinner(size="3"), min_height="300px")),
            style=CALENDAR_CSS,
            # live while on screen: the watch asks the server every few seconds whether the range changed
            on_mount=[rx.call_script(SHORTCUTS), CalendarState.watch],
            on_unmount=CalendarState.leave,
        ),
        feed_card(),
        title="Calendar",
        actions=rx.button(rx.el.a(rx.icon("plus", size=16), "New post", href=COMPOSE), as_child=True),
    )


def home_page() -> rx.Component:
    """"/" only forwards (calendar or sign-in); this shows for the moment that takes."""
    return rx.center(rx.vstack(rx.heading("Quillcast", as_="h1", size="6"), rx.spinner(size="3"),
                               rx.link("Open the calendar", href="/calendar"), align="center", spacing="3"),
                     min_height="60vh")
