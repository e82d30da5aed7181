"""/import: upload a CSV of posts, see every row checked, then schedule (or submit) them all at once."""

from __future__ import annotations

import reflex as rx

from app.pages.layout import workspace_page
from app.services.planning import bulk_import
from state.bulk_import import UPLOAD_ID, ImportState

S = ImportState
CSV_ACCEPT = {"text/csv": [".csv"], "text/plain": [".csv", ".txt"], "application/vnd.ms-excel": [".csv"]}
COLUMNS = [
    ("date", "required", "YYYY-MM-DD, e.g. 2030-01-31"),
    ("time", "required", "HH:MM on the 24-hour clock, e.g. 09:30"),
    ("channel", "required", "the channel's name as on the Channels page, or its network and account "
                            "(e.g. “Bluesky ada.bsky.social”)"),
    ("text", "required", "the post; put it in double quotes if it has commas, semicolons or line breaks"),
    ("timezone", "optional", "an IANA zone such as Europe/Paris; empty means the workspace's zone"),
    ("first_comment", "optional", "posted as the first reply, where the network supports it"),
    ("dst", "optional", "first or second: which reading of a time the clocks pass twice (or skip)"),
]


def _explanation() -> rx.Component:
    return rx.vstack(
        rx.text("Plan posts in a spreadsheet, save it as CSV (UTF-8, comma or semicolon separated) and "
                "upload it here. Every row is checked first with the composer's rules; nothing is scheduled "
                f"unless all rows are fine. At most {bulk_import.MAX_ROWS} posts and 1 MB per file.",
                size="2"),
        rx.el.details(
            rx.el.summary(rx.text("Columns of the file", weight="medium", size="2", as_="span"),
                          style={"cursor": "pointer"}),
            rx.el.ul(
                *[rx.el.li(rx.text(rx.code(name), f" ({need}) — {what}", size="2"))
                  for name, need, what in COLUMNS],
                rx.el.li(rx.text("Images are not imported: add them to the posts in the composer afterwards.",
                                 size="2")),
                style={"padding_left": "1.2em", "margin_top": "6px", "list_style": "disc"},
            ),
            open=True,
        ),
        rx.el.a(rx.hstack(rx.icon("download", size=16, aria_hidden="true"),
                          rx.text("Download an example file", size="2"), spacing="1", align="center"),
                href=S.example_href, download="quillcast-import-example.csv", id="example-csv",
                style={"color": "var(--accent-11)", "text_decoration": "underline"}),
        spacing="2",
        width="100%",
        align="start",
    )


def _drop_zone() -> rx.Component:
    # As in the composer: the label names the hidden file input and opens the picker; the zone takes drops.
    return rx.el.label(
        rx.upload(
            rx.vstack(
                rx.cond(
                    S.busy,
                    rx.hstack(rx.spinner(size="2"), rx.text("Checking…", size="2"), align="center",
                              role="status"),
                    rx.hstack(rx.icon("file-up", size=18, aria_hidden="true"),
                              rx.text("Drop a CSV file here, or ",
                                      rx.text.span("choose a file", color_scheme="indigo", weight="medium",
                                                   style={"text_decoration": "underline"}),
                                      size="2"),
                              align="center", wrap="wrap", spacing="2"),
                ),
                rx.cond(S.file_name != "", rx.text(S.file_name, size="1", color_scheme="gray"),
                        rx.fragment()),
                align="center",
                spacing="1",
            ),
            id=UPLOAD_ID,
            accept=CSV_ACCEPT,
            multiple=False,
            max_files=1,
            no_click=True,
            on_drop=S.handle_upload(rx.upload_files(upload_id=UPLOAD_ID)),  # type: ignore[call-arg]
            border="1px dashed var(--gray-a8)",
            border_radius="var(--radius-3)",
            padding="16px",
            width="100%",
        ),
        style={"cursor": "pointer", "width": "100%", "display": "block"},
    )


def _status(row: rx.Var) -> rx.Component:
    return rx.match(
        row["status"],
        ("problem", rx.badge("Fix this row", color_scheme="red", variant="soft", high_contrast=True)),
        ("imported", rx.badge("Already imported", color_scheme="gray", variant="soft", high_contrast=True)),
        rx.badge("Ready", color_scheme="green", variant="soft", high_contrast=True),
    )


def _row(row: rx.Var) -> rx.Component:
    wrap = {"white_space": "pre-wrap", "overflow_wrap": "anywhere"}
    return rx.table.row(
        rx.table.row_header_cell(row["number"]),
        rx.table.cell(rx.text(row["when"], size="2"), rx.text(row["zone"], size="1", color_scheme="gray"),
                      min_width="130px"),
        rx.table.cell(rx.text(row["channel"], size="2", style=wrap), min_width="110px"),
        rx.table.cell(
            rx.text(row["text"], size="2", style=wrap, dir="auto"),
            rx.cond(row["first_comment"] != "",
                    rx.text("First comment: ", row["first_comment"], size="1", color_scheme="gray",
                            style=wrap, dir="auto"),
                    rx.fragment()),
            rx.cond(row["problems"] != "",
                    rx.text(row["problems"], size="2", color_scheme="red", style=wrap,
                            id="row-problems-" + row["number"].to(str)),
                    rx.fragment()),
            min_width="220px",
        ),
        rx.table.cell(_status(row)),
        background=rx.cond(row["status"] == "problem", "var(--red-a2)", "transparent"),
    )


def _card(row: rx.Var) -> rx.Component:
    wrap = {"white_space": "pre-wrap", "overflow_wrap": "anywhere"}
    return rx.el.li(rx.card(
        rx.vstack(
            rx.hstack(rx.text("Row ", row["number"], weight="medium", size="2"), _status(row), spacing="2",
                      align="center"),
            rx.text(row["when"], " (", row["zone"], ") · ", row["channel"], size="1", color_scheme="gray",
                    style=wrap),
            rx.text(row["text"], size="2", style=wrap, dir="auto"),
            rx.cond(row["problems"] != "",
                    rx.text(row["problems"], size="2", color_scheme="red", style=wrap,
                            id="row-card-problems-" + row["number"].to(str)),
                    rx.fragment()),
            spacing="1",
            align="start",
        ),
        width="100%",
    ), style={"margin_bottom": "8px"})


def _preview() -> rx.Component:
    return rx.vstack(
        rx.heading("Preview", size="3", as_="h2"),
        rx.text(S.rows.length().to_string(), " rows: ", S.ready.to_string(), " ready",
                rx.cond(S.skipped > 0, ", " + S.skipped.to_string() + " already imported (skipped)", ""),
                rx.cond(S.problem_rows > 0, ", " + S.problem_rows.to_string() + " to fix", ""), ".",
                size="2", id="import-summary"),
        rx.cond(
            S.problem_rows > 0,
            rx.callout("Nothing is imported while a row has a problem: fix the rows marked below in your "
                       "spreadsheet, save it as CSV again and drop it here.", icon="triangle-alert",
                       color_scheme="red", role="alert", width="100%"),
            rx.fragment(),
        ),
        rx.tablet_and_desktop(
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell("Row"), rx.table.column_header_cell("When"),
                    rx.table.column_header_cell("Channel"), rx.table.column_header_cell("Text"),
                    rx.table.column_header_cell("Status"),
                )),
                rx.table.body(rx.foreach(S.rows, _row)),
                size="1",
                variant="surface",
                width="100%",
            ),
            width="100%",
        ),
        # A phone gets one card per row instead of a table that scrolls sideways.
        rx.mobile_only(
            rx.el.ul(rx.foreach(S.rows, _card), aria_label="Rows of the file",
                     style={"list_style": "none", "padding": 0, "margin": 0, "width": "100%"}),
            width="100%",
        ),
        rx.cond(
            (S.problem_rows == 0) & (S.ready > 0),
            rx.button(
                rx.cond(S.mode == "direct", "Schedule ", "Submit "), S.ready.to_string(),
                rx.cond(S.mode == "direct", rx.cond(S.ready == 1, " post", " posts"), " for approval"),
                id="run-import", on_click=S.run_import, loading=S.busy, size="3",
            ),
            rx.fragment(),
        ),
        spacing="3",
        width="100%",
        align="start",
    )


def import_page() -> rx.Component:
    return workspace_page(
        rx.vstack(
            _explanation(),
            rx.cond(
                S.done != "",
                rx.callout(
                    rx.vstack(
                        rx.text(S.done, id="import-done"),
                        rx.cond(S.first_date != "",
                                rx.button("Open the calendar at ", S.first_label, variant="soft",
                                          id="open-calendar", on_click=S.open_calendar),
                                rx.fragment()),
                        spacing="2",
                    ),
                    icon="circle-check", color_scheme="green", role="status", width="100%",
                ),
                rx.fragment(),
            ),
            _drop_zone(),
            rx.cond(S.file_error != "",
                    rx.callout(S.file_error, icon="triangle-alert", color_scheme="red", role="alert",
                               width="100%", id="file-error"),
                    rx.fragment()),
            rx.cond(S.rows.length() > 0, _preview(), rx.fragment()),
            spacing="4",
            width="100%",
            max_width="1000px",
            align="start",
        ),
        title="Import",
    )
