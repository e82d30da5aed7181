"""The e-mail service: render a template, keep the mail in the outbox, send it from a worker.

`send_template(session, to, template, context)` is the one entry point for every feature. The mail
is a row in `email_outbox` before anything is sent, so a crash or an SMTP outage loses nothing. With
no SMTP_HOST configured the row is "held": admins read it on the Outbox page and every flow still
works offline. Bodies may hold single-use links: they are never logged.

Notice mails (messaging.notifications.TEMPLATE_KINDS) name their recipient: their footer links to a
page that stops that kind of mail, and they carry RFC 8058 one-click unsubscribe headers. Security mails
have neither.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any

import structlog
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from sqlmodel import Session, col, select

from app.core import db, jobs
from app.core.config import get_settings
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.messaging import notifications
from models import EmailOutbox, User
from models.base import utcnow

log = structlog.get_logger("email")
TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "emails"
TEMPLATES = ("verification", "reset", "invitation", "two_factor_changed", "new_sign_in", "post_failed",
             "approval_requested", "approval_requested_many", "post_approved", "changes_requested")
SEND_TASK = "quillcast.email.send"
MAX_ATTEMPTS = 5


class DeliveryFailed(Exception):
    """A transient SMTP failure: the task retries with backoff."""


def held() -> bool:
    """Without SMTP_HOST every mail is held in the outbox until an administrator passes it on."""
    return not get_settings().smtp_host


@lru_cache
def _env() -> Environment:
    # Autoescape HTML so a display name like "<script>" arrives as text; the .txt templates are plain.
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined, keep_trailing_newline=True,
    )


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of `template` with `context`."""
    if template not in TEMPLATES:
        raise ValidationFailed(f"template: unknown e-mail template {template!r}", field="template")
    settings = get_settings()
    # Every template shares the layout's footer: a security mail has no "stop these e-mails" link.
    ctx = {"app_url": settings.url, "unsubscribe_link": "", "notice": "", **context}
    env = _env()
    try:
        subject = env.get_template(f"{template}.subject.txt").render(ctx).strip()
        ctx["subject"] = subject
        text = env.get_template(f"{template}.txt").render(ctx)
        html = env.get_template(f"{template}.html").render(ctx)
    except TemplateNotFound as exc:  # pragma: no cover - TEMPLATES and the files ship together
        raise ValidationFailed(f"template: missing file {exc.name}", field="template") from exc
    # A subject is one line: a newline in a user-supplied name must not inject headers.
    subject = " ".join(subject.split())[:255]
    return subject, text, html


def send_template(
    session: Session, to: str, template: str, context: dict[str, Any], *, recipient: uuid.UUID | None = None
) -> EmailOutbox:
    """Queue an e-mail: stored now, sent by a worker after `session` commits (or held without SMTP).

    A notice template needs `recipient` (the user it is for): its unsubscribe links are theirs.
    """
    to = to.strip()
    if not to or "\n" in to or "\r" in to or len(to) > 320:
        raise ValidationFailed("to: give one e-mail address", field="to")
    one_click: str | None = None
    kind = notifications.kind_of_template(template)
    if kind is not None:
        if recipient is None:
            raise ValueError(f"the notice template {template!r} needs its recipient's user id")
        page, one_click = notifications.unsubscribe_urls(recipient, kind)
        context = {**context, "unsubscribe_link": page, "notice": notifications.KINDS[kind].label}
    subject, text, html = render(template, {"to": to, **context})
    is_held = held()
    mail = EmailOutbox(to_address=to, template=template, subject=subject, text_body=text, html_body=html,
                       status="held" if is_held else "queued", unsubscribe_url=one_click)
    # The outbox is the system's (RLS lets only the service write it): a user's action causes a mail but
    # never writes one. The caller's own pending changes go in first, under the caller's claims.
    session.flush()
    with db.as_service(session):
        session.add(mail)
        session.flush()
    if not is_held:
        jobs.send_after_commit(session, SEND_TASK, str(mail.id), queue=jobs.EMAIL_QUEUE)
    log.info("email.queued", template=template, outbox_id=str(mail.id), held=is_held)
    return mail


def build_message(mail: EmailOutbox) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = get_settings().mail_from
    msg["To"] = mail.to_address
    msg["Subject"] = mail.subject
    msg["Message-ID"] = make_msgid(idstring=mail.id.hex, domain="quillcast")
    if mail.unsubscribe_url:
        # RFC 8058: the client POSTs "List-Unsubscribe=One-Click" to the URL, no sign-in, no page.
        msg["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(mail.text_body)
    msg.add_alternative(mail.html_body, subtype="html")
    return msg


def _smtp_send(msg: EmailMessage) -> None:
    s = get_settings()
    assert s.smtp_host
    with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
        if s.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if s.smtp_username:
            smtp.login(s.smtp_username, s.smtp_password or "")
        smtp.send_message(msg)


def deliver(session: Session, outbox_id: uuid.UUID | str) -> str:
    """Send one outbox mail now; returns its status. Raises DeliveryFailed on a transient error.

    Idempotent: a mail already sent is not sent again (a redelivered task finds status "sent").
    """
    mail = session.get(EmailOutbox, uuid.UUID(str(outbox_id)), with_for_update=True)
    if mail is None:
        raise NotFound("outbox mail not found")
    if mail.status in ("sent", "failed"):
        return mail.status
    if not get_settings().smtp_host:
        mail.status = "held"
        session.flush()
        return mail.status
    mail.attempts += 1
    try:
        _smtp_send(build_message(mail))
    except smtplib.SMTPRecipientsRefused as exc:
        # The server will never take this address: retrying cannot help.
        mail.status, mail.last_error = "failed", _describe(exc)
        session.flush()
        log.warning("email.refused", outbox_id=str(mail.id), error=mail.last_error)
        return mail.status
    except (OSError, smtplib.SMTPException) as exc:
        mail.status, mail.last_error = "queued", _describe(exc)
        if mail.attempts >= MAX_ATTEMPTS:
            mail.status = "failed"
        session.commit()  # the attempt stays counted although the task's unit rolls back for the retry
        log.warning("email.attempt_failed", outbox_id=str(mail.id), attempts=mail.attempts,
                    error=mail.last_error)
        if mail.status == "failed":
            return mail.status
        raise DeliveryFailed(mail.last_error) from exc
    mail.status, mail.sent_at, mail.last_error = "sent", utcnow(), None
    session.flush()
    log.info("email.sent", outbox_id=str(mail.id), template=mail.template, attempts=mail.attempts)
    return mail.status


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:1000]


def list_outbox(session: Session, *, status: str | None = None, limit: int = 100) -> list[EmailOutbox]:
    """Newest first, for the admin Outbox page (the caller checks the viewer is an instance admin)."""
    query = select(EmailOutbox).order_by(col(EmailOutbox.created_at).desc()).limit(min(limit, 500))
    if status:
        query = query.where(EmailOutbox.status == status)
    return list(session.exec(query))


def outbox_for_admin(
    session: Session, viewer_id: uuid.UUID, *, status: str | None = None, limit: int = 100
) -> list[EmailOutbox]:
    """The Outbox page: instance administrators only (held mail holds sign-in links)."""
    viewer = session.get(User, viewer_id)
    if viewer is None or not viewer.is_active or not viewer.is_admin:
        raise PermissionDenied("only instance administrators can read the outbox")
    return list_outbox(session, status=status or None, limit=limit)
