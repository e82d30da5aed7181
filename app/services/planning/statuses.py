"""The rules of post and target statuses: which actions each state allows (and to whom), how a post's
status follows from its targets', and the calendar's status filter.

The vocabulary (every status, and the named groups such as TARGET_WAITING) is in models.post; the posts
services refuse exactly what `allowed_actions` leaves out, and the post page, the API and tasks ask it
instead of listing statuses of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import Session, select

from app.services.tenancy import permissions
from models import Post, PostTarget
from models.post import (
    POST_EDITABLE,
    TARGET_CANCELLABLE,
    TARGET_IN_FLIGHT,
    TARGET_UNRESOLVED,
    TARGET_WAITING,
)

POST_ACTIONS = ("publish_now", "edit", "cancel")
TARGET_ACTIONS = ("retry", "publish_anyway", "mark_posted")


def may_change(role: str, is_author: bool) -> bool:
    """Editing or cancelling a post: editors and above any post, authors (who may write) their own."""
    return permissions.can(role, "post:edit_any") or (is_author and permissions.can(role, "post:create"))


def allowed_actions(
    post_status: str,
    target_statuses: Sequence[str],
    role: str | None = None,
    *,
    is_author: bool = False,
) -> tuple[frozenset[str], list[frozenset[str]]]:
    """What the post, and each of its targets (in the order given), can go through in these states: the
    same conditions the posts services check (they refuse the rest).
    The post: "publish_now" (publish_now), "edit" (update_post, schedule_post), "cancel" (cancel_post).
    A target: "retry" (retry_target), "publish_anyway" and "mark_posted" (resolve_unknown).
    With a `role` (and whether that member wrote the post), only what the role may do: publishing at once
    and a target's actions need post:publish (a contributor's "publish now" is a submission, offered by
    the composer); edit and cancel need the right to change this post (`may_change`)."""
    post: set[str] = set()
    if post_status in POST_EDITABLE and target_statuses and all(s in TARGET_WAITING for s in target_statuses):
        post |= {"publish_now", "edit"}
    if "publishing" not in target_statuses and any(s in TARGET_CANCELLABLE for s in target_statuses):
        post.add("cancel")
    targets = [frozenset({"retry"} if s == "failed" else {"publish_anyway", "mark_posted"} if s == "unknown"
                         else ()) for s in target_statuses]
    if role is not None:
        publisher = permissions.can(role, "post:publish")
        changer = may_change(role, is_author)
        post = {a for a in post if (publisher if a == "publish_now" else changer)}
        if not publisher:
            targets = [frozenset() for _ in targets]
    return frozenset(post), targets


def is_live(target_statuses: Sequence[str]) -> bool:
    """A target is on its way: the post changes without anybody doing anything (pages watch it closely)."""
    return any(s in TARGET_IN_FLIGHT for s in target_statuses)


def derive_post_status(statuses: Sequence[str]) -> str | None:
    """A post's status from its targets' (None: leave it, e.g. drafts)."""
    live = [s for s in statuses if s != "cancelled"]
    if not statuses:
        return None
    if not live:
        return "cancelled"
    published = sum(s == "published" for s in live)
    failed = sum(s == "failed" for s in live)
    if any(s in TARGET_UNRESOLVED for s in live):
        return "publishing"
    if any(s == "scheduled" for s in live):
        return "partially_published" if published else "scheduled"
    if published and published == len(live):
        return "published"
    if published and failed:
        return "partially_published"
    if failed and failed == len(live):
        return "failed"
    return None


def refresh_post_status(session: Session, post_id: uuid.UUID) -> None:
    """After targets changed: the post's status follows from theirs again."""
    # Lock the post: two targets of one post finishing at once must not both derive from stale rows.
    post = session.exec(select(Post).where(Post.id == post_id).with_for_update()).first()
    if post is None:
        return
    statuses = list(session.exec(select(PostTarget.status).where(PostTarget.post_id == post_id)).all())
    status = derive_post_status(statuses)
    if status and status != post.status:
        post.status = status
        session.add(post)


# The calendar's status filter: each choice (in the order offered) and the target statuses it shows. A
# queued target is drawn as scheduled and a retrying one is still publishing, so they go with those.
CALENDAR_FILTERS: dict[str, tuple[str, ...]] = {
    "scheduled": ("scheduled", "queued"),
    "awaiting_approval": ("awaiting_approval",),
    "publishing": ("publishing", "retrying"),
    "published": ("published",),
    "failed": ("failed",),
    "unknown": ("unknown",),
    "draft": ("draft",),
    "cancelled": ("cancelled",),
}


def filter_statuses(choice: str) -> list[str]:
    """The target statuses one choice of the calendar's status filter shows."""
    return list(CALENDAR_FILTERS.get(choice, (choice,)))


def status_label(status: str) -> str:
    """A status as people read it: "awaiting_approval" -> "Awaiting approval"."""
    return status.replace("_", " ").capitalize()
