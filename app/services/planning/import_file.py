"""The uploaded CSV file of a bulk import: its size, encoding and delimiter, the header row, and every
non-empty row numbered as the spreadsheet numbers it (header row 1, a text with a line break inside quotes
stays one row). File-level problems are refused at once, naming what to do in the spreadsheet; checking
the rows against the composer's rules is app.services.planning.bulk_import.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from app.services.errors import Problem, ValidationFailed

MAX_ROWS = 500
MAX_BYTES = 1_000_000
REQUIRED = ("date", "time", "channel", "text")
OPTIONAL = ("timezone", "first_comment", "dst")
COLUMNS = REQUIRED + OPTIONAL
_IMAGE_COLUMNS = ("image", "image_url", "images", "media")


def refuse(message: str, field_name: str = "file") -> ValidationFailed:
    return ValidationFailed(message, field=field_name)


def read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells by column) for every non-empty row; file-level problems raise at once."""
    if len(data) > MAX_BYTES:
        raise refuse(f"the file has {len(data):,} bytes; at most {MAX_BYTES:,} (1 MB) — split it into "
                      "smaller files")
    if not data.strip():
        raise refuse("the file is empty: it needs a header row (date,time,channel,text) and one row per "
                      "post")
    # NULs in the header row, in a file that is not UTF-8, or a UTF-16 mark: a UTF-16 or binary file.
    # A NUL in a cell of a UTF-8 file is that row's problem (named there).
    if b"\x00" in data and (data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data.split(b"\n", 1)[0]
                            or not _is_utf8(data)):
        raise refuse("this is not a CSV text file (it contains binary data); in your spreadsheet choose "
                      "File → Save as / Download → CSV (UTF-8)")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse("the file is not UTF-8 text; in your spreadsheet choose Save as / Download → "
                      "“CSV UTF-8”") from None
    first_line = content.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        records = [(reader.line_num, r) for r in _limited(reader)]
    except csv.Error as exc:
        raise refuse(f"the file is not valid CSV near line {reader.line_num} ({exc}); check that every "
                      "text with a quote mark is wrapped in double quotes") from None
    columns = [h.strip().lower().replace(" ", "_") for h in header]
    _check_header(columns)
    rows: list[tuple[int, dict[str, str]]] = []
    number = 1
    for _line, cells in records:
        number += 1
        if not any(c.strip() for c in cells):
            continue
        row = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(columns)}
        if len(cells) > len(columns):
            row["__extra__"] = str(len(cells))
        rows.append((number, row))
    if not rows:
        raise refuse("the file has a header but no posts: add one row per post below it")
    if len(rows) > MAX_ROWS:
        raise refuse(f"the file has {len(rows)} posts; at most {MAX_ROWS} per import — split it into "
                      "several files")
    return rows


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _limited(reader: Any) -> Any:
    """Stop reading far past the row limit (a huge file of tiny rows must not be held in memory twice)."""
    for i, record in enumerate(reader):
        if i > MAX_ROWS * 4:
            raise refuse(f"the file has more than {MAX_ROWS} posts; at most {MAX_ROWS} per import — "
                          "split it")
        yield record


def _check_header(columns: list[str]) -> None:
    problems: list[Problem] = []
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(Problem("file", f"the header row lacks {', '.join(missing)}; the first row must name "
                                        "the columns: date,time,channel,text (optional: timezone, "
                                        "first_comment, dst)"))
    if any(c in _IMAGE_COLUMNS for c in columns):
        problems.append(Problem("file", "images are not imported from CSV: remove the image column, then add "
                                        "images to the posts in the composer"))
    unknown = [c for c in columns if c and c not in COLUMNS and c not in _IMAGE_COLUMNS]
    if unknown:
        named = ", ".join(c[:40] for c in unknown[:5])
        problems.append(Problem("file", f"unknown column(s): {named}; the columns are {', '.join(COLUMNS)} — "
                                        "rename or remove the others"))
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        problems.append(Problem("file", f"column(s) {', '.join(duplicated)} appear twice; keep one"))
    if problems:
        raise ValidationFailed(problems[0].message if len(problems) == 1 else
                               f"{problems[0].message} (and {len(problems) - 1} more)",
                               field="file", problems=problems)
