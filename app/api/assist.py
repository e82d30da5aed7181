"""AI assist for writing posts, through the instance's OpenAI-compatible endpoint (off unless configured)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import PostWriter
from app.services.errors import ErrorBody
from app.services.planning import assist

router = APIRouter(prefix="/workspaces/{workspace_id}", tags=["assist"])


class AssistIn(BaseModel):
    action: Literal["write", "rewrite", "shorten", "hashtags"]
    text: str = Field(max_length=assist.MAX_INPUT)
    network: str | None = None
    limit: int | None = Field(default=None, ge=20, le=100_000)


class AssistOut(BaseModel):
    text: str | None = None
    hashtags: list[str] = Field(default_factory=list)


@router.post("/assist", response_model=AssistOut, responses={
    503: {"model": ErrorBody, "description": "AI assist is off on this instance, or its endpoint failed; "
                                            "the message says how to enable or retry it"}})
def run_assist(body: AssistIn, ctx: PostWriter) -> AssistOut:
    """AI assist through the configured OpenAI-compatible endpoint (503 with how to enable it when off)."""
    if body.action == "hashtags":
        return AssistOut(hashtags=assist.hashtags(body.text))
    if body.action == "shorten":
        return AssistOut(text=assist.shorten(body.text, body.network or "this network", body.limit or 280))
    return AssistOut(text=assist.write(body.text) if body.action == "write" else assist.rewrite(body.text))
