"""Security events land in the audit log with who and from where; no secret ever lands in a log line."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select
from structlog.testing import capture_logs

from app.services.identity import accounts, authentication, sessions, totp
from models import AuditLog, User
from tests import support
from tests.accounts_support import PASSWORD, latest_mail, new_email, token_in, totp_of

NEW_PASSWORD = "another long passphrase"  # noqa: S105
RESET_PASSWORD = "a third long passphrase"  # noqa: S105
IP = "192.0.2.77"

@pytest.fixture(autouse=True)
def _mail_is_held(monkeypatch):
    """These tests read mail from the outbox: no SMTP server takes it (the e2e journey may have set one)."""
    from app.core.config import get_settings

    support.without_smtp(monkeypatch)
    yield
    monkeypatch.undo()
    get_settings.cache_clear()



def test_security_events_are_audited_and_no_secret_reaches_any_log(session, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    secrets_seen: list[str] = [PASSWORD, NEW_PASSWORD, RESET_PASSWORD]
    address = new_email()
    with capture_logs() as structured:
        accounts.sign_up(session, email_address=address, password=PASSWORD, ip=IP)
        verify_token = token_in(latest_mail(session, address, "verification").text_body)
        accounts.verify_email(session, token=verify_token, ip=IP)
        user = session.exec(select(User).where(User.email == address)).one()
        try:
            authentication.sign_in(session, email_address=address, password="wrong " + PASSWORD, ip=IP)
        except Exception:  # noqa: BLE001 - the failure itself is what is audited
            pass
        token = authentication.sign_in(session, email_address=address, password=PASSWORD, ip=IP).session_token
        enrol = totp.begin_enrolment(session, user.id, PASSWORD, ip=IP)
        session.expire_all()
        code = totp_of(session.get(User, user.id)).now()
        codes, token2 = totp.confirm_enrolment(session, user.id, code, ip=IP)
        challenge = authentication.sign_in(session, email_address=address, password=PASSWORD, ip=IP).challenge
        token3 = authentication.complete_two_factor(session, challenge=challenge, code=codes[0],
                                              ip=IP).session_token
        new_token = accounts.change_password(session, user_id=user.id, current_password=PASSWORD,
                                             new_password=NEW_PASSWORD, ip=IP)
        authentication.revoke_session(session, user.id, sessions.session_id_of(new_token), ip=IP)
        accounts.request_password_reset(session, email_address=address, ip=IP)
        reset_token = token_in(latest_mail(session, address, "reset").text_body)
        accounts.reset_password(session, token=reset_token, new_password=RESET_PASSWORD, ip=IP)
        totp.disable(session, user.id, RESET_PASSWORD, ip=IP)
    secrets_seen += [verify_token, token, enrol.secret, code, token2, challenge, token3, new_token,
                     reset_token, *codes, *(c.replace("-", "") for c in codes)]
    secrets_seen = [s for s in secrets_seen if s]

    actions = {(a.action, a.ip) for a in session.exec(select(AuditLog).where(AuditLog.actor_id == user.id))}
    for expected in ("auth.sign_up", "auth.email_verified", "auth.sign_in_failed", "auth.sign_in",
                     "auth.two_factor_enabled", "auth.password_changed", "auth.session_revoked",
                     "auth.password_reset_requested", "auth.password_reset", "auth.two_factor_disabled"):
        assert (expected, IP) in actions, expected

    out, err = capfd.readouterr()
    logged = "\n".join([out, err, caplog.text, *(repr(e) for e in structured)])
    assert "email.queued" in logged  # the capture works: the mail service's log lines are in it
    leaked = [s for s in secrets_seen if s in logged]
    assert leaked == []
    details = repr([a.details for a in session.exec(select(AuditLog).where(AuditLog.actor_id == user.id))])
    assert not [s for s in secrets_seen if s in details] and address not in details
