"""The private iCal feed of a workspace's schedule: made and revoked by a member, read by a calendar app."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from app.api.deps import PostReader, ServiceSessionDep, SessionDep
from app.core.config import get_settings
from app.services.planning import ical

# A feed only reads the schedule, so whoever may read posts may have one.
router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["calendar feed"])
# Outside /api and the OpenAPI document: the feed's secret token itself decides what it shows.
public = APIRouter(include_in_schema=False)


class FeedOut(BaseModel):
    url: str


@router.post("/calendar-feed", response_model=FeedOut, status_code=201)
def create_feed(ctx: PostReader, session: SessionDep) -> FeedOut:
    """A private iCal URL of the schedule (shown once; replaces any earlier one)."""
    token = ical.create_feed(session, ctx.user.id, ctx.workspace.id)
    return FeedOut(url=f"{get_settings().url}/ical/{token}.ics")


@router.delete("/calendar-feed", status_code=204)
def revoke_feed(ctx: PostReader, session: SessionDep) -> Response:
    """Revoke my iCal URL for this workspace."""
    ical.revoke_feeds(session, ctx.user.id, ctx.workspace.id)
    return Response(status_code=204)


@public.get("/ical/{token}.ics")
def ical_feed(token: str, session: ServiceSessionDep) -> Response:
    """The private iCal feed (public URL, secret token)."""
    return Response(ical.render(session, token), media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})
