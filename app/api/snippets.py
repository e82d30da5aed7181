"""Snippets: saved hashtag groups and pieces of text a workspace reuses in its posts."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.api.deps import PostReader, PostWriter, SessionDep
from app.services.planning import snippets

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["snippets"])


class SnippetIn(BaseModel):
    kind: Literal["hashtags", "snippet"]
    name: str = Field(max_length=snippets.MAX_NAME)
    body: str = Field(max_length=snippets.MAX_BODY)


class SnippetOut(SnippetIn):
    id: uuid.UUID


@router.get("/snippets", response_model=list[SnippetOut])
def list_snippets(ctx: PostReader, session: SessionDep, kind: Literal["hashtags", "snippet"] | None = None):
    """Saved hashtag groups and snippets."""
    return snippets.list_for(session, ctx.user.id, ctx.workspace.id, kind)


@router.post("/snippets", response_model=SnippetOut, status_code=201)
def create_snippet(body: SnippetIn, ctx: PostWriter, session: SessionDep):
    """Save a hashtag group or a snippet."""
    return snippets.save(session, ctx.user.id, ctx.workspace.id, body.kind, body.name, body.body)


@router.delete("/snippets/{snippet_id}", status_code=204)
def delete_snippet(snippet_id: uuid.UUID, ctx: PostWriter, session: SessionDep) -> Response:
    """Delete a hashtag group or snippet."""
    snippets.delete(session, ctx.user.id, ctx.workspace.id, snippet_id)
    return Response(status_code=204)
