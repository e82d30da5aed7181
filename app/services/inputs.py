"""What no stored or scheduled value may hold, for every door (API, UI state, tasks).

Two kinds of input break the layers below instead of a rule: a NUL character or a lone UTF-16 surrogate
(PostgreSQL text cannot hold NUL; a lone surrogate cannot be encoded as UTF-8, so the driver, Redis and
the JSON answer fail), and a moment at the very edge of Python's calendar (year 1 or 9999), whose
conversion to UTC or to a zone overflows. The API refuses both before a route runs (`app/api/guard.py`);
the flush hook below is the net for every other path (a UI form, a task): it names the field instead of
letting the database driver crash.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.services.errors import Problem, ValidationFailed

# Years 2..9998: any zone's reading (offsets stay under a day), a month's calendar grid and a few days'
# arithmetic around it stay inside Python's range.
MIN_YEAR, MAX_YEAR = 2, 9998
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MARGIN = timedelta(days=2)


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored, or None."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000); remove it"
    if _LONE_SURROGATE.search(value):
        return "contains a broken character (a lone UTF-16 surrogate); type or paste the text again"
    return None


def moment_problem(value: date) -> str | None:
    """Why a date or datetime is out of range, or None (aware values are also checked in UTC)."""
    try:
        if isinstance(value, datetime):
            in_utc = value.astimezone(UTC) if value.tzinfo is not None else value
            for moment in (value.replace(tzinfo=None), in_utc.replace(tzinfo=None)):
                if not MIN_YEAR <= moment.year <= MAX_YEAR:
                    raise OverflowError
                _ = (moment - _MARGIN, moment + _MARGIN)
        elif not MIN_YEAR <= value.year <= MAX_YEAR:
            raise OverflowError
    except OverflowError:
        return f"is out of range: use a date between the years {MIN_YEAR} and {MAX_YEAR}"
    return None


def safe_text(value: str) -> str:
    """`value` with every lone surrogate replaced by U+FFFD: for messages that quote what was sent."""
    return _LONE_SURROGATE.sub("\ufffd", value)


def _walk(value: Any, path: str) -> tuple[str, str] | None:
    if isinstance(value, str):
        why = text_problem(value)
        return (path, why) if why else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = (_walk(key, path) if isinstance(key, str) else None) or _walk(item, f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _walk(item, f"{path}.{i}")
            if found:
                return found
    return None


def _check_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse a row whose text columns (or JSON documents) hold what PostgreSQL or UTF-8 cannot."""
    for obj in list(session.new) + list(session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            value = state.dict.get(attr.key)
            found = _walk(value, attr.key) if value is not None else None
            if found:
                field, why = found
                raise ValidationFailed(f"{field} {why}", field=field,
                                       problems=[Problem(field, f"{field} {why}", "invalid_text")])


event.listen(Session, "before_flush", _check_flush)
