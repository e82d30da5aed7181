"""Post content rules and guards shared by the posts services: inputs, limits, permissions, and how a
target is made and a change to a post recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from sqlmodel import Session, col, select

from app.connectors import registry
from app.connectors.catalogue import subject
from app.services import audit
from app.services.channels import connector as channel_connector
from app.services.errors import NotFound, PermissionDenied, Problem, ValidationFailed
from app.services.planning import publish_request, statuses
from app.services.tenancy import permissions
from models import Channel, MediaAsset, Post, PostTarget

log = structlog.get_logger("posts")

MAX_BODY_CHARS = 20_000  # far above any network's limit; the connectors' validate() names the real one
MAX_THREAD_PARTS = 25
MAX_TARGETS = 50
MAX_REPEAT_TIMES = 100
MAX_REPEAT_EVERY_DAYS = 365


@dataclass
class TargetInput:
    channel_id: uuid.UUID
    body: str | None = None  # None inherits the post's body
    thread: list[str] = field(default_factory=list)  # follow-up parts, posted as replies
    first_comment: str | None = None
    media: list[dict[str, str]] = field(default_factory=list)  # [{"id": media asset uuid, "alt": text}]


# --- guards and checks ---
def get_post(session: Session, actor: uuid.UUID, post_id: uuid.UUID, permission: str = "post:read") -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("post not found", field="post_id")
    m = permissions.require(session, actor, post.workspace_id, "post:read")
    if permission in ("post:edit", "post:delete"):
        # Authors edit and delete their own posts; editors and above any post.
        mine = post.author_id == actor
        if permission == "post:edit":
            may = statuses.may_change(m.role, mine)
        else:
            may = permissions.can(m.role, "post:delete") or (mine and permissions.can(m.role, "post:create"))
        if not may:
            raise PermissionDenied(f"your role ({m.role}) cannot change other people's posts")
    elif permission != "post:read":
        permissions.require(session, actor, post.workspace_id, permission)
    return post


def targets_of(session: Session, post_id: uuid.UUID) -> list[PostTarget]:
    return list(
        session.exec(
            select(PostTarget).where(PostTarget.post_id == post_id).order_by(col(PostTarget.created_at))
        ).all()
    )


def _clean_text(value: str | None, name: str, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    if "\x00" in value:
        problems.append(
            Problem(name, "the text contains a NUL character; remove it and paste the text again")
        )
        return value.replace("\x00", "")
    if len(value) > MAX_BODY_CHARS:
        problems.append(
            Problem(
                name,
                f"the text has {len(value)} characters; Quillcast keeps at most "
                f"{MAX_BODY_CHARS} per part — shorten it",
            )
        )
    return value


def _raise(problems: list[Problem]) -> None:
    if problems:
        first = problems[0]
        message = first.message if len(problems) == 1 else f"{first.message} (and {len(problems) - 1} more)"
        raise ValidationFailed(message, field=first.field, problems=problems)


def check_inputs(
    session: Session,
    workspace_id: uuid.UUID,
    body: str,
    targets: list[TargetInput],
    repeat_every_days: int | None,
    repeat_times: int | None,
) -> None:
    problems: list[Problem] = []
    _clean_text(body, "body", problems)
    if not targets:
        problems.append(Problem("targets", "choose at least one channel to post to"))
    if len(targets) > MAX_TARGETS:
        problems.append(Problem("targets", f"at most {MAX_TARGETS} channels per post"))
    seen: set[uuid.UUID] = set()
    for i, t in enumerate(targets):
        channel = session.get(Channel, t.channel_id)
        if channel is None or channel.workspace_id != workspace_id:
            problems.append(Problem(f"targets[{i}].channel_id", "this channel is not in this workspace"))
        if t.channel_id in seen:
            problems.append(Problem(f"targets[{i}].channel_id", "this channel is chosen twice; keep one"))
        seen.add(t.channel_id)
        _clean_text(t.body, f"targets[{i}].body", problems)
        _clean_text(t.first_comment, f"targets[{i}].first_comment", problems)
        if len(t.thread) > MAX_THREAD_PARTS:
            problems.append(Problem(f"targets[{i}].thread", f"a thread has at most {MAX_THREAD_PARTS} parts"))
        for j, part in enumerate(t.thread):
            _clean_text(part, f"targets[{i}].thread[{j}]", problems)
            if not part.strip():
                problems.append(
                    Problem(f"targets[{i}].thread[{j}]", "this thread part is empty: write it or remove it")
                )
        if channel is not None and channel.workspace_id == workspace_id:
            _check_media(session, workspace_id, channel, t.media, f"targets[{i}].media", problems)
        text = t.body if t.body is not None else body
        if not text.strip():
            problems.append(
                Problem(
                    f"targets[{i}].body" if t.body is not None else "body",
                    "the post text is empty: write something to publish",
                )
            )
    if (repeat_every_days is None) != (repeat_times is None):
        problems.append(
            Problem("repeat_every_days", "a recurring post needs both every how many days and how many times")
        )
    if repeat_every_days is not None and not 1 <= repeat_every_days <= MAX_REPEAT_EVERY_DAYS:
        problems.append(Problem("repeat_every_days", f"repeat every 1 to {MAX_REPEAT_EVERY_DAYS} days"))
    if repeat_times is not None and not 1 <= repeat_times <= MAX_REPEAT_TIMES:
        problems.append(Problem("repeat_times", f"repeat 1 to {MAX_REPEAT_TIMES} times"))
    _raise(problems)


def _check_media(session: Session, workspace_id: uuid.UUID, channel: Channel, media: list[dict[str, str]],
                 name: str, problems: list[Problem]) -> None:
    """Images exist in this workspace, fit the network's count, and their alt text its length."""
    if not media:
        return
    limits = registry.limits_for(channel.network, dict(channel.settings or {}))
    network = subject(channel.network)
    if len(media) > limits.max_media:
        problems.append(Problem(name, f"{network} allows {limits.max_media} image(s) per post; this post has "
                                      f"{len(media)} — remove {len(media) - limits.max_media}"))
    ids: list[uuid.UUID] = []
    for j, ref in enumerate(media):
        try:
            ids.append(uuid.UUID(str(ref.get("id"))))
        except (ValueError, AttributeError):
            problems.append(Problem(f"{name}[{j}]", "this image is not one of this workspace's uploads"))
            continue
        alt = str(ref.get("alt") or "")
        if limits.supports_alt_text and limits.max_alt_text_chars and len(alt) > limits.max_alt_text_chars:
            problems.append(Problem(f"{name}[{j}].alt", f"{network} allows {limits.max_alt_text_chars:,} "
                                    f"characters of alt text; this has {len(alt):,} — shorten it by "
                                    f"{len(alt) - limits.max_alt_text_chars:,}"))
    if ids:
        found = set(session.exec(select(MediaAsset.id).where(col(MediaAsset.id).in_(ids),
                                                             MediaAsset.workspace_id == workspace_id)).all())
        if any(i not in found for i in ids):
            problems.append(Problem(name, "an attached image is not one of this workspace's uploads; "
                                          "attach it again"))


def target_options(t: TargetInput) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if t.media:
        options["media"] = [{"id": str(m["id"]), "alt": str(m.get("alt") or "")} for m in t.media]
    if t.thread:
        options["thread"] = list(t.thread)
    if t.first_comment:
        options["first_comment"] = t.first_comment
    return options


def new_target(
    session: Session, post: Post, t: TargetInput, status: str = "draft", scheduled_at: datetime | None = None
) -> PostTarget:
    """A target of `post` on one channel, added to the session."""
    target_id = uuid.uuid4()
    # Stable per target: a repeated publish of the same target is refused by networks that support it.
    target = PostTarget(
        id=target_id,
        workspace_id=post.workspace_id,
        post_id=post.id,
        channel_id=t.channel_id,
        body=t.body,
        options=target_options(t),
        status=status,
        scheduled_at=scheduled_at,
        idempotency_key=target_id.hex,
    )
    session.add(target)
    return target


def input_of(t: PostTarget) -> TargetInput:
    """A target as the input that would make it again (its channel, own text, thread, comment, media)."""
    options = t.options
    return TargetInput(t.channel_id, t.body, list(options.get("thread", [])), options.get("first_comment"),
                       list(options.get("media", [])))


def record(
    session: Session, actor: uuid.UUID, action: str, subject: Post | PostTarget, **details: str
) -> None:
    """Record in the audit log what the actor did to a post or one of its targets, in its workspace."""
    audit.record(
        session,
        action,
        actor_id=actor,
        workspace_id=subject.workspace_id,
        subject_type="post" if isinstance(subject, Post) else "post_target",
        subject_id=subject.id,
        **details,
    )


def validate_for_networks(session: Session, post: Post, targets: list[PostTarget]) -> None:
    """Ask each channel's connector (when one is installed) to check the text against its own limits."""
    problems: list[Problem] = []
    for i, target in enumerate(targets):
        channel = session.get(Channel, target.channel_id)
        if channel is None:
            continue
        if channel.status != "active":
            problems.append(
                Problem(
                    f"targets[{i}].channel_id",
                    f"the {channel.network} channel “{channel.name}” "
                    "needs reconnecting before it can publish",
                    "channel_needs_reauth",
                )
            )
            continue
        try:
            connector = channel_connector.connector_for(channel)
        except ImportError:
            continue  # no connector registry yet: the network's answer at publish time will say it
        except Exception as exc:  # noqa: BLE001 - a connector that cannot be built must not block drafts
            log.warning("posts.validate_skipped", network=channel.network, error=type(exc).__name__)
            continue
        for p in connector.validate(publish_request.build_request(post, target)):
            problems.append(Problem(f"targets[{i}].{p.field}", p.message, "over_limit"))
    _raise(problems)
