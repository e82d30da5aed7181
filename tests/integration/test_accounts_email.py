"""E-mail through a real SMTP server (aiosmtpd) and a real Celery worker of this module's own, whose
settings point at it (tests/mail_support.py says how other workers are kept off the email queue)."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.config import get_settings
from app.services.messaging import email as email_service
from models import EmailOutbox
from tests import support
from tests.accounts_support import PASSWORD, ip, new_email
from tests.mail_support import text_part


def _outbox_row(session: Session, mail_id) -> EmailOutbox:
    session.expire_all()
    row = session.get(EmailOutbox, mail_id)
    assert row is not None
    return row


def test_sign_up_mail_arrives_over_smtp_and_its_link_verifies_the_account(mail_worker, smtp, session):
    sink, _ = smtp
    from app.api.main import create_api

    address = new_email()
    with TestClient(create_api(), client=(ip(), 50000)) as client:
        r = client.post("/api/auth/signup", json={"email": address, "password": PASSWORD,
                                                  "display_name": "Zoë <b>Ünïcode</b>"})
        assert r.status_code == 202
        msg = sink.wait_for(address, "Confirm your e-mail address")
        assert msg["From"] and "Quillcast" in msg["From"]
        html = msg.get_body(preferencelist=("html",)).get_content()
        assert "Zoë &lt;b&gt;Ünïcode&lt;/b&gt;" in html  # the name is text, not markup
        link = re.search(r"https?://\S+/verify\?token=\S+", text_part(msg))
        assert link, text_part(msg)
        token = link.group(0).split("token=", 1)[1]
        assert client.post("/api/auth/verify", json={"token": token}).status_code == 200
        assert client.post("/api/auth/verify", json={"token": token}).status_code == 422  # single-use
        signin = client.post("/api/auth/signin", json={"email": address, "password": PASSWORD})
        assert signin.status_code == 200 and signin.json()["access_token"]


def test_outbox_row_is_marked_sent_once_even_if_delivered_twice(mail_worker, smtp, session):
    sink, _ = smtp
    address = new_email()
    mail = email_service.send_template(session, address, "post_failed", {
        "name": "Ada", "channel": "Bluesky @ada", "network": "Bluesky", "reason": "Record too long",
        "link": "",
    }, recipient=uuid.uuid4())  # a notice names its recipient (its unsubscribe link is theirs)
    session.commit()
    sink.wait_for(address, "could not be published")
    deadline = time.monotonic() + 10
    while _outbox_row(session, mail.id).status != "sent" and time.monotonic() < deadline:
        time.sleep(0.1)
    row = _outbox_row(session, mail.id)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert email_service.deliver(session, mail.id) == "sent"  # a redelivered task sends nothing
    time.sleep(0.5)
    assert len(sink.to(address)) == 1


def test_an_unreachable_smtp_server_is_retried_then_marked_failed(app_env, session, monkeypatch):
    """Straight through the service (no worker): each attempt is counted and the reason kept."""
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(support.free_port()))  # nothing listens there
    monkeypatch.setenv("SMTP_STARTTLS", "false")
    get_settings.cache_clear()
    try:
        # The row is written directly (no task enqueued): this test drives delivery itself.
        subject, text, html = email_service.render(
            "new_sign_in", {"to": "x", "name": "Ada", "when": "now", "device": "Firefox", "ip": None})
        mail = EmailOutbox(to_address=new_email(), template="new_sign_in", subject=subject, text_body=text,
                           html_body=html)
        session.add(mail)
        session.commit()
        for attempt in range(1, email_service.MAX_ATTEMPTS):
            with pytest.raises(email_service.DeliveryFailed):
                email_service.deliver(session, mail.id)
            row = _outbox_row(session, mail.id)
            assert (row.status, row.attempts) == ("queued", attempt)
            assert row.last_error and "Connection refused" in row.last_error
        assert email_service.deliver(session, mail.id) == "failed"
        assert _outbox_row(session, mail.id).attempts == email_service.MAX_ATTEMPTS
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_without_smtp_the_mail_is_held_in_the_outbox(app_env, session, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    get_settings.cache_clear()
    try:
        mail = email_service.send_template(session, new_email(), "invitation", {
            "inviter": "Ada", "workspace": "Acme", "role": "editor", "link": "http://x/invite?token=abc",
            "expires": None,
        })
        session.commit()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    row = _outbox_row(session, mail.id)
    assert row.status == "held" and "invited you to Acme" in row.subject
    assert "http://x/invite?token=abc" in row.text_body
    assert row in email_service.list_outbox(session, status="held")


def test_unknown_templates_and_header_injection_are_refused(app_env, session):
    from app.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="template: unknown"):
        email_service.send_template(session, new_email(), "nope", {})
    with pytest.raises(ValidationFailed, match="to: "):
        email_service.send_template(session, "a@b.test\nBcc: all@b.test", "reset",
                                    {"name": "x", "link": "l", "minutes": 30})
    subject, _text, _html = email_service.render("invitation", {
        "to": "a@b.test", "inviter": "Eve\r\nBcc: all@b.test", "workspace": "W", "role": "viewer",
        "link": "l", "expires": None,
    })
    assert "\n" not in subject and "\r" not in subject


def test_only_instance_administrators_read_the_outbox(app_env, session):
    from app.services.errors import PermissionDenied
    from tests.factories import make_user

    admin, member = make_user(session, is_admin=True), make_user(session)
    address = new_email()
    email_service.send_template(session, address, "reset", {"name": "x", "link": "http://x/reset?token=t",
                                                            "minutes": 30})
    session.commit()
    assert any(m.to_address == address for m in email_service.outbox_for_admin(session, admin.id))
    with pytest.raises(PermissionDenied):
        email_service.outbox_for_admin(session, member.id)
