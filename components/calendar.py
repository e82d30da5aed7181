"""FullCalendar v6 as a Reflex component. Stateless: events and handlers come from the caller.

FullCalendar passes class instances to its callbacks, so each trigger's spec picks JSON-safe values
in JS. The last drop's `info` is kept on `window` so a refused drop can be undone with `revert_drop`,
and the calendar itself (from the latest `datesSet`) so that the server can scroll it (`scroll_to`).

On a phone (narrower than NARROW_PX when the calendar mounts) a month grid's cells are too narrow to
read ("10:"): the month opens as its agenda (listMonth) and the switcher offers Month, Week and Day as
lists / a day's time grid, plus the grid itself.
"""

from __future__ import annotations

import json
from typing import Any

import reflex as rx
from reflex.vars.base import VarData

from app.services.planning.calendar import STATUS_COLOURS, STATUS_ICONS
from components.legend import LEGEND
from components.networks import marks as network_marks

# Each status in the words of the legend (the colours' key), for screen readers.
STATUS_LABELS = {s: s.replace("_", " ").capitalize() for s in STATUS_COLOURS} | dict(LEGEND)

NARROW_PX = 640
NARROW = f"(typeof window !== 'undefined' && window.innerWidth < {NARROW_PX})"
# The lucide icons named in STATUS_ICONS (ISC licence), drawn inside events by FullCalendar's own
# virtual DOM, where React components (rx.icon) cannot go; the legend draws the same ones as rx.icon.
ICON_NODES: dict[str, list[tuple[str, dict[str, str]]]] = {
    "pencil": [("path", {"d": "M21.174 6.812a1 1 0 0 0-3.986-3.987L3.842 16.174a2 2 0 0 0-.5.83l-1.321 "
                              "4.352a.5.5 0 0 0 .623.622l4.353-1.32a2 2 0 0 0 .83-.497z"}),
               ("path", {"d": "m15 5 4 4"})],
    "hourglass": [("path", {"d": "M5 22h14"}), ("path", {"d": "M5 2h14"}),
                  ("path", {"d": "M17 22v-4.172a2 2 0 0 0-.586-1.414L12 12l-4.414 4.414A2 2 0 0 0 7 "
                                  "17.828V22"}),
                  ("path", {"d": "M7 2v4.172a2 2 0 0 0 .586 1.414L12 12l4.414-4.414A2 2 0 0 0 17 6.172V2"})],
    "clock": [("circle", {"cx": "12", "cy": "12", "r": "10"}), ("path", {"d": "M12 6v6l4 2"})],
    "send": [("path", {"d": "M14.536 21.686a.5.5 0 0 0 .937-.024l6.5-19a.496.496 0 0 0-.635-.635l-19 "
                            "6.5a.5.5 0 0 0-.024.937l7.93 3.18a2 2 0 0 1 1.112 1.11z"}),
             ("path", {"d": "m21.854 2.147-10.94 10.939"})],
    "rotate-ccw": [("path", {"d": "M3 12a9 9 0 1 0 9-9 9.75 9.75 0 0 0-6.74 2.74L3 8"}),
                   ("path", {"d": "M3 3v5h5"})],
    "check": [("path", {"d": "M20 6 9 17l-5-5"})],
    "x": [("path", {"d": "M18 6 6 18"}), ("path", {"d": "m6 6 12 12"})],
    "circle-help": [("circle", {"cx": "12", "cy": "12", "r": "10"}),
                    ("path", {"d": "M9.09 9a3 3 0 0 1 5.83 1c0 2-3 3-3 3"}), ("path", {"d": "M12 17h.01"})],
    "ban": [("circle", {"cx": "12", "cy": "12", "r": "10"}), ("path", {"d": "M4.929 4.929 19.07 19.071"})],
}

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
        rx.Var(f"((window.__qcCalendar = {info}.view.calendar), {info}.startStr)", _var_type=str),
        rx.Var(f"{info}.endStr", _var_type=str),
        rx.Var(f"{info}.view.type", _var_type=str),
    )


def _event_content_var() -> rx.Var:
    """Each event as [network mark] [status icon] time title. Built with the virtual DOM FullCalendar
    passes in (`h`), not as DOM nodes: FullCalendar redraws every event of the month on each change, and a
    virtual DOM leaves the unchanged ones alone where fresh nodes replaced all of them. Text goes in as
    text, so a post's text stays inert. The mark is an image named after its network for screen readers;
    the status is an icon in its colour (the event's edge has it too), with its word beside it where
    there is room (week, day, lists), and in words for screen readers everywhere."""
    marks = {m["network"]: [m["label"], m["letter"], m["colour"]] for m in network_marks()}
    icons = {status: ICON_NODES[name] for status, name in STATUS_ICONS.items()}
    return rx.Var(
        "((arg, h) => { const marks = " + json.dumps(marks) + ", statuses = " + json.dumps(STATUS_LABELS)
        + ", icons = " + json.dumps(icons) + """;
  const kids = [], mark = marks[arg.event.extendedProps.network], status = arg.event.extendedProps.status;
  const view = arg.view.type, roomy = !view.startsWith('dayGrid');
  if (mark) kids.push(h('span', {className: 'qc-net', style: {background: mark[2]}, title: mark[0],
                                 role: 'img', 'aria-label': mark[0]}, mark[1]));
  const state = icons[status] ? h('span', {className: 'qc-state', 'aria-hidden': 'true',
                                           style: {color: arg.event.borderColor}},
    h('svg', {viewBox: '0 0 24 24', width: 12, height: 12, fill: 'none', stroke: 'currentColor',
              'stroke-width': 3, 'stroke-linecap': 'round', 'stroke-linejoin': 'round'},
      ...icons[status].map(([tag, attrs]) => h(tag, attrs))),
    roomy ? h('span', {className: 'qc-state-word'}, statuses[status] || status) : null) : null;
  if (state && !roomy) kids.push(state);
  if (arg.timeText && !view.startsWith('list')) kids.push(h('span', {className: 'qc-time'}, arg.timeText));
  kids.push(h('span', {className: 'qc-title'}, arg.event.title));
  if (state && roomy) kids.push(state);
  if (status) kids.push(h('span', {className: 'qc-status'}, ', ' + (statuses[status] || status)));
  return h('span', {className: 'qc-event', 'data-status': status}, ...kids);
})""",
        _var_type=Any,
    )


def _by_width(narrow: object, wide: object) -> rx.Var:
    """One value for phones, another for wider screens, chosen when the calendar mounts."""
    return rx.Var(f"({NARROW} ? {json.dumps(narrow)} : {json.dumps(wide)})", _var_type=Any)


_VIEWS = {"timeGrid": {"dayHeaderFormat": {"weekday": "short", "day": "numeric", "month": "short"}}}
_RIGHT_WIDE = "dayGridMonth,timeGridWeek,timeGridDay,listWeek"
_RIGHT_NARROW = "listMonth,listWeek,timeGridDay,dayGridMonth"
# The switcher's words, by view (they take precedence over a view's own): on a phone the lists are the
# month and the week, and the month grid is still there as "Grid".
_BUTTONS = {"today": "Today", "prev": "‹", "next": "›", "timeGridDay": "Day"}
BUTTONS_WIDE = {**_BUTTONS, "dayGridMonth": "Month", "timeGridWeek": "Week", "listWeek": "List"}
BUTTONS_NARROW = {**_BUTTONS, "listMonth": "Month", "listWeek": "Week", "dayGridMonth": "Grid"}


def fitted_height(view: rx.Var) -> rx.Var:
    """The calendar's height for the view shown: week and day views scroll inside a fixed height (so that
    they can open at a time, see `scroll_to`); months and lists take the room they need. (A height per
    view does not work: FullCalendar reads "auto" from the calendar's own options.)"""
    return rx.Var(f"(String({view}).startsWith('timeGrid') ? ({NARROW} ? 600 : 720) : 'auto')", _var_type=Any,
                  _var_data=view._get_all_var_data())


def phone_view(view: rx.Var) -> rx.Var:
    """`view`, except that a month opens as its agenda on a phone."""
    return rx.Var(f"(({NARROW} && {view} === 'dayGridMonth') ? 'listMonth' : {view})", _var_type=str,
                  _var_data=view._get_all_var_data())


class FullCalendar(rx.Component):
    library = "@fullcalendar/react@6.1.22"
    tag = "FullCalendar"
    is_default = True
    lib_dependencies: list[str] = [f"{lib}@{v}" for lib, v in _VERSIONS.items()]

    plugins: rx.Var[list[Any]]
    initial_view: rx.Var[str]
    initial_date: rx.Var[str]
    header_toolbar: rx.Var[dict[str, str]]
    views: rx.Var[dict[str, Any]]
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
        toolbar = {"left": "prev,next today", "center": "title"}
        props.setdefault("header_toolbar", _by_width({**toolbar, "right": _RIGHT_NARROW},
                                                     {**toolbar, "right": _RIGHT_WIDE}))
        props.setdefault("views", _VIEWS)
        props.setdefault("button_text", _by_width(BUTTONS_NARROW, BUTTONS_WIDE))
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


def scroll_to(time: str) -> rx.event.EventSpec:
    """Scroll the week or day view to `time` ("HH:MM:SS", the calendar's zone)."""
    return rx.call_script(f"window.__qcCalendar && window.__qcCalendar.scrollToTime({json.dumps(time)})")


def revert_drop() -> rx.event.EventSpec:
    """Put the last dragged event back where it was (the server refused the move)."""
    return rx.call_script("window.__quillcastDrop && window.__quillcastDrop.revert()")
