"""Bulk import: a month of posts planned in a spreadsheet, uploaded as one CSV file.

Every row is checked with the composer's rules (text counted the way its network counts, not in the past,
DST gaps and overlaps chosen explicitly, an active channel of this workspace, the caller's role) before
anything is written; then all posts are created and scheduled in the caller's one transaction, or none.

Row numbers are the spreadsheet's: the header is row 1, the first post row 2 (a text with a line break
inside quotes stays one row). Problems name `rows[<row>].<column>`. Reading the file itself (size,
encoding, header, rows) is app.services.planning.import_file.

A repeated import does not duplicate: each target carries `options.import_key`, a hash of what the row
asks for (channel, UTC time, text, first comment). A row whose key already exists in the workspace is
shown as "already imported" and skipped, so a file can be fixed and uploaded again. (Editing an imported
post in the composer rebuilds its options and drops the key; a later import of that row adds it again.)
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy import text as sql
from sqlmodel import Session, col, select

from app.connectors.catalogue import subject
from app.services import inputs
from app.services.channels import channels
from app.services.errors import DomainError, PermissionDenied, Problem, ValidationFailed
from app.services.events import approval_notices
from app.services.planning import import_file, posts, timeslots
from app.services.tenancy import permissions
from models import Channel, PostTarget, Workspace

# The import's limits, which its callers check before they read an upload.
MAX_BYTES = import_file.MAX_BYTES
MAX_ROWS = import_file.MAX_ROWS
DST_CHOICES = {"first": 0, "second": 1}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SEPARATORS = re.compile(r"\s*(?:[·:/|]|\s)\s*")


@dataclass
class RowResult:
    """One post row as the preview shows it."""

    number: int
    date: str
    time: str
    channel: str
    text: str
    timezone: str
    first_comment: str = ""
    dst: str = ""
    channel_id: uuid.UUID | None = None
    channel_label: str = ""
    scheduled_at: datetime | None = None
    import_key: str = ""
    already_imported: bool = False
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Preview:
    rows: list[RowResult]
    mode: Literal["direct", "approval"]

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rows for p in r.problems]

    @property
    def new_rows(self) -> list[RowResult]:
        return [r for r in self.rows if not r.already_imported]


@dataclass
class Outcome:
    created: int
    skipped: int  # rows already imported by an earlier upload
    mode: Literal["direct", "approval"]
    first_date: str  # YYYY-MM-DD (in the row's zone) of the earliest post, "" when none
    post_ids: list[uuid.UUID]


# --- channels ------------------------------------------------------------------------------------------
class _Channels:
    """Finds a row's channel by its name, or by network and account as the Channels page shows them
    ("Bluesky ada.bsky.social", "bluesky:@ada.bsky.social"). Case and a leading @ do not matter."""

    def __init__(self, rows: list[Channel]):
        self.rows = rows

    def find(self, value: str) -> tuple[Channel | None, str]:
        wanted = value.strip().casefold()
        if not wanted:
            return None, "write the channel's name (as on the Channels page), e.g. " + self._examples()
        named = [c for c in self.rows if c.name.strip().casefold() == wanted]
        if len(named) == 1:
            return named[0], ""
        if len(named) > 1:
            return None, (f"{len(named)} channels are named “{value.strip()}”; write the network and account "
                          f"instead, e.g. “{subject(named[0].network)} {named[0].account}”")
        parts = _SEPARATORS.split(wanted, maxsplit=1)
        if len(parts) == 2:
            network, account = parts[0], parts[1].lstrip("@")
            for c in self.rows:
                if network in (c.network, subject(c.network).casefold()) and \
                        c.account.strip().casefold().lstrip("@") == account:
                    return c, ""
        return None, (f"there is no channel “{value.strip()[:80]}” in this workspace; use a name from the "
                      f"Channels page, e.g. {self._examples()}")

    def _examples(self) -> str:
        names = [f"“{c.name}”" for c in self.rows if c.status == "active"][:3]
        return ", ".join(names) if names else "connect a channel first on the Channels page"


# --- checking ------------------------------------------------------------------------------------------
def _mode(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID) -> Literal["direct", "approval"]:
    """Editors and above schedule; contributors submit for approval; others may not import."""
    m = permissions.require(session, actor, workspace_id, "post:create")
    if permissions.can(m.role, "post:schedule"):
        return "direct"
    if permissions.can(m.role, "post:submit"):
        return "approval"
    raise PermissionDenied(f"your role ({m.role}) cannot schedule posts; ask an editor")


def import_key(channel_id: uuid.UUID, when: datetime, body: str, first_comment: str) -> str:
    raw = "\x1f".join((str(channel_id), when.astimezone(UTC).isoformat(), body, first_comment))
    return hashlib.sha256(raw.encode()).hexdigest()


def check(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, data: bytes,
          now: datetime | None = None) -> Preview:
    """Parse and check every row; nothing is written. Row problems are on each RowResult."""
    mode = _mode(session, actor, workspace_id)
    workspace = session.get(Workspace, workspace_id)
    assert workspace is not None  # the membership above implies it
    now = now or datetime.now(UTC)
    found = _Channels(list(session.exec(
        select(Channel).where(Channel.workspace_id == workspace_id).order_by(col(Channel.name))).all()))
    results: list[RowResult] = []
    seen: dict[str, int] = {}
    for number, cells in import_file.read_rows(data):
        r = RowResult(number, cells.get("date", "").strip(), cells.get("time", "").strip(),
                      cells.get("channel", "").strip(), cells.get("text", ""),
                      cells.get("timezone", "").strip() or workspace.timezone,
                      cells.get("first_comment", ""), cells.get("dst", "").strip().lower())
        _check_row(r, cells, found, now)
        if r.import_key:
            if r.import_key in seen:
                r.problems.append(Problem(_f(r, "text"), f"the same post as row {seen[r.import_key]} "
                                                         "(channel, time and text); remove one"))
            seen.setdefault(r.import_key, r.number)
        results.append(r)
    keys = [r.import_key for r in results if r.import_key]
    if keys:
        existing = set(session.exec(
            select(PostTarget.options["import_key"].astext).where(  # type: ignore[index]
                PostTarget.workspace_id == workspace_id,
                PostTarget.options["import_key"].astext.in_(keys),  # type: ignore[index]
                col(PostTarget.status) != "cancelled",
            )).all())
        for r in results:
            if r.import_key in existing:
                r.already_imported, r.problems = True, []
    return Preview(results, mode)


def _f(r: RowResult, column: str) -> str:
    return f"rows[{r.number}].{column}"


def _check_row(r: RowResult, cells: dict[str, str], found: _Channels, now: datetime) -> None:
    add = r.problems.append
    for column in ("date", "time", "channel", "timezone", "dst"):
        why = inputs.text_problem(cells.get(column, ""))
        if why:
            add(Problem(_f(r, column), f"the cell {why}", "invalid_text"))
    if "__extra__" in cells:
        add(Problem(_f(r, "text"), f"this row has {cells['__extra__']} cells but the header names fewer "
                                   "columns; put a text that contains commas or semicolons in double quotes"))
    day: datetime | None = None
    if not _DATE.match(r.date):
        add(Problem(_f(r, "date"), f"“{r.date[:40]}” is not a date; write it as YYYY-MM-DD, e.g. 2030-01-31"))
    else:
        try:
            day = datetime.strptime(r.date, "%Y-%m-%d")
        except ValueError:
            add(Problem(_f(r, "date"), f"{r.date} is not a day of the calendar; check the month and day"))
        out_of_range = inputs.moment_problem(day) if day else None
        if out_of_range:
            add(Problem(_f(r, "date"), f"{r.date} {out_of_range}", "date_out_of_range"))
            day = None
    clock = _TIME.match(r.time)
    if not clock or int(clock.group(1)) > 23 or int(clock.group(2)) > 59:
        add(Problem(_f(r, "time"), f"“{r.time[:40]}” is not a time; write it as HH:MM on the 24-hour clock, "
                                   "e.g. 09:30 or 17:45"))
        clock = None
    tz_ok = True
    try:
        timeslots.zone(r.timezone)
    except ValidationFailed as exc:
        tz_ok = False
        add(Problem(_f(r, "timezone"), exc.message))
    if r.dst and r.dst not in DST_CHOICES:
        add(Problem(_f(r, "dst"), "write first or second (which reading of a time the clocks pass twice), "
                                  "or leave it empty"))
    if day is not None and clock is not None and tz_ok:
        local = day.replace(hour=int(clock.group(1)), minute=int(clock.group(2)))
        try:
            r.scheduled_at = timeslots.to_utc(local, r.timezone, DST_CHOICES.get(r.dst), field=_f(r, "time"))
            timeslots.require_future(r.scheduled_at, r.timezone, now, field=_f(r, "date"))
        except ValidationFailed as exc:
            message = exc.message
            if any(p.code in ("dst_gap", "dst_ambiguous") for p in exc.problems):
                message = (message.replace("(fold=0)", "(dst=first)").replace("(fold=1)", "(dst=second)")
                           + " Add a dst column with first or second, or pick another time.")
            add(Problem(exc.field, message, exc.problems[0].code if exc.problems else "invalid"))
    channel, why = found.find(r.channel)
    if channel is None:
        add(Problem(_f(r, "channel"), why))
    else:
        r.channel_id, r.channel_label = channel.id, f"{subject(channel.network)} · {channel.name}"
        if channel.status != "active":
            state = "is disconnected" if channel.status == "disabled" else "needs reconnecting"
            add(Problem(_f(r, "channel"), f"the {subject(channel.network)} channel “{channel.name}” {state}; "
                                          "re-connect it on the Channels page or choose another"))
    _check_text(r, channel)
    # Also for a row with problems: one imported earlier (now perhaps in the past) is skipped, not refused.
    if r.channel_id and r.scheduled_at:
        r.import_key = import_key(r.channel_id, r.scheduled_at, r.text, r.first_comment)


def _check_text(r: RowResult, channel: Channel | None) -> None:
    add = r.problems.append
    for column, value in (("text", r.text), ("first_comment", r.first_comment)):
        why = inputs.text_problem(value)
        if why:
            add(Problem(_f(r, column), f"the text {why}", "invalid_text"))
        if len(value) > posts.MAX_BODY_CHARS:
            add(Problem(_f(r, column), f"the text has {len(value):,} characters; Quillcast keeps at most "
                                       f"{posts.MAX_BODY_CHARS:,} — shorten it"))
            return
    if not r.text.strip():
        add(Problem(_f(r, "text"), "the post text is empty: write something to publish"))
        return
    if channel is None:
        return
    for p in channels.validate_content(channel, r.text, first_comment=r.first_comment or None):
        column = "first_comment" if p.field == "first_comment" else "text"
        add(Problem(_f(r, column), p.message, "over_limit"))


def raise_problems(preview: Preview) -> None:
    """Every row problem of the file in one ValidationFailed (the API's 422 lists them all)."""
    problems = preview.problems
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValidationFailed(f"nothing was imported: {first.field}: {first.message}{more}",
                               field=first.field, problems=problems)


# --- importing -----------------------------------------------------------------------------------------
def run(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, data: bytes,
        now: datetime | None = None) -> Outcome:
    """Create and schedule (or submit for approval) every new row's post; refuse all if any row is wrong.

    The caller's unit of work commits; an exception leaves nothing behind."""
    # One import at a time per workspace: two uploads of the same file must not both see "not imported".
    session.execute(sql("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                    {"k": f"quillcast.import:{workspace_id}"})
    preview = check(session, actor, workspace_id, data, now)
    raise_problems(preview)
    created: list[uuid.UUID] = []
    new = preview.new_rows
    with approval_notices.one_mail_for_many(session, actor):
        _create_rows(session, actor, workspace_id, new, now, created)
    earliest = min(new, key=lambda r: r.scheduled_at or datetime.max.replace(tzinfo=UTC)) if new else None
    first_date = ""
    if earliest is not None and earliest.scheduled_at is not None:
        first_date = f"{earliest.scheduled_at.astimezone(timeslots.zone(earliest.timezone)):%Y-%m-%d}"
    return Outcome(len(created), len(preview.rows) - len(new), preview.mode, first_date, created)


def _create_rows(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, new: list[RowResult],
                 now: datetime | None, created: list[uuid.UUID]) -> None:
    for r in new:
        assert r.channel_id is not None and r.scheduled_at is not None
        try:
            post = posts.create_post(session, actor, workspace_id, body=r.text, targets=[
                posts.TargetInput(r.channel_id, None, [], r.first_comment or None)])
            for target in session.exec(select(PostTarget).where(PostTarget.post_id == post.id)).all():
                target.options = {**target.options, "import_key": r.import_key}
                session.add(target)
            # The checked UTC moment as the wall time the posts service reads (fold: which reading).
            local = r.scheduled_at.astimezone(timeslots.zone(r.timezone))
            posts.schedule_post(session, actor, post.id, local_time=local.replace(tzinfo=None),
                                timezone=r.timezone, fold=local.fold, now=now)
        except DomainError as exc:  # a rule only the posts service knows: name the row
            rows = [Problem(f"rows[{r.number}].{(p.field or 'text').rsplit('.', 1)[-1]}", p.message, p.code)
                    for p in exc.problems]
            raise ValidationFailed(f"nothing was imported: row {r.number}: {exc.message}",
                                   field=rows[0].field, problems=rows) from exc
        created.append(post.id)


def example_csv(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID,
                today: date | None = None) -> str:
    """A small file to start from: next week's dates and this workspace's own channel names, with a
    quoted text holding a comma, a line break and a quote mark (what trips spreadsheets up)."""
    permissions.require(session, actor, workspace_id, "post:read")
    query = select(Channel).where(Channel.workspace_id == workspace_id, Channel.status == "active")
    found = session.exec(query.order_by(col(Channel.name)).limit(2)).all()
    names = [c.name for c in found] or ["Your channel's name"]
    start = (today or datetime.now(UTC).date()) + timedelta(days=7)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(import_file.COLUMNS[:6])
    writer.writerow([start.isoformat(), "09:30", names[0], "Happy new week, everyone!", "", ""])
    writer.writerow([(start + timedelta(days=1)).isoformat(), "12:00", names[-1],
                     'Three tips for alt text:\n1. say what matters\n2. keep it short\n3. skip "image of"',
                     "Europe/London", "Which tip helps you most?"])
    return out.getvalue()
