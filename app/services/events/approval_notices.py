"""E-mail notices for approvals: reviewers hear of a submitted post, its author of the decision; the
workspace's webhooks hear of all three steps (`post.approval_requested` / `post.approved` /
`post.changes_requested`, emitted here through app.services.events.webhook_events).

posts.py calls these right after the state change, in the same unit of work: each mail is an outbox
row (messaging.email) that is sent only once that unit commits, so a refused or rolled-back action
mails nobody. Only people who are still members, active and verified get mail, never the person
who acted, and nobody who turned that kind of notice off (app.services.messaging.notifications).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.services.events import webhook_events
from app.services.messaging import email, notifications
from app.services.tenancy import permissions
from models import Channel, Membership, Post, PostTarget, User, Workspace
from models.post import TARGET_GOING_OUT

EXCERPT_CHARS = 80
DIGEST_LISTED = 20  # posts named in one "many posts await approval" mail; the rest are counted
_DIGEST = "quillcast.approval_digest"
_NOW_LABEL = "as soon as it is approved"
_REVIEWER_ROLES = tuple(role for role in permissions.MATRIX if permissions.can(role, "post:approve"))


@contextmanager
def one_mail_for_many(session: Session, actor: uuid.UUID) -> Iterator[None]:
    """Inside, submissions are collected instead of mailed; at the end each reviewer gets ONE mail that
    lists them all (a bulk import of 50 posts must not send 50 mails to every editor). Webhooks still
    hear of each post. Nothing is mailed when the block raises."""
    session.info[_DIGEST] = []
    try:
        yield
    except BaseException:
        session.info.pop(_DIGEST, None)
        raise
    collected: list[Post] = session.info.pop(_DIGEST, [])
    if len(collected) == 1:
        submitted(session, collected[0], actor)
    elif collected:
        _submitted_many(session, collected, actor)


def _reviewers(session: Session, workspace_id: uuid.UUID, actor: uuid.UUID) -> list[User]:
    reviewers = session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.workspace_id == workspace_id, col(Membership.role).in_(_REVIEWER_ROLES),
               col(User.id) != actor, col(User.is_active), col(User.email_verified_at).is_not(None))
        .order_by(col(User.email))
    ).all()
    return [r for r in reviewers if notifications.wants(session, r, "approval_requested")]


def _submitted_many(session: Session, collected: list[Post], actor: uuid.UUID) -> int:
    ws = _workspace(session, collected[0])
    shown = collected[:DIGEST_LISTED]
    context = {
        "workspace": ws.name, "author": _name(session.get(User, actor)), "count": len(collected),
        "timezone": ws.timezone, "more": len(collected) - len(shown), "link": _url("/calendar"),
        "posts": [{"excerpt": excerpt(p.body), "targets": _schedule(session, p, ws),
                   "link": _url(f"/compose?post_id={p.id}")} for p in shown],
    }
    wanted = _reviewers(session, ws.id, actor)
    for reviewer in wanted:
        email.send_template(session, reviewer.email, "approval_requested_many",
                            {**context, "name": reviewer.display_name}, recipient=reviewer.id)
    return len(wanted)


def submitted(session: Session, post: Post, actor: uuid.UUID) -> int:
    """Tell every member who may approve (except the author) that `post` awaits approval; returns how
    many mails were queued (0 inside `one_mail_for_many`, which mails at its end)."""
    if _DIGEST in session.info:
        session.info[_DIGEST].append(post)
        _post_event(session, "post.approval_requested", post, actor)
        return 0
    ws = _workspace(session, post)
    author = session.get(User, actor)
    context = {
        "workspace": ws.name, "author": _name(author), "excerpt": excerpt(post.body),
        "targets": _schedule(session, post, ws), "timezone": ws.timezone,
        # The composer is where the Approve / Request changes buttons are.
        "link": _url(f"/compose?post_id={post.id}"),
    }
    wanted = _reviewers(session, post.workspace_id, actor)
    for reviewer in wanted:
        email.send_template(session, reviewer.email, "approval_requested",
                            {**context, "name": reviewer.display_name}, recipient=reviewer.id)
    _post_event(session, "post.approval_requested", post, actor)
    return len(wanted)


def approved(session: Session, post: Post, actor: uuid.UUID) -> bool:
    """Tell the author who approved `post` and when it goes out."""
    _post_event(session, "post.approved", post, actor)
    author = _author(session, post, actor)
    if author is None:
        return False
    ws = _workspace(session, post)
    email.send_template(session, author.email, "post_approved", {
        "name": author.display_name, "reviewer": _name(session.get(User, actor)), "workspace": ws.name,
        "excerpt": excerpt(post.body), "targets": _schedule(session, post, ws), "timezone": ws.timezone,
        "link": _url(f"/posts/{post.id}"),
    }, recipient=author.id)
    return True


def changes_requested(session: Session, post: Post, actor: uuid.UUID) -> bool:
    """Send the reviewer's comment to the author, with a link to edit the post."""
    _post_event(session, "post.changes_requested", post, actor)
    author = _author(session, post, actor)
    if author is None:
        return False
    ws = _workspace(session, post)
    email.send_template(session, author.email, "changes_requested", {
        "name": author.display_name, "reviewer": _name(session.get(User, actor)), "workspace": ws.name,
        "excerpt": excerpt(post.body), "comment": post.approval_comment or "",
        "link": _url(f"/compose?post_id={post.id}"),
    }, recipient=author.id)
    return True


def _post_event(session: Session, event: str, post: Post, actor: uuid.UUID) -> int:
    """An approval step for the workspace's webhooks, in the caller's unit of work."""
    who = session.get(User, actor)
    data: dict[str, Any] = {
        "post": {"id": str(post.id), "status": post.status, "excerpt": excerpt(post.body),
                 "link": webhook_events.link(f"/posts/{post.id}")},
        "actor": {"id": str(actor), "name": who.display_name if who else None},
    }
    if event == "post.changes_requested":
        data["comment"] = post.approval_comment or ""
    return webhook_events.emit(session, post.workspace_id, event, data)


def excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    """The post's first words: one line, cut at a word boundary."""
    text = " ".join(body.split())
    if len(text) <= limit:
        return text
    # One character more, so a word that ends exactly at the limit is kept whole.
    head = text[: limit + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else text[:limit]
    return cut.rstrip(" ,.;:-") + "…"


def when_label(moment: datetime | None, timezone: str) -> str:
    """A target's time in the workspace's zone, as the post page shows it."""
    if moment is None:
        return _NOW_LABEL
    return moment.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y, %H:%M")


def _schedule(session: Session, post: Post, ws: Workspace) -> list[dict[str, str]]:
    rows = session.exec(
        select(PostTarget, Channel)
        .join(Channel, col(Channel.id) == col(PostTarget.channel_id))
        .where(PostTarget.post_id == post.id, PostTarget.status != "cancelled")
        .order_by(col(PostTarget.created_at))
    ).all()
    out = []
    for target, channel in rows:
        # Approving a "publish now" submission queues it at once; before that it has no time (None).
        queued = target.status in TARGET_GOING_OUT
        when = "now" if queued else when_label(target.scheduled_at, ws.timezone)
        out.append({"channel": channel.name, "network": channel.network.capitalize(), "when": when})
    return out


def _author(session: Session, post: Post, actor: uuid.UUID) -> User | None:
    """The author, if they should hear of it: not the actor, still a member, active, verified, and
    wanting approval results."""
    if post.author_id is None or post.author_id == actor:
        return None
    if permissions.membership(session, post.author_id, post.workspace_id) is None:
        return None
    author = _reachable(session.get(User, post.author_id))
    if author is None or not notifications.wants(session, author, "approval_result"):
        return None
    return author


def _reachable(user: User | None) -> User | None:
    if user is None or not user.is_active or user.email_verified_at is None:
        return None
    return user


def _workspace(session: Session, post: Post) -> Workspace:
    ws = session.get(Workspace, post.workspace_id)
    assert ws is not None  # the post's foreign key
    return ws


def _name(user: User | None) -> str:
    if user is None:
        return "A member"
    return user.display_name or user.email


def _url(path: str) -> str:
    # The same pages as app.pages.routes (services do not import pages).
    return f"{get_settings().url.rstrip('/')}{path}"
