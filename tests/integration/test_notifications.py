"""Notice e-mail preferences and one-click unsubscribe, through a real SMTP server (aiosmtpd), a real
Celery worker and the real API: what a mail client sees in the headers, what a person sees in the mail,
and who gets mail after opting out.

Actions run under the acting user's claims (Row Level Security on), as the composer runs them.
Addresses are random: other tests share the database and the outbox.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from sqlmodel import Session, col, select

from app.api.main import create_api
from app.core.config import get_settings
from app.core.db import session_scope, user_claims
from app.services.delivery import publishing
from app.services.errors import ValidationFailed
from app.services.identity import accounts
from app.services.messaging import notifications
from app.services.planning import posts
from models import Channel, EmailOutbox, Membership, User, Workspace
from models.base import utcnow
from tests import sink as sink_module
from tests.engine_support import queued_target, sink_channel
from tests.factories import make_channel, make_workspace
from tests.mail_support import html_part, text_part
from tests.sink import Sink as NetworkSink

TZ = "Europe/Paris"
ONE_CLICK_BODY = {"List-Unsubscribe": "One-Click"}  # what RFC 8058 clients POST


@pytest.fixture(scope="module")
def network() -> Iterator[NetworkSink]:
    s = NetworkSink().start()
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def _sink_connectors(network):
    publishing.set_connector_resolver(sink_module.connector_for)
    network.state.reset()
    yield
    publishing.set_connector_resolver(None)


@pytest.fixture()
def api(mail_worker) -> Iterator[TestClient]:
    with TestClient(create_api(), follow_redirects=False) as client:
        yield client


def _person(session: Session, ws: Workspace, role: str, name: str) -> User:
    user = User(email=f"notify-{role}-{secrets.token_hex(5)}@example.test", display_name=name,
                email_verified_at=utcnow())
    session.add(user)
    session.commit()
    session.add(Membership(workspace_id=ws.id, user_id=user.id, role=role))
    session.commit()
    return user


@pytest.fixture()
def team(session, mail_worker) -> tuple[Workspace, Channel, dict[str, User]]:
    ws = make_workspace(session, name=f"Print Shop {secrets.token_hex(2)}", timezone=TZ)
    people = {role: _person(session, ws, role, f"{role.capitalize()} Person")
              for role in ("owner", "admin", "editor", "contributor")}
    ch = make_channel(session, ws, "bluesky", name="Print Shop news",
                      settings={"endpoint": "http://127.0.0.1:9", "max_chars": 300})
    return ws, ch, people


def _submit(ws: Workspace, ch: Channel, author: User) -> uuid.UUID:
    day = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=30)
    with session_scope(user_claims(author.id)) as s:
        post = posts.create_post(s, author.id, ws.id, body="Posters half price this week",
                                 targets=[posts.TargetInput(ch.id)])
    with session_scope(user_claims(author.id)) as s:
        posts.schedule_post(s, author.id, post.id, local_time=datetime(day.year, day.month, day.day, 9, 0),
                            timezone=TZ)
    return post.id


def _outbox_to(session: Session, user: User) -> list[EmailOutbox]:
    session.expire_all()
    return list(session.exec(select(EmailOutbox).where(col(EmailOutbox.to_address) == user.email)))


def _prefs(session: Session, user: User) -> dict[str, bool]:
    session.expire_all()
    return notifications.preferences(session, user.id)


def _one_click_path(msg) -> str:
    """The List-Unsubscribe URL as a path for the test client (the host is the configured app URL)."""
    [url] = re.findall(r"<([^>]+)>", msg["List-Unsubscribe"])
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == get_settings().url.rstrip("/")
    return f"{parts.path}?{parts.query}"


def test_notice_mails_carry_one_click_unsubscribe_and_a_footer_link(team, smtp):
    sink, _ = smtp
    ws, ch, p = team
    _submit(ws, ch, p["contributor"])
    msg = sink.wait_for(p["editor"].email, "asks you to approve")
    path = _one_click_path(msg)
    assert path.startswith("/api/unsubscribe?token=")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = parse_qs(urlsplit(path).query)["token"][0]
    assert notifications.read_token(token) == (p["editor"].id, "approval_requested")
    page = f"{get_settings().url.rstrip('/')}/unsubscribe?token={token}"
    text, html = text_part(msg), html_part(msg)
    assert f"Stop these e-mails: {page}" in text
    assert '"A post waits for my approval" is on in your account\'s notifications' in text
    assert f'<a href="{page}"' in html and "Stop these e-mails</a>" in html


def test_security_mails_have_no_unsubscribe_header_or_link(team, smtp, session):
    sink, _ = smtp
    user = team[2]["editor"]
    accounts.request_password_reset(session, email_address=user.email)
    session.commit()  # this test is the door: the mail is sent once its unit commits
    msg = sink.wait_for(user.email, "password")
    assert msg["List-Unsubscribe"] is None and msg["List-Unsubscribe-Post"] is None
    assert "Stop these e-mails" not in text_part(msg) and "Stop these e-mails" not in html_part(msg)
    assert "/unsubscribe" not in text_part(msg)


def test_a_reviewer_who_turned_off_approval_requests_gets_none_but_the_others_do(team, smtp, session):
    sink, _ = smtp
    ws, ch, p = team
    with session_scope(user_claims(p["editor"].id)) as s:
        notifications.set_preference(s, p["editor"].id, "approval_requested", False)
    _submit(ws, ch, p["contributor"])
    for role in ("owner", "admin"):
        sink.wait_for(p[role].email, "asks you to approve")
    # The outbox rows are written in the submission's commit: the editor's would be there by now.
    assert _outbox_to(session, p["editor"]) == []
    assert _prefs(session, p["editor"]) == {"post_failed": True, "approval_requested": False,
                                           "approval_result": True}


def test_the_one_click_post_turns_the_notice_off_and_is_idempotent(team, smtp, session, api):
    sink, _ = smtp
    ws, ch, p = team
    _submit(ws, ch, p["contributor"])
    path = _one_click_path(sink.wait_for(p["admin"].email, "asks you to approve"))
    for _ in range(2):  # a mail client may POST twice: the second answers the same
        answer = api.post(path, data=ONE_CLICK_BODY)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"kind": "approval_requested", "label": "A post waits for my approval",
                                 "enabled": False}
    assert _prefs(session, p["admin"])["approval_requested"] is False
    assert _prefs(session, p["owner"])["approval_requested"] is True  # one person's link, one person
    # The next submission reaches the owner and the editor, not the admin (the outbox rows are written
    # in the submission's commit).
    _submit(ws, ch, p["contributor"])
    for role, mails in (("owner", 2), ("editor", 2), ("admin", 1)):
        assert [m.template for m in _outbox_to(session, p[role])] == ["approval_requested"] * mails, role


def test_a_get_of_the_one_click_url_changes_nothing_and_leads_to_the_page(team, smtp, session, api):
    sink, _ = smtp
    ws, ch, p = team
    _submit(ws, ch, p["contributor"])
    path = _one_click_path(sink.wait_for(p["owner"].email, "asks you to approve"))
    answer = api.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == get_settings().url.rstrip("/") + path.removeprefix("/api")
    assert _prefs(session, p["owner"])["approval_requested"] is True


def test_an_author_who_turned_off_approval_results_hears_nothing_of_the_decision(team, smtp, session):
    sink, _ = smtp
    ws, ch, p = team
    author, editor = p["contributor"], p["editor"]
    with session_scope(user_claims(author.id)) as s:
        notifications.set_preference(s, author.id, "approval_result", False)
    post_id = _submit(ws, ch, author)
    sink.wait_for(editor.email, "asks you to approve")
    with session_scope(user_claims(editor.id)) as s:
        posts.approve(s, editor.id, post_id)
    assert _outbox_to(session, author) == []


def test_post_failed_mails_carry_the_header_and_stop_when_turned_off(smtp, session, network):
    sink, _ = smtp
    user, _ws, ch, _token = sink_channel(session, network)
    first = queued_target(session, ch, author=user)
    network.state.script(first.idempotency_key, (422, {"error": "Too long"}, {}))
    assert publishing.publish_target(first.id) == "failed"
    msg = sink.wait_for(user.email, "could not be published")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert _one_click_path(msg).startswith("/api/unsubscribe?token=")

    with session_scope(user_claims(user.id)) as s:
        notifications.set_preference(s, user.id, "post_failed", False)
    second = queued_target(session, ch, author=user)
    network.state.script(second.idempotency_key, (422, {"error": "Too long"}, {}))
    assert publishing.publish_target(second.id) == "failed"
    assert len(_outbox_to(session, user)) == 1


def _tampered(token: str) -> str:
    payload, sig = token.rsplit(".", 1)
    return f"{payload}.{sig[:-2]}{'AA' if not sig.endswith('AA') else 'BB'}"


def test_a_tampered_or_foreign_token_is_refused_with_a_clear_message(team, session, api):
    editor, owner = team[2]["editor"], team[2]["owner"]
    good = notifications.unsubscribe_token(editor.id, "approval_requested")
    # Someone's link, with the user id swapped for another person's (the signature no longer fits).
    payload = URLSafeSerializer("x").dump_payload([owner.id.hex, "approval_requested"]).decode()
    swapped = f"{payload}.{good.rsplit('.', 1)[1]}"
    foreign_instance = URLSafeSerializer("another-instance-secret-key-0123456789",
                                         salt="quillcast.unsubscribe.v1").dumps([editor.id.hex, "post_failed"])
    other_purpose = URLSafeSerializer(get_settings().secret_key, salt="something.else").dumps(
        [editor.id.hex, "post_failed"])
    for bad in (_tampered(good), swapped, foreign_instance, other_purpose, "not-a-token", good[:20]):
        answer = api.post(f"/api/unsubscribe?token={bad}", data=ONE_CLICK_BODY)
        assert answer.status_code == 422, bad
        message = answer.json()["message"]
        assert message.startswith("token: this unsubscribe link is not valid"), message
        assert "Account page" in message
    assert api.post("/api/unsubscribe", data=ONE_CLICK_BODY).status_code == 422  # no token at all
    assert _prefs(session, editor)["approval_requested"] is True
    assert _prefs(session, owner)["approval_requested"] is True


def test_a_well_signed_token_of_no_account_is_refused(app_env, api):
    stranger = notifications.unsubscribe_token(uuid.uuid4(), "post_failed")
    answer = api.post(f"/api/unsubscribe?token={stranger}", data=ONE_CLICK_BODY)
    assert answer.status_code == 422
    assert answer.json()["message"].startswith("token: this unsubscribe link belongs to no account here")


def test_an_unknown_kind_is_refused_naming_the_field(team, session):
    editor = team[2]["editor"]
    with pytest.raises(ValidationFailed, match=r"kind: unknown notification 'weekly_digest'; choose one of"):
        notifications.set_preference(session, editor.id, "weekly_digest", False)


def test_the_api_lists_and_sets_the_signed_in_accounts_notifications(team, session, api):
    from tests.accounts_support import access_token_for

    editor, owner = team[2]["editor"], team[2]["owner"]
    headers = {"Authorization": f"Bearer {access_token_for(editor.id)}"}
    listed = api.get("/api/auth/me/notifications", headers=headers)
    assert listed.status_code == 200
    assert [(n["kind"], n["enabled"]) for n in listed.json()] == [
        ("post_failed", True), ("approval_requested", True), ("approval_result", True)]
    changed = api.put("/api/auth/me/notifications/post_failed", json={"enabled": False}, headers=headers)
    assert changed.status_code == 200
    assert {n["kind"]: n["enabled"] for n in changed.json()}["post_failed"] is False
    assert _prefs(session, editor)["post_failed"] is False and _prefs(session, owner)["post_failed"] is True
    unknown = api.put("/api/auth/me/notifications/weekly_digest", json={"enabled": False}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["message"].startswith("kind: unknown notification")
    assert api.get("/api/auth/me/notifications").status_code == 401
