"""Short links: shorten a URL (with UTM parameters), and the public redirect that counts a click."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from app.api.deps import PostWriter, ServiceSessionDep, SessionDep
from app.core.config import get_settings
from app.services.planning import links

router = APIRouter(tags=["links"])
# Outside /api and the OpenAPI document: the link's code itself decides where it leads.
public = APIRouter(include_in_schema=False)


class LinkIn(BaseModel):
    url: str = Field(max_length=links.MAX_URL)
    utm: dict[str, str] = Field(default_factory=dict)


class LinkOut(BaseModel):
    code: str
    short_url: str
    destination: str
    clicks: int


@router.post("/workspaces/{workspace_id}/links", response_model=LinkOut, status_code=201)
def create_link(body: LinkIn, ctx: PostWriter, session: SessionDep) -> LinkOut:
    """Shorten a URL, adding UTM parameters."""
    link = links.shorten(session, ctx.user.id, ctx.workspace.id, body.url, body.utm)
    return LinkOut(code=link.code, short_url=links.short_url(get_settings().url, link.code),
                   destination=link.destination, clicks=link.clicks)


@public.get("/l/{code}")
def follow_link(code: str, request: Request, session: ServiceSessionDep) -> RedirectResponse:
    """Short link redirect (public)."""
    return RedirectResponse(links.follow(session, code, request.headers.get("referer")), status_code=302)
