"""The ideas board: short cards a team collects before they become posts."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from app.services import usage
from app.services.errors import NotFound, ValidationFailed
from app.services.tenancy import permissions
from models import Idea

MAX_TITLE = 200
MAX_NOTES = 20_000


def _clean(title: str, notes: str) -> tuple[str, str]:
    title, notes = " ".join(title.split()), notes.strip()
    if not title:
        raise ValidationFailed("title: write a few words for the idea", field="title")
    if len(title) > MAX_TITLE:
        raise ValidationFailed(f"title: use at most {MAX_TITLE} characters (put the rest in notes)",
                               field="title")
    if len(notes) > MAX_NOTES:
        raise ValidationFailed(f"notes: use at most {MAX_NOTES:,} characters", field="notes")
    return title, notes


def add(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, title: str, notes: str = "") -> Idea:
    permissions.require(session, actor_id, workspace_id, "post:create")
    title, notes = _clean(title, notes)
    idea = Idea(workspace_id=workspace_id, author_id=actor_id, title=title, notes=notes)
    session.add(idea)
    session.flush()
    return idea


def board(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, status: str = "open") -> list[Idea]:
    permissions.require(session, actor_id, workspace_id, "post:read")
    query = select(Idea).where(Idea.workspace_id == workspace_id, Idea.status == status)
    return list(session.exec(query.order_by(Idea.created_at.desc())).all())  # type: ignore[attr-defined]


def get_idea(session: Session, workspace_id: uuid.UUID, idea_id: uuid.UUID) -> Idea:
    idea = session.get(Idea, idea_id)
    if idea is None or idea.workspace_id != workspace_id:
        raise NotFound("this idea does not exist (any more)", field="idea_id")
    return idea


def edit(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, idea_id: uuid.UUID, title: str,
         notes: str) -> Idea:
    permissions.require(session, actor_id, workspace_id, "post:create")
    idea = get_idea(session, workspace_id, idea_id)
    idea.title, idea.notes = _clean(title, notes)
    session.add(idea)
    return idea


def archive(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, idea_id: uuid.UUID) -> Idea:
    permissions.require(session, actor_id, workspace_id, "post:create")
    idea = get_idea(session, workspace_id, idea_id)
    idea.status = "archived"
    session.add(idea)
    return idea


def mark_used(session: Session, workspace_id: uuid.UUID, idea_id: uuid.UUID, post_id: uuid.UUID) -> Idea:
    """Called when an idea became a post (the caller has checked post:create)."""
    idea = get_idea(session, workspace_id, idea_id)
    idea.status, idea.post_id = "used", post_id
    session.add(idea)
    usage.record("idea_to_post")
    return idea
