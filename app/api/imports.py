"""Bulk import of posts from a CSV file: a thin route over app.services.planning.bulk_import."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.api.deps import PostWriter, SessionDep
from app.services.planning import bulk_import

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["imports"])


class RowOut(BaseModel):
    row: int
    date: str
    time: str
    timezone: str
    channel_id: uuid.UUID | None
    text: str
    first_comment: str
    scheduled_at: datetime | None
    already_imported: bool


class DryRunOut(BaseModel):
    mode: Literal["direct", "approval"]
    rows: list[RowOut]
    new: int


class ImportOut(BaseModel):
    created: int
    skipped: int
    mode: Literal["direct", "approval"]
    first_date: str
    post_ids: list[uuid.UUID]


@router.post("/imports", status_code=status.HTTP_201_CREATED, response_model=ImportOut,
             responses={200: {"model": DryRunOut, "description": "dry run: every row is valid"}})
def import_posts(
    session: SessionDep,
    ctx: PostWriter,
    file: Annotated[UploadFile, File(description="CSV: date,time,channel,text[,timezone,first_comment,dst]")],
    dry_run: Annotated[bool, Query(description="check every row, create nothing")] = False,
) -> ImportOut | JSONResponse:
    """Schedule (contributors: submit) one post per CSV row; all rows or none. 422 names each problem."""
    # One byte past the limit, so an oversized file is refused by its size rather than cut short.
    data = file.file.read(bulk_import.MAX_BYTES + 1)
    if dry_run:
        preview = bulk_import.check(session, ctx.user.id, ctx.workspace.id, data)
        bulk_import.raise_problems(preview)
        out = DryRunOut(mode=preview.mode, new=len(preview.new_rows), rows=[
            RowOut(row=r.number, date=r.date, time=r.time, timezone=r.timezone, channel_id=r.channel_id,
                   text=r.text, first_comment=r.first_comment, scheduled_at=r.scheduled_at,
                   already_imported=r.already_imported) for r in preview.rows])
        return JSONResponse(out.model_dump(mode="json"), status_code=status.HTTP_200_OK)
    outcome = bulk_import.run(session, ctx.user.id, ctx.workspace.id, data)
    return ImportOut(created=outcome.created, skipped=outcome.skipped, mode=outcome.mode,
                     first_date=outcome.first_date, post_ids=outcome.post_ids)
