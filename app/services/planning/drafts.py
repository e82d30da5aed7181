"""The drafts list: a workspace's posts not yet scheduled, newest edit first, with their channels."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.services.tenancy import permissions
from models import Channel, Post, PostTarget
from models.post import POST_DRAFTS

EXCERPT = 200


@dataclass(frozen=True)
class Draft:
    post_id: uuid.UUID
    excerpt: str
    channels: list[str]
    status: str
    updated_at: datetime


def list_drafts(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, limit: int = 200) -> list[Draft]:
    permissions.require(session, actor, workspace_id, "post:read")
    posts = session.exec(
        select(Post).where(Post.workspace_id == workspace_id, col(Post.status).in_(POST_DRAFTS))
        .order_by(col(Post.updated_at).desc()).limit(limit)
    ).all()
    names: dict[uuid.UUID, list[str]] = {p.id: [] for p in posts}
    if posts:
        for post_id, name in session.exec(
            select(PostTarget.post_id, Channel.name).join(Channel, col(Channel.id) == PostTarget.channel_id)
            .where(col(PostTarget.post_id).in_(list(names))).order_by(col(Channel.name))
        ).all():
            names[post_id].append(name)
    return [
        Draft(p.id, p.body if len(p.body) <= EXCERPT else p.body[:EXCERPT].rstrip() + "…", names[p.id],
              p.status, p.updated_at)
        for p in posts
    ]
