"""Reading the audit log: a workspace's admins see its entries, newest first, a page at a time, as codes
(the API) or as sentences in local time (the page)."""

from __future__ import annotations

import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.connectors.catalogue import LABELS as NETWORK_LABELS
from app.core import db
from app.services import zones
from app.services.errors import ValidationFailed
from app.services.identity import admins
from app.services.tenancy import permissions
from models import AuditLog, Channel, Invitation, PostTarget, User

PAGE_MAX = 200


def entries(
    session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID, *, limit: int = 50,
    before: datetime | None = None, action: str | None = None,
) -> list[tuple[AuditLog, str | None]]:
    """(entry, actor e-mail) pairs; `before` pages back in time, `action` filters (prefix, e.g. "member.")."""
    permissions.require(session, user_id, workspace_id, "audit:read")
    if not 1 <= limit <= PAGE_MAX:
        raise ValidationFailed(f"limit: ask for 1 to {PAGE_MAX} entries", field="limit")
    query = (
        select(AuditLog, User.email).outerjoin(User, col(User.id) == col(AuditLog.actor_id))
        .where(AuditLog.workspace_id == workspace_id)
    )
    if before is not None:
        if before.tzinfo is None:
            raise ValidationFailed("before: give a time zone (e.g. 2026-11-26T12:00:00Z)", field="before")
        query = query.where(col(AuditLog.created_at) < before)
    if action:
        query = query.where(col(AuditLog.action).startswith(action[:64], autoescape=True))
    rows = session.exec(query.order_by(col(AuditLog.created_at).desc()).limit(limit)).all()
    return [(entry, email) for entry, email in rows]


def instance_entries(
    session: Session, user_id: uuid.UUID, *, limit: int = 50, before: datetime | None = None,
    action: str | None = None,
) -> list[tuple[AuditLog, str | None]]:
    """Every workspace's entries and the instance's own (sign-ins, admin grants): instance admins only."""
    admins.require_instance_admin(session, user_id)
    if not 1 <= limit <= PAGE_MAX:
        raise ValidationFailed(f"limit: ask for 1 to {PAGE_MAX} entries", field="limit")
    query = select(AuditLog, User.email).outerjoin(User, col(User.id) == col(AuditLog.actor_id))
    if before is not None:
        if before.tzinfo is None:
            raise ValidationFailed("before: give a time zone (e.g. 2026-11-26T12:00:00Z)", field="before")
        query = query.where(col(AuditLog.created_at) < before)
    if action:
        query = query.where(col(AuditLog.action).startswith(action[:64], autoescape=True))
    with db.as_service(session):  # beyond the admin's own workspaces, by design of the role
        rows = session.exec(query.order_by(col(AuditLog.created_at).desc()).limit(limit)).all()
    return [(entry, email) for entry, email in rows]


# --- the log as sentences -----------------------------------------------------------------------------------
# One sentence per action kind. Placeholders: actor, post ("a post for Main Sky"), due (", to go out <time>"),
# channel, network, member, invitee, and the entry's own details (old, new, role, prefix, host, count, ...).
# An action without one (a new one, or one of the instance's own) reads as "<actor>: <action in words>".
SENTENCES: dict[str, str] = {
    "post.scheduled": "{actor} scheduled {post}{due}",
    "post.submitted": "{actor} sent {post} for approval{due}",
    "post.queued_in_slots": "{actor} queued {post} in its time slots",
    "post.published_now": "{actor} published {post} now",
    "post.cancelled": "{actor} cancelled {post}",
    "post.deleted": "{actor} deleted {post}",
    "post.approved": "{actor} approved {post}",
    "post.changes_requested": "{actor} asked for changes to {post}",
    "target.retried": "{actor} retried {post}",
    "target.publish_anyway": "{actor} chose to publish {post} again",
    "target.mark_posted": "{actor} marked {post} as posted",
    "channel.connected": "{actor} connected the {network} channel {channel}",
    "channel.reconnected": "{actor} re-connected the {network} channel {channel}",
    "channel.disconnected": "{actor} disconnected the {network} channel {channel}",
    "channel.needs_reauth": "{network} refused the credentials of {channel}: it needs re-connecting",
    "media.uploaded": "{actor} uploaded an image",
    "workspace.created": "{actor} created the workspace",
    "workspace.renamed": "{actor} renamed the workspace from “{old}” to “{new}”",
    "workspace.timezone_changed": "{actor} changed the workspace's time zone from {old} to {new}",
    "workspace.deleted": "{actor} deleted the workspace “{name}”",
    "workspace.2fa_policy_changed": "{actor} {required} two-factor authentication for every member",
    "member.role_changed": "{actor} made {member} {new} (was {old})",
    "member.removed": "{actor} removed {member} ({role}) from the workspace",
    "invitation.sent": "{actor} invited {invitee} as {role}",
    "invitation.revoked": "{actor} withdrew the invitation of {invitee}",
    "invitation.accepted": "{actor} joined the workspace as {role}",
    "api_key.created": "{actor} created the API key {prefix}…",
    "api_key.revoked": "{actor} revoked the API key {prefix}…",
    "webhook.created": "{actor} added a webhook to {host}",
    "webhook.updated": "{actor} changed the webhook to {host}",
    "webhook.deleted": "{actor} deleted the webhook to {host}",
    "webhook.secret_rotated": "{actor} made a new signing secret for the webhook to {host}",
    "auth.sign_in": "{actor} signed in",
    "auth.sign_out": "{actor} signed out",
    "auth.two_factor_enabled": "{actor} turned on two-factor authentication",
    "auth.two_factor_disabled": "{actor} turned off two-factor authentication",
    "auth.password_changed": "{actor} changed their password",
    "admin.granted": "{member} became an instance administrator",
}
SYSTEM = "Quillcast"  # the actor of what no person did (a network refusing credentials, a task)


@dataclass(frozen=True)
class Line:
    sentence: str
    when: str  # local time, e.g. "3 Dec 2026, 14:05"
    action: str  # the code, for filters and the API
    cursor: str  # created_at (ISO), to page back from


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "…"


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M}"


def sentence(action: str, values: dict[str, str]) -> str:
    filled = _Fill({**values, "actor": values.get("actor") or SYSTEM})
    template = SENTENCES.get(action)
    if template is None:
        words = action.replace(".", " ").replace("_", " ").strip()
        return f"{filled['actor']}: {words}"
    return template.format_map(filled)


def _names(people: list[str | None]) -> str:
    shown = sorted({p for p in people if p})
    if len(shown) <= 1:
        return shown[0] if shown else ""
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _subjects(session: Session, entries: list[AuditLog]) -> dict[tuple[str, str], str]:
    """What each entry's subject is called today, read in one query per kind: a post by its channels'
    names, a channel by its name, a person by their name, an invitation by its address. Gone ones are
    missing (the sentence then says "a post", or uses what the entry itself kept)."""
    ids: dict[str, set[uuid.UUID]] = {}
    for e in entries:
        if e.subject_type and e.subject_id:
            try:
                ids.setdefault(e.subject_type, set()).add(uuid.UUID(e.subject_id))
            except ValueError:
                continue
    out: dict[tuple[str, str], str] = {}
    if ids.get("post"):
        rows = session.exec(select(PostTarget.post_id, Channel.name)
                            .join(Channel, col(Channel.id) == col(PostTarget.channel_id))
                            .where(col(PostTarget.post_id).in_(ids["post"]))).all()
        by_post: dict[str, list[str | None]] = {}
        for post_id, name in rows:
            by_post.setdefault(str(post_id), []).append(name)
        out.update({("post", k): _names(v) for k, v in by_post.items()})
    if ids.get("post_target"):
        for target_id, name in session.exec(select(PostTarget.id, Channel.name)
                                            .join(Channel, col(Channel.id) == col(PostTarget.channel_id))
                                            .where(col(PostTarget.id).in_(ids["post_target"]))).all():
            out[("post_target", str(target_id))] = name
    if ids.get("channel"):
        for channel_id, name in session.exec(select(Channel.id, Channel.name)
                                             .where(col(Channel.id).in_(ids["channel"]))).all():
            out[("channel", str(channel_id))] = name
    if ids.get("user"):
        for user_id, name, address in session.exec(select(User.id, User.display_name, User.email)
                                                   .where(col(User.id).in_(ids["user"]))).all():
            out[("user", str(user_id))] = name or address
    if ids.get("invitation"):
        for inv_id, address in session.exec(select(Invitation.id, Invitation.email)
                                            .where(col(Invitation.id).in_(ids["invitation"]))).all():
            out[("invitation", str(inv_id))] = address
    return out


def _values(entry: AuditLog, actor: str | None, subjects: dict[tuple[str, str], str],
            zone: ZoneInfo) -> dict[str, str]:
    details = entry.details or {}
    values = {k: str(v) for k, v in details.items() if isinstance(v, str | int | float)}
    values["actor"] = actor or SYSTEM
    name = subjects.get((entry.subject_type or "", entry.subject_id or ""), "")
    values["post"] = f"a post for {name}" if name else "a post"
    values["channel"] = f"“{name}”" if name else "(gone)"
    values["member"] = values["invitee"] = name or "someone"
    network = str(details.get("network", ""))
    values["network"] = NETWORK_LABELS.get(network, network or "the")
    if "required" in details:
        values["required"] = "required" if details["required"] else "stopped requiring"
    values["due"] = ""
    if isinstance(details.get("scheduled_at"), str):
        with suppress(ValueError):
            values["due"] = ", to go out " + local_time(datetime.fromisoformat(details["scheduled_at"]), zone)
    return values


def readable(
    session: Session, user_id: uuid.UUID, workspace_id: uuid.UUID, *, zone_name: str, limit: int = 50,
    before: datetime | None = None,
) -> list[Line]:
    """The workspace's entries as sentences with their time in `zone_name` (audit:read, like `entries`)."""
    zone = zones.zone(zone_name, field="zone")
    rows = entries(session, user_id, workspace_id, limit=limit, before=before)
    actors = {e.actor_id for e, _ in rows if e.actor_id}
    names = {uid: name for uid, name in session.exec(
        select(User.id, User.display_name).where(col(User.id).in_(actors))).all()} if actors else {}
    subjects = _subjects(session, [e for e, _ in rows])
    lines = []
    for entry, address in rows:
        actor = (names.get(entry.actor_id) if entry.actor_id else None) or address
        lines.append(Line(sentence=sentence(entry.action, _values(entry, actor, subjects, zone)),
                          when=local_time(entry.created_at, zone), action=entry.action,
                          cursor=entry.created_at.isoformat()))
    return lines
