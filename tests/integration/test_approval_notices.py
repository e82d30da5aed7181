"""Approval e-mails through a real SMTP server (aiosmtpd) and a real Celery worker: reviewers hear of a
submitted post, the author of the decision; nobody else, and never the person who acted.

Every action runs under the acting user's claims (Row Level Security on), as the composer runs it.
Addresses are random: other tests share the database and the outbox.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from app.core.db import session_scope, user_claims
from app.services.delivery import publishing
from app.services.planning import posts
from models import Channel, EmailOutbox, Membership, User, Workspace
from models.base import utcnow
from tests import sink as sink_module
from tests.factories import make_channel, make_workspace
from tests.mail_support import html_part, text_part

TZ = "Europe/Paris"
BODY = "Spring sale starts Monday: twenty percent off every notebook in the shop, online and in town"


@pytest.fixture(autouse=True)
def _sink_connectors():
    # Scheduling checks the text against the network's limits; the sink's connector does that locally.
    publishing.set_connector_resolver(sink_module.connector_for)
    yield
    publishing.set_connector_resolver(None)


@dataclass
class Team:
    workspace: Workspace
    channel: Channel
    people: dict[str, User]


def _person(session: Session, ws: Workspace, role: str, name: str, *, verified: bool = True) -> User:
    user = User(email=f"approval-{role}-{secrets.token_hex(5)}@example.test", display_name=name,
                email_verified_at=utcnow() if verified else None)
    session.add(user)
    session.commit()
    session.add(Membership(workspace_id=ws.id, user_id=user.id, role=role))
    session.commit()
    return user


@pytest.fixture()
def team(session, mail_worker) -> Team:
    ws = make_workspace(session, name=f"Paper Shop {secrets.token_hex(2)}", timezone=TZ)
    people = {
        "owner": _person(session, ws, "owner", "Olga Owner"),
        "admin": _person(session, ws, "admin", "Adam Admin"),
        "editor": _person(session, ws, "editor", "Edith Editor"),
        "contributor": _person(session, ws, "contributor", "Conrad Contributor"),
        "viewer": _person(session, ws, "viewer", "Vera Viewer"),
        "unverified_editor": _person(session, ws, "editor", "Una Unverified", verified=False),
        "removed_editor": _person(session, ws, "editor", "Rémi Removed"),
    }
    # Removed from the workspace (the membership row is what removal deletes).
    session.delete(session.exec(select(Membership).where(
        Membership.user_id == people["removed_editor"].id)).one())
    session.commit()
    ch = make_channel(session, ws, "bluesky", name="Paper Shop news",
                      settings={"endpoint": "http://127.0.0.1:9", "max_chars": 300})
    return Team(ws, ch, people)


def _as(user: User):
    return session_scope(user_claims(user.id))


def _submit(team: Team, local: datetime | None) -> str:
    """The contributor writes a post and submits it for `local` (workspace time), or to publish now."""
    author = team.people["contributor"]
    with _as(author) as s:
        post = posts.create_post(s, author.id, team.workspace.id, body=BODY,
                                 targets=[posts.TargetInput(team.channel.id)])
    with _as(author) as s:
        if local is None:
            posts.publish_now(s, author.id, post.id)
        else:
            posts.schedule_post(s, author.id, post.id, local_time=local, timezone=TZ)
    return str(post.id)


def _in_a_month() -> datetime:
    day = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=30)
    return datetime(day.year, day.month, day.day, 9, 30)


def _outbox_to(session: Session, *users: User) -> list[EmailOutbox]:
    session.expire_all()
    return list(session.exec(select(EmailOutbox).where(col(EmailOutbox.to_address).in_([u.email for u in users]))))


def test_a_submitted_post_mails_every_reviewer_but_not_its_author_or_viewers(team, smtp, session):
    sink, _ = smtp
    local = _in_a_month()
    post_id = _submit(team, local)
    p = team.people
    for role in ("owner", "admin", "editor"):
        msg = sink.wait_for(p[role].email, "asks you to approve")
        assert msg["Subject"] == f"Conrad Contributor asks you to approve a post in {team.workspace.name}"
        text, html = text_part(msg), html_part(msg)
        assert text.startswith(f"Hello {p[role].display_name},")
        for part in (text, html):
            assert "Spring sale starts Monday: twenty percent off every notebook in the shop, online…" in part
            assert "Paper Shop news" in part and "Bluesky" in part
            assert local.strftime("%a %d %b %Y, 09:30") in part and TZ in part
            assert f"/compose?post_id={post_id}" in part  # the composer, where Approve is
    # The outbox is written in the same commit as the submission: what is not there was never sent.
    left_out = _outbox_to(session, p["contributor"], p["viewer"], p["unverified_editor"], p["removed_editor"])
    assert left_out == []


def test_a_publish_now_submission_says_it_goes_out_once_approved(team, smtp):
    sink, _ = smtp
    _submit(team, None)
    text = text_part(sink.wait_for(team.people["editor"].email, "asks you to approve"))
    assert "Paper Shop news (Bluesky): as soon as it is approved" in text


def test_approving_mails_the_author_who_approved_it_and_when_it_goes_out(team, smtp, session):
    sink, _ = smtp
    local = _in_a_month()
    post_id = _submit(team, local)
    editor, author = team.people["editor"], team.people["contributor"]
    with _as(editor) as s:
        posts.approve(s, editor.id, uuid.UUID(post_id))
    msg = sink.wait_for(author.email, "approved your post")
    assert msg["Subject"] == f"Edith Editor approved your post in {team.workspace.name}"
    text = text_part(msg)
    assert "was approved by Edith Editor" in text
    assert f"Paper Shop news (Bluesky): {local.strftime('%a %d %b %Y, 09:30')}" in text
    assert f"/posts/{post_id}" in text and f"/posts/{post_id}" in html_part(msg)
    # The reviewer is not told about their own approval (only the submission reached them).
    subjects = [m.subject for m in _outbox_to(session, editor)]
    assert subjects == [f"Conrad Contributor asks you to approve a post in {team.workspace.name}"]


def test_requesting_changes_mails_the_comment_as_text_with_a_link_to_edit(team, smtp, session):
    sink, _ = smtp
    post_id = _submit(team, _in_a_month())
    owner, author = team.people["owner"], team.people["contributor"]
    comment = "Name the date <script>alert('x')</script> & add the shop's link.\nThanks!"
    with _as(owner) as s:
        posts.request_changes(s, owner.id, uuid.UUID(post_id), comment)
    msg = sink.wait_for(author.email, "asked for changes")
    assert msg["Subject"] == f"Olga Owner asked for changes to your post in {team.workspace.name}"
    text, html = text_part(msg), html_part(msg)
    assert comment in text
    assert "<script>" not in html
    assert "Name the date &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; add the shop&#39;s link." in html
    assert f"/compose?post_id={post_id}" in text and f"/compose?post_id={post_id}" in html
    assert [m.template for m in _outbox_to(session, owner)] == ["approval_requested"]


def test_an_author_who_left_the_workspace_gets_no_decision_mail(team, smtp, session):
    sink, _ = smtp
    post_id = _submit(team, _in_a_month())
    editor, author = team.people["editor"], team.people["contributor"]
    sink.wait_for(editor.email, "asks you to approve")
    session.delete(session.exec(select(Membership).where(Membership.user_id == author.id)).one())
    session.commit()
    with _as(editor) as s:
        posts.approve(s, editor.id, uuid.UUID(post_id))
    assert _outbox_to(session, author) == []  # written in the approval's commit, or never
