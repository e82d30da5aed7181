"""Studio resources: short links, snippets, ideas, the iCal feed and AI assist."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from app.api.deps import ServiceSessionDep, SessionDep, WorkspaceContext, require
from app.core.config import get_settings
from app.services.errors import ErrorBody
from app.services.planning import assist, ical, ideas, links, snippets

router = APIRouter(tags=["studio"])
public = APIRouter(include_in_schema=False)
WS = "/workspaces/{workspace_id}"
Reader = Annotated[WorkspaceContext, Depends(require("post:read"))]
Writer = Annotated[WorkspaceContext, Depends(require("post:create"))]
# Public routes act before anyone is known; the code or token itself decides what they may see.
ServiceSession = ServiceSessionDep


class LinkIn(BaseModel):
    url: str = Field(max_length=links.MAX_URL)
    utm: dict[str, str] = Field(default_factory=dict)


class LinkOut(BaseModel):
    code: str
    short_url: str
    destination: str
    clicks: int


@router.post(f"{WS}/links", response_model=LinkOut, status_code=201)
def create_link(body: LinkIn, ctx: Writer, session: SessionDep) -> LinkOut:
    """Shorten a URL, adding UTM parameters."""
    link = links.shorten(session, ctx.user.id, ctx.workspace.id, body.url, body.utm)
    return LinkOut(code=link.code, short_url=links.short_url(get_settings().url, link.code),
                   destination=link.destination, clicks=link.clicks)


class SnippetIn(BaseModel):
    kind: Literal["hashtags", "snippet"]
    name: str = Field(max_length=snippets.MAX_NAME)
    body: str = Field(max_length=snippets.MAX_BODY)


class SnippetOut(SnippetIn):
    id: uuid.UUID


@router.get(f"{WS}/snippets", response_model=list[SnippetOut])
def list_snippets(ctx: Reader, session: SessionDep, kind: Literal["hashtags", "snippet"] | None = None):
    """Saved hashtag groups and snippets."""
    return snippets.list_for(session, ctx.user.id, ctx.workspace.id, kind)


@router.post(f"{WS}/snippets", response_model=SnippetOut, status_code=201)
def create_snippet(body: SnippetIn, ctx: Writer, session: SessionDep):
    """Save a hashtag group or a snippet."""
    return snippets.save(session, ctx.user.id, ctx.workspace.id, body.kind, body.name, body.body)


@router.delete(f"{WS}/snippets/{{snippet_id}}", status_code=204)
def delete_snippet(snippet_id: uuid.UUID, ctx: Writer, session: SessionDep) -> Response:
    """Delete a hashtag group or snippet."""
    snippets.delete(session, ctx.user.id, ctx.workspace.id, snippet_id)
    return Response(status_code=204)


class IdeaIn(BaseModel):
    title: str = Field(max_length=ideas.MAX_TITLE)
    notes: str = Field(default="", max_length=ideas.MAX_NOTES)


class IdeaOut(IdeaIn):
    id: uuid.UUID
    status: str
    post_id: uuid.UUID | None


@router.get(f"{WS}/ideas", response_model=list[IdeaOut])
def list_ideas(ctx: Reader, session: SessionDep, status: Literal["open", "used", "archived"] = "open"):
    """The ideas board."""
    return ideas.board(session, ctx.user.id, ctx.workspace.id, status)


@router.post(f"{WS}/ideas", response_model=IdeaOut, status_code=201)
def create_idea(body: IdeaIn, ctx: Writer, session: SessionDep):
    """Add an idea card."""
    return ideas.add(session, ctx.user.id, ctx.workspace.id, body.title, body.notes)


class FeedOut(BaseModel):
    url: str


@router.post(f"{WS}/calendar-feed", response_model=FeedOut, status_code=201)
def create_feed(ctx: Reader, session: SessionDep) -> FeedOut:
    """A private iCal URL of the schedule (shown once; replaces any earlier one)."""
    token = ical.create_feed(session, ctx.user.id, ctx.workspace.id)
    return FeedOut(url=f"{get_settings().url}/ical/{token}.ics")


@router.delete(f"{WS}/calendar-feed", status_code=204)
def revoke_feed(ctx: Reader, session: SessionDep) -> Response:
    """Revoke my iCal URL for this workspace."""
    ical.revoke_feeds(session, ctx.user.id, ctx.workspace.id)
    return Response(status_code=204)


class AssistIn(BaseModel):
    action: Literal["write", "rewrite", "shorten", "hashtags"]
    text: str = Field(max_length=assist.MAX_INPUT)
    network: str | None = None
    limit: int | None = Field(default=None, ge=20, le=100_000)


class AssistOut(BaseModel):
    text: str | None = None
    hashtags: list[str] = Field(default_factory=list)


@router.post(f"{WS}/assist", response_model=AssistOut, responses={
    503: {"model": ErrorBody, "description": "AI assist is off on this instance, or its endpoint failed; "
                                            "the message says how to enable or retry it"}})
def run_assist(body: AssistIn, ctx: Writer) -> AssistOut:
    """AI assist through the configured OpenAI-compatible endpoint (503 with how to enable it when off)."""
    if body.action == "hashtags":
        return AssistOut(hashtags=assist.hashtags(body.text))
    if body.action == "shorten":
        return AssistOut(text=assist.shorten(body.text, body.network or "this network", body.limit or 280))
    return AssistOut(text=assist.write(body.text) if body.action == "write" else assist.rewrite(body.text))


@public.get("/l/{code}")
def follow_link(code: str, request: Request, session: ServiceSession) -> RedirectResponse:
    """Short link redirect (public)."""
    return RedirectResponse(links.follow(session, code, request.headers.get("referer")), status_code=302)


@public.get("/ical/{token}.ics")
def ical_feed(token: str, session: ServiceSession) -> Response:
    """The private iCal feed (public URL, secret token)."""
    return Response(ical.render(session, token), media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300"})
