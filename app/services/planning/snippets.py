"""Saved hashtag groups and snippets a writer inserts in the composer."""

from __future__ import annotations

import uuid

import regex
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.tenancy import permissions
from models import SNIPPET_KINDS, Snippet

HASHTAG = regex.compile(r"^#[\p{L}\p{N}_]+$")
MAX_NAME = 80
MAX_BODY = 5000


def save(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, kind: str, name: str,
         body: str) -> Snippet:
    permissions.require(session, actor_id, workspace_id, "post:create")
    if kind not in SNIPPET_KINDS:
        raise ValidationFailed(f"kind: choose one of {', '.join(SNIPPET_KINDS)}", field="kind")
    name, body = " ".join(name.split()), body.strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed(f"name: give it a name of 1 to {MAX_NAME} characters", field="name")
    if not body or len(body) > MAX_BODY:
        raise ValidationFailed(f"text: enter 1 to {MAX_BODY} characters", field="body")
    if kind == "hashtags":
        tags = body.split()
        bad = [t for t in tags if not HASHTAG.match(t)]
        if bad:
            raise ValidationFailed(
                f"hashtags: {bad[0][:40]!r} is not a hashtag; write tags like #launch, separated by spaces",
                field="body")
        body = " ".join(dict.fromkeys(tags))  # drop repeats, keep order
    snippet = Snippet(workspace_id=workspace_id, kind=kind, name=name, body=body)
    session.add(snippet)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"name: a {kind} entry called {name!r} exists already; pick another name",
                       field="name") from exc
    return snippet


def list_for(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID,
             kind: str | None = None) -> list[Snippet]:
    permissions.require(session, actor_id, workspace_id, "post:read")
    query = select(Snippet).where(Snippet.workspace_id == workspace_id).order_by(Snippet.kind, Snippet.name)
    if kind:
        query = query.where(Snippet.kind == kind)
    return list(session.exec(query).all())


def delete(session: Session, actor_id: uuid.UUID, workspace_id: uuid.UUID, snippet_id: uuid.UUID) -> None:
    permissions.require(session, actor_id, workspace_id, "post:create")
    snippet = session.get(Snippet, snippet_id)
    if snippet is None or snippet.workspace_id != workspace_id:
        raise NotFound("this snippet does not exist (any more)", field="snippet_id")
    session.delete(snippet)
