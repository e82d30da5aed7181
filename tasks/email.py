"""Thin task over app.services.messaging.email.deliver: retries transient SMTP failures with backoff."""

from __future__ import annotations

from app.core.db import session_scope
from app.services.messaging import email
from tasks.base import quillcast_task


@quillcast_task(
    email.SEND_TASK, time_limit=60,
    autoretry_for=(email.DeliveryFailed,), retry_backoff=5, retry_backoff_max=600, retry_jitter=True,
    max_retries=email.MAX_ATTEMPTS - 1,
)
def send(outbox_id: str) -> str:
    """Send one outbox mail (by id); a mail already sent is not sent twice."""
    with session_scope() as session:
        return email.deliver(session, outbox_id)
