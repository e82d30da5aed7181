"""Factory helpers: rows with plausible defaults, committed."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlmodel import Session

from models import Channel, Membership, Post, PostTarget, User, Workspace


def random_email() -> str:
    return f"user-{secrets.token_hex(4)}@example.test"


def make_user(session: Session, **kw: object) -> User:
    user = User(email=kw.pop("email", random_email()), display_name=kw.pop("display_name", "Ada"), **kw)
    session.add(user)
    session.commit()
    return user


def make_workspace(session: Session, owner: User | None = None, **kw: object) -> Workspace:
    ws = Workspace(name=kw.pop("name", "Acme"), slug=kw.pop("slug", f"acme-{secrets.token_hex(4)}"), **kw)
    session.add(ws)
    session.commit()
    if owner:
        session.add(Membership(workspace_id=ws.id, user_id=owner.id, role="owner"))
        session.commit()
    return ws


def make_channel(session: Session, workspace: Workspace, network: str = "bluesky", **kw: object) -> Channel:
    ch = Channel(workspace_id=workspace.id, network=network, name=kw.pop("name", f"{network} main"),
                 account=kw.pop("account", "ada.test"), **kw)
    session.add(ch)
    session.commit()
    return ch


def make_target(
    session: Session, channel: Channel, *, scheduled_at: datetime | None = None, status: str = "scheduled",
    body: str = "Hello", author: User | None = None,
) -> PostTarget:
    post = Post(workspace_id=channel.workspace_id, author_id=author.id if author else None, body=body,
                status="scheduled")
    session.add(post)
    session.flush()
    target = PostTarget(
        workspace_id=channel.workspace_id, post_id=post.id, channel_id=channel.id,
        scheduled_at=scheduled_at or datetime.now(UTC), status=status,
        idempotency_key=secrets.token_hex(16),
    )
    session.add(target)
    session.commit()
    return target
