"""A real SMTP server (aiosmtpd) that keeps what it is sent, and a Celery worker that mails to it.

Test modules wrap these in module-scoped fixtures. The shared `celery_worker` fixture's environment has
no SMTP (its mail would be "held"), so `mail_worker` starts a worker of its own with SMTP settings; other
workers already running are told to stop consuming the email queue meanwhile, and to resume afterwards
(Celery remote control), so only ours sends mail. This process uses the same settings while it runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from app.core.config import get_settings
from tests import support


class Sink:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, to: str, subject_part: str, timeout: float = 60) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in self.messages:
                if msg["To"] == to and subject_part in msg["Subject"]:
                    return msg
            time.sleep(0.1)
        raise AssertionError(f"no mail to {to} with {subject_part!r} in {timeout} s")

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def text_part(msg: EmailMessage) -> str:
    return _part(msg, "plain")


def html_part(msg: EmailMessage) -> str:
    return _part(msg, "html")


def _part(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None
    # SMTP carries CRLF line ends; compare with what the template wrote.
    return str(part.get_content()).replace("\r\n", "\n")


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = support.free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@contextmanager
def running_mail_worker(app_env: dict[str, str], port: int) -> Iterator[support.CeleryWorker]:
    """A real worker whose settings point at the SMTP server on `port`; this process uses them too."""
    smtp_env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "false"}
    saved = {k: os.environ.get(k) for k in smtp_env}
    os.environ.update(smtp_env)
    get_settings.cache_clear()
    from app.core import jobs

    control = jobs.producer().control
    others = sorted(name for reply in (control.ping(timeout=1.0) or []) for name in reply)
    if others:
        control.cancel_consumer(jobs.EMAIL_QUEUE, destination=others, reply=True, timeout=5)
    worker = support.CeleryWorker({**app_env, **smtp_env}).start()
    try:
        yield worker
    finally:
        worker.stop()
        if others:
            control.add_consumer(jobs.EMAIL_QUEUE, destination=others, reply=True, timeout=5)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


# Module-scoped fixtures for test modules that read real mail: `from tests.mail_support import smtp,
# mail_worker` makes them available there (pytest finds fixtures among a module's names).
@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Sink, int]]:
    with smtp_sink() as sink_and_port:
        yield sink_and_port


@pytest.fixture(scope="module")
def mail_worker(app_env: dict[str, str], smtp: tuple[Sink, int]) -> Iterator[support.CeleryWorker]:
    with running_mail_worker(app_env, smtp[1]) as worker:
        yield worker
