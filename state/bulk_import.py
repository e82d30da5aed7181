"""Import page: upload a CSV, see every row checked, then schedule (or submit) them all at once.

Thin: planning.bulk_import checks and imports; this keeps the uploaded bytes (backend-only) between the
preview and the import, and shows the service's problems next to their row."""

from __future__ import annotations

import urllib.parse
from datetime import datetime
from zoneinfo import ZoneInfo

import reflex as rx

from app.core import routes
from app.services.errors import DomainError
from app.services.planning import bulk_import
from state.calendar import CalendarState
from state.workspace import WorkspaceState

UPLOAD_ID = "import-file"
COLUMN_LABELS = {"date": "date", "time": "time", "channel": "channel", "text": "text", "timezone": "timezone",
                 "first_comment": "first comment", "dst": "dst"}


def _rows(preview: bulk_import.Preview) -> list[dict[str, str]]:
    out = []
    for r in preview.rows:
        problems = [f"{COLUMN_LABELS.get((p.field or '').rsplit('.', 1)[-1], 'row')}: {p.message}"
                    for p in r.problems]
        when = f"{r.date} {r.time}"
        if r.scheduled_at is not None:
            when = r.scheduled_at.astimezone(ZoneInfo(r.timezone)).strftime("%a %d %b %Y, %H:%M")
        out.append({
            "number": str(r.number), "when": when, "zone": r.timezone,
            "channel": r.channel_label or r.channel,
            "text": r.text if len(r.text) <= 280 else r.text[:279] + "…",
            "first_comment": r.first_comment,
            "problems": "\n".join(problems),
            "status": "problem" if problems else ("imported" if r.already_imported else "ready"),
        })
    return out


class ImportState(WorkspaceState):
    file_name: str = ""
    file_error: str = ""  # the file as a whole cannot be read (size, encoding, header, row count)
    rows: list[dict[str, str]] = []
    mode: str = "direct"
    ready: int = 0
    problem_rows: int = 0
    skipped: int = 0
    busy: bool = False
    done: str = ""  # what the import did, once it ran
    first_date: str = ""
    first_label: str = ""
    example_href: str = ""
    _data: bytes = b""

    @rx.event
    async def on_load(self):  # type: ignore[no-untyped-def]
        if not self._workspace_id:
            return
        self._clear()
        self.done, self.first_date, self.first_label = "", "", ""
        try:
            example = await self.run(bulk_import.example_csv)
        except DomainError as exc:
            self.file_error = exc.message
            return
        self.example_href = "data:text/csv;charset=utf-8," + urllib.parse.quote("\ufeff" + example)

    def _clear(self) -> None:
        self.file_name, self.file_error, self.rows, self._data = "", "", [], b""
        self.ready = self.problem_rows = self.skipped = 0
        self.busy = False

    @rx.event
    async def handle_upload(self, files: list[rx.UploadFile]):  # type: ignore[no-untyped-def]
        """The dropped or picked file is read (one byte past the limit: a bigger file is refused by its size)
        and every row checked; nothing is saved yet."""
        self._clear()
        self.done = ""
        if not files:
            return
        upload = files[0]
        self.file_name = str(getattr(upload, "name", None) or getattr(upload, "filename", None) or "file.csv")
        self.busy = True
        yield
        self._data = await upload.read(bulk_import.MAX_BYTES + 1)
        await self._check()
        self.busy = False

    async def _check(self) -> None:
        try:
            preview = await self.run(bulk_import.check, self._data)
        except DomainError as exc:
            self.file_error = "; ".join(p.message for p in exc.problems) or exc.message
            return
        self.rows, self.mode = _rows(preview), preview.mode
        self.problem_rows = sum(1 for r in self.rows if r["status"] == "problem")
        self.skipped = sum(1 for r in self.rows if r["status"] == "imported")
        self.ready = len(self.rows) - self.problem_rows - self.skipped

    @rx.event
    async def run_import(self):  # type: ignore[no-untyped-def]
        if not self._data or self.problem_rows or not self.ready or self.busy:
            return
        self.busy = True
        yield
        try:
            outcome = await self.run(bulk_import.run, self._data)
        except DomainError:
            # Something changed since the preview (a channel disconnected, a time passed): show it again.
            await self._check()
            self.busy = False
            return
        verb = "Scheduled" if outcome.mode == "direct" else "Submitted for approval:"
        skipped = f" {outcome.skipped} row(s) were already imported and skipped." if outcome.skipped else ""
        self.done = f"{verb} {outcome.created} post{'s' if outcome.created != 1 else ''}.{skipped}"
        self.first_date = outcome.first_date
        self.first_label = (datetime.strptime(outcome.first_date, "%Y-%m-%d").strftime("%d %b %Y")
                            if outcome.first_date else "")
        self._clear()

    @rx.event
    async def open_calendar(self):  # type: ignore[no-untyped-def]
        """The calendar opened at the first imported day (it keeps its own date between visits)."""
        calendar = await self.get_state(CalendarState)
        if self.first_date:
            calendar.initial_date, calendar.initial_view = self.first_date, "dayGridMonth"
            calendar.mount_key += 1
        return rx.redirect(routes.CALENDAR)

