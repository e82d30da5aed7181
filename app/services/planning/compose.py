"""What the composer does beyond posts.py: the channels to pick, a save that refuses to overwrite a post
another tab changed since it was opened, and scheduling or publishing a saved post only when every chosen
channel's network can take its text (the checks themselves are in `compose_checks`).

Plain functions over a Session; permissions are checked by the posts/channels services they call.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.connectors import registry
from app.connectors.catalogue import subject
from app.core import llm
from app.core.config import get_settings
from app.services import usage
from app.services.channels import channels
from app.services.errors import Conflict, ValidationFailed
from app.services.planning import assist, ideas, links, posts, queue, snippets, threads, timeslots
from app.services.planning.compose_checks import (
    MAX_COMPOSE_CHARS,
    TargetCheck,
    blocked_message,
    check_targets,
    count_for,
    strictest,
    too_long_message,
)
from app.services.tenancy import permissions
from models import Channel, Post, PostTarget
from models.base import utcnow

STALE_MESSAGE = "this post changed in another tab or by someone else since you opened it — reload to see it"


def choice(channel: Channel) -> dict[str, Any]:
    """One channel as the composer offers it: its names, its network's numbers and its settings."""
    limits = registry.limits_for(channel.network, dict(channel.settings or {}))
    return {
        "id": str(channel.id), "name": channel.name, "network": channel.network, "account": channel.account,
        "limit": limits.max_chars, "alt_text": limits.supports_alt_text, "threads": limits.supports_threads,
        "settings": dict(channel.settings or {}),
    }


def channel_choices(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID) -> list[dict[str, Any]]:
    """The workspace's active channels with the numbers the composer shows."""
    rows = channels.list_channels(session, user_id=actor, workspace_id=workspace_id)
    return [choice(ch) for ch in rows if ch.status == "active"]


def load(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, post_id: uuid.UUID) -> dict[str, Any]:
    """A post as the composer edits it: the post's text, each channel's own text (None = uses the post's)."""
    post = posts.get_post(session, actor, post_id)
    if post.workspace_id != workspace_id:
        raise ValidationFailed("this post belongs to another workspace: switch workspace first",
                               field="post_id")
    targets = session.exec(select(PostTarget).where(PostTarget.post_id == post.id)
                           .order_by(col(PostTarget.created_at))).all()
    scheduled = next((t.scheduled_at for t in targets if t.scheduled_at), None)
    return {
        "id": str(post.id), "body": post.body, "status": post.status,
        "updated_at": post.updated_at.isoformat(), "author_id": str(post.author_id or ""),
        "approval_comment": post.approval_comment or "",
        "targets": {str(t.channel_id): t.body for t in targets},
        "thread": {str(t.channel_id): list(t.options.get("thread", [])) for t in targets},
        "scheduled_at": scheduled.isoformat() if scheduled else "",
        "media": media_of(session, workspace_id, targets),
    }


def media_of(session: Session, workspace_id: uuid.UUID,
             targets: Sequence[PostTarget]) -> list[dict[str, str]]:
    """The images the composer shows for a post (the first target's; the composer applies one list to
    every channel): id, alt, file name."""
    from models import MediaAsset

    refs = next((list(t.options.get("media", [])) for t in targets if t.options.get("media")), [])
    if not refs:
        return []
    ids = [uuid.UUID(str(r["id"])) for r in refs]
    assets = {a.id: a for a in session.exec(select(MediaAsset).where(
        col(MediaAsset.id).in_(ids), MediaAsset.workspace_id == workspace_id)).all()}
    return [{"id": str(i), "alt": str(r.get("alt") or ""), "filename": assets[i].filename}
            for i, r in zip(ids, refs, strict=True) if i in assets]


def save(
    session: Session,
    actor: uuid.UUID,
    workspace_id: uuid.UUID,
    post_id: uuid.UUID | None,
    body: str,
    own_texts: dict[str, str | None],
    expected_updated_at: str,
    threads: dict[str, list[str]] | None = None,
    idea_id: uuid.UUID | None = None,
    media: list[dict[str, str]] | None = None,
) -> tuple[str, str]:
    """Create the draft (post_id None) or update it; returns (post id, its new updated_at).

    `own_texts`: every chosen channel id, with its own text or None (it uses the post's text `body`).
    `expected_updated_at` is the version this tab loaded: a different one means another tab or person
    saved in between, and this save is refused rather than silently overwriting their work.
    """
    if len(body) > MAX_COMPOSE_CHARS:
        raise ValidationFailed(too_long_message(len(body)), field="body")
    threads = threads or {}
    targets = [
        posts.TargetInput(uuid.UUID(cid), own, list(threads.get(cid, [])),
                          media=[{"id": m["id"], "alt": m.get("alt", "")} for m in media or []])
        for cid, own in own_texts.items()
    ]
    if post_id is None:
        post = posts.create_post(session, actor, workspace_id, body=body, targets=targets)
        if idea_id is not None:  # the idea card now points at the post it became

            ideas.mark_used(session, workspace_id, idea_id, post.id)
    else:
        current = posts.get_post(session, actor, post_id, "post:edit")
        if expected_updated_at and current.updated_at.isoformat() != expected_updated_at:
            raise Conflict(STALE_MESSAGE, field="form")
        post = posts.update_post(session, actor, post_id, body=body, targets=targets)
    # Target-only edits do not touch the post row: bump its version so other tabs see the change.
    post.updated_at = utcnow()
    session.add(post)
    session.flush()
    return str(post.id), post.updated_at.isoformat()


def review(session: Session, post: Post) -> list[TargetCheck]:
    """The saved post's targets on active channels, each checked as its network will check it at
    publish time (a channel that needs reconnecting is named by the posts service instead)."""
    rows = session.exec(
        select(PostTarget, Channel).join(Channel, col(Channel.id) == PostTarget.channel_id)
        .where(PostTarget.post_id == post.id, Channel.status == "active")
        .order_by(col(PostTarget.created_at))
    ).all()
    choices = [choice(c) for _, c in rows]
    own = {str(t.channel_id): t.body for t, _ in rows if t.body is not None}
    media = next((len(t.options.get("media", [])) for t, _ in rows if t.options.get("media")), 0)
    return check_targets(choices, [str(c.id) for _, c in rows], post.body, own, media)


def schedule(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, post_id: uuid.UUID, *,
             publish_now: bool = False, day: str = "", clock: str = "", timezone: str = "UTC",
             fold: int | None = None) -> tuple[str, str]:
    """Schedule a saved post at `day` `clock` in `timezone` (or publish it now); a contributor's post is
    submitted for approval instead. Returns (the post's status, its new updated_at).

    Refused, naming the channels, while any chosen channel's network objects to its text or images: the
    same checks the connectors run at publish time, asked before anything is put on the calendar."""
    post = posts.get_post(session, actor, post_id)
    if post.workspace_id != workspace_id:
        raise ValidationFailed("this post belongs to another workspace: switch workspace first",
                               field="post_id")
    why = blocked_message(review(session, post))
    if why:
        raise ValidationFailed(why, field="form")
    if publish_now:
        post = posts.publish_now(session, actor, post_id)
    else:
        post = posts.schedule_post(session, actor, post_id, local_time=parse_local(day, clock),
                                   timezone=timezone, fold=fold)
    session.flush()
    session.refresh(post)
    return post.status, post.updated_at.isoformat()


def parse_local(day: str, clock: str) -> datetime:
    """The date and time fields as a naive wall-clock time (its zone is a separate field)."""
    try:
        return datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValidationFailed("choose a date and a time (YYYY-MM-DD and HH:MM)",
                               field="scheduled_at") from None


def next_free_slot(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID,
                   channel_ids: list[str], timezone: str) -> tuple[str, str]:
    """The latest of the chosen channels' next free queue slots, as (date, time) in `timezone`."""
    if not channel_ids:
        raise ValidationFailed("choose at least one channel first", field="targets")
    tz = timeslots.zone(timezone)
    best = queue.next_free_for(session, actor, workspace_id, [uuid.UUID(cid) for cid in channel_ids])
    local = best.astimezone(tz)
    return f"{local:%Y-%m-%d}", f"{local:%H:%M}"


def shorten_links(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, body: str,
                  source: str, medium: str, campaign: str) -> str:
    """Every link in `body` replaced by a Quillcast short link carrying the UTM fields that are filled."""

    utm = {k: v.strip() for k, v in (("utm_source", source), ("utm_medium", medium),
                                      ("utm_campaign", campaign)) if v.strip()}
    if not links.URL_IN_TEXT.search(body):
        raise ValidationFailed("there is no http:// or https:// link in the post text to shorten",
                               field="links")
    return links.shorten_text(session, actor, workspace_id, body, get_settings().url, utm)


def snippet_choices(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID) -> list[dict[str, str]]:

    return [{"id": str(s.id), "name": s.name, "kind": s.kind, "body": s.body}
            for s in snippets.list_for(session, actor, workspace_id)]


def assist_unavailable_reason() -> str:
    """"" when AI assist is configured, else how to enable it."""

    try:
        llm.config()
    except llm.LLMNotConfigured as exc:
        return str(exc)
    return ""


def assist_text(action: str, body: str, topic: str, targets: Sequence[TargetCheck]) -> str:
    """AI assist's answer for the composer: "write" from the topic, "rewrite" the post's text, "shorten"
    it for the strictest chosen network (counted the way that network counts), or add "hashtags"."""

    strict = strictest(targets)
    if action == "write":
        return assist.write(topic)
    if action == "rewrite":
        return assist.rewrite(body)
    if action == "shorten" and strict is not None:
        network = strict.network
        return assist.shorten(body, network, strict.limit, lambda value: count_for(network, value))
    if action == "hashtags":
        tags = assist.hashtags(body)
        return (body.rstrip() + "\n\n" + " ".join(tags)) if tags else body
    return body


def split_thread(body: str, networks: list[tuple[str, dict[str, Any] | None]]) -> tuple[list[str], int, str]:
    """`body` split at sentence boundaries for the strictest chosen network that posts threads:
    (parts, that network's limit, its name). Counted the way that network counts."""

    capable = [(n, s, registry.limits_for(n, s)) for n, s in networks]
    capable = [c for c in capable if c[2].supports_threads]
    if not capable:
        raise ValidationFailed("none of the chosen channels posts threads; choose e.g. a Bluesky channel",
                               field="thread")
    if len(body) > MAX_COMPOSE_CHARS:
        raise ValidationFailed(too_long_message(len(body)), field="body")
    network, _, limits = min(capable, key=lambda c: c[2].max_chars)
    parts = threads.split(body, limits.max_chars, lambda value: count_for(network, value))
    if len(parts) > posts.MAX_THREAD_PARTS + 1:
        raise ValidationFailed(f"this text makes {len(parts)} parts; a thread has at most "
                               f"{posts.MAX_THREAD_PARTS + 1} — shorten it", field="thread")
    usage.record("thread")
    return parts, limits.max_chars, subject(network)


def idea_text(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, idea_id: uuid.UUID) -> str:
    """The starting text of a post made from an idea card: its title, then its notes."""

    permissions.require(session, actor, workspace_id, "post:create")
    idea = ideas.get_idea(session, workspace_id, idea_id)  # the one lookup that checks the workspace
    return "\n\n".join(p for p in (idea.title, idea.notes) if p)


def attach_image(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID, filename: str,
                 data: bytes) -> dict[str, str]:
    """Store an uploaded image (type, size and dimensions checked) and give the composer its card:
    id, file name, alt text and a small thumbnail (data: URL). A refusal names the file and the rule."""
    from app.services.planning import media  # lazily: only a post with media pays for Pillow

    try:
        asset = media.store_upload(session, user_id=actor, workspace_id=workspace_id, filename=filename,
                                   data=data)
    except ValidationFailed as exc:
        raise ValidationFailed(f"{media.safe_filename(filename)}: {exc}", field="media") from exc
    thumb = media.thumbnail(session, user_id=actor, workspace_id=workspace_id, asset_id=asset.id)
    return {"id": str(asset.id), "filename": asset.filename, "alt": asset.alt_text, "thumb": thumb}


def media_cards(session: Session, actor: uuid.UUID, workspace_id: uuid.UUID,
                refs: list[dict[str, str]]) -> list[dict[str, str]]:
    """The composer's cards (with thumbnails) for a saved post's images."""
    from app.services.planning import media

    return [{**r, "thumb": media.thumbnail(session, user_id=actor, workspace_id=workspace_id,
                                           asset_id=uuid.UUID(r["id"]))} for r in refs]
