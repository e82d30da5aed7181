"""FullCalendar v6 as a Reflex component. Stateless: events and handlers come from the caller.

FullCalendar passes class instances to its callbacks, so each trigger's spec picks JSON-safe values
in JS. The last drop's `info` is kept on `window` so a refused drop can be undone with `revert_drop`.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.vars.base import VarData

from app.services.calendar import NETWORK_LABELS, NETWORK_MARKS, STATUS_COLOURS
from components.legend import LEGEND

# Each status in the words of the legend (the colours' key), for screen readers.
STATUS_LABELS = {s: s.replace("_", " ").capitalize() for s in STATUS_COLOURS} | dict(LEGEND)

_VERSIONS = {
    "@fullcalendar/core": "6.1.22", "@fullcalendar/daygrid": "6.1.22",
    "@fullcalendar/interaction": "6.1.22", "@fullcalendar/timegrid": "6.1.21",
    "@fullcalendar/list": "6.1.21", "@fullcalendar/luxon3": "6.1.21", "luxon": "3.7.2",
}
_PLUGINS = {
    "@fullcalendar/daygrid": "dayGridPlugin", "@fullcalendar/timegrid": "timeGridPlugin",
    "@fullcalendar/interaction": "interactionPlugin", "@fullcalendar/list": "listPlugin",
    "@fullcalendar/luxon3": "luxonPlugin",
}


def _plugins_var() -> rx.Var:
    imports = {
        f"{lib}@{_VERSIONS[lib]}": [rx.ImportVar(tag=tag, is_default=True)] for lib, tag in _PLUGINS.items()
    }
    return rx.Var(f"[{', '.join(_PLUGINS.values())}]", _var_data=VarData(imports=imports))


def _drop_spec(info: rx.Var) -> tuple[rx.Var, ...]:
    keep = rx.Var(f"((window.__quillcastDrop = {info}), {info}.event.id)", _var_type=str)
    return (keep, rx.Var(f"{info}.event.startStr", _var_type=str))


def _click_spec(info: rx.Var) -> tuple[rx.Var, ...]:
    return (rx.Var(f"{info}.event.id", _var_type=str),)


def _date_click_spec(info: rx.Var) -> tuple[rx.Var, ...]:
    return (rx.Var(f"{info}.dateStr", _var_type=str),)


def _dates_spec(info: rx.Var) -> tuple[rx.Var, ...]:
    return (
        rx.Var(f"{info}.startStr", _var_type=str),
        rx.Var(f"{info}.endStr", _var_type=str),
        rx.Var(f"{info}.view.type", _var_type=str),
    )


def _event_content_var() -> rx.Var:
    """Each event as [network mark] time title. Built with the virtual DOM FullCalendar passes in (`h`),
    not as DOM nodes: FullCalendar redraws every event of the month on each change, and a virtual DOM
    leaves the unchanged ones alone where fresh nodes replaced all of them. Text goes in as text, so a
    post's text stays inert. The mark is an image named after its network for screen readers, and the
    status follows the text in words they read (it is drawn as the colour of the event's edge)."""
    marks = {net: [NETWORK_LABELS[net], letter, colour] for net, (letter, colour) in NETWORK_MARKS.items()}
    return rx.Var(
        "((arg, h) => { const marks = " + json.dumps(marks) + ", statuses = " + json.dumps(STATUS_LABELS)
        + """;
  const kids = [], mark = marks[arg.event.extendedProps.network], status = arg.event.extendedProps.status;
  if (mark) kids.push(h('span', {className: 'qc-net', style: {background: mark[2]}, title: mark[0],
                                 role: 'img', 'aria-label': mark[0]}, mark[1]));
  if (arg.timeText && !arg.view.type.startsWith('list')) {
    kids.push(h('span', {className: 'qc-time'}, arg.timeText));
  }
  kids.push(h('span', {className: 'qc-title'}, arg.event.title));
  if (status) kids.push(h('span', {className: 'qc-status'}, ', ' + (statuses[status] || status)));
  return h('span', {className: 'qc-event', 'data-status': status}, ...kids);
})""",
        _var_type=Any,
    )


class FullCalendar(rx.Component):
    library = "@fullcalendar/react@6.1.22"
    tag = "FullCalendar"
    is_default = True
    lib_dependencies: list[str] = [f"{lib}@{v}" for lib, v in _VERSIONS.items()]

    plugins: rx.Var[list[Any]]
    initial_view: rx.Var[str]
    initial_date: rx.Var[str]
    header_toolbar: rx.Var[dict[str, str]]
    events: rx.Var[list[dict[str, Any]]]
    editable: rx.Var[bool]
    selectable: rx.Var[bool]
    time_zone: rx.Var[str]
    height: rx.Var[str]
    day_max_events: rx.Var[int]
    now_indicator: rx.Var[bool]
    first_day: rx.Var[int]
    event_time_format: rx.Var[dict[str, Any]]
    slot_label_format: rx.Var[dict[str, Any]]
    button_text: rx.Var[dict[str, str]]
    event_content: rx.Var[Any]
    event_background_color: rx.Var[str]
    event_text_color: rx.Var[str]

    event_drop: rx.EventHandler[_drop_spec]
    event_click: rx.EventHandler[_click_spec]
    date_click: rx.EventHandler[_date_click_spec]
    dates_set: rx.EventHandler[_dates_spec]

    @classmethod
    def create(cls, *children: Any, **props: Any) -> rx.Component:
        props.setdefault("plugins", _plugins_var())
        props.setdefault("initial_view", "dayGridMonth")
        props.setdefault("header_toolbar", {
            "left": "prev,next today", "center": "title",
            "right": "dayGridMonth,timeGridWeek,timeGridDay,listWeek",
        })
        props.setdefault("button_text", {"today": "Today", "month": "Month", "week": "Week", "day": "Day",
                                         "list": "List"})
        props.setdefault("now_indicator", True)
        props.setdefault("height", "auto")
        props.setdefault("day_max_events", 4)
        props.setdefault("event_time_format", {"hour": "2-digit", "minute": "2-digit", "hour12": False})
        props.setdefault("event_content", _event_content_var())
        # A neutral bar (the status colours its edge): text keeps its contrast in light and dark mode.
        props.setdefault("event_background_color", "var(--gray-a3)")
        props.setdefault("event_text_color", "var(--gray-12)")
        return super().create(*children, **props)


calendar = FullCalendar.create


def revert_drop() -> rx.event.EventSpec:
    """Put the last dragged event back where it was (the server refused the move)."""
    return rx.call_script("window.__quillcastDrop && window.__quillcastDrop.revert()")
