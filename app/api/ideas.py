"""The ideas board: cards a workspace keeps until they become posts."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import PostReader, PostWriter, SessionDep
from app.services.planning import ideas

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["ideas"])


class IdeaIn(BaseModel):
    title: str = Field(max_length=ideas.MAX_TITLE)
    notes: str = Field(default="", max_length=ideas.MAX_NOTES)


class IdeaOut(IdeaIn):
    id: uuid.UUID
    status: str
    post_id: uuid.UUID | None


@router.get("/ideas", response_model=list[IdeaOut])
def list_ideas(ctx: PostReader, session: SessionDep, status: Literal["open", "used", "archived"] = "open"):
    """The ideas board."""
    return ideas.board(session, ctx.user.id, ctx.workspace.id, status)


@router.post("/ideas", response_model=IdeaOut, status_code=201)
def create_idea(body: IdeaIn, ctx: PostWriter, session: SessionDep):
    """Add an idea card."""
    return ideas.add(session, ctx.user.id, ctx.workspace.id, body.title, body.notes)
