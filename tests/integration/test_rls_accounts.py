"""Row Level Security on account secrets, proven with raw SQL on the app's own connections: one person's
link tokens and recovery codes, and the e-mail outbox (which holds everyone's sign-in links)."""

import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import select

from app.core import db
from app.services.identity import onetime
from app.services.messaging import email
from models import EmailOutbox, OneTimeToken, RecoveryCode
from tests.factories import make_user, make_workspace

SECRET_TABLES = ("one_time_tokens", "recovery_codes", "email_outbox")


@pytest.fixture()
def secrets_of_two(session, monkeypatch):
    """Ada and Bob, each with a reset-link token, two recovery codes and a held mail to their address."""
    monkeypatch.delenv("SMTP_HOST", raising=False)
    from app.core.config import get_settings

    get_settings.cache_clear()
    people = {}
    for name in ("Ada", "Bob"):
        user = make_user(session, display_name=name)
        onetime.issue(session, user.id, "reset_password", timedelta(hours=1))
        session.add_all([RecoveryCode(user_id=user.id, code_hash=secrets.token_hex(32)) for _ in range(2)])
        mail = email.send_template(session, user.email, "reset", {"link": "https://q.test/reset?token=x",
                                                                      "minutes": 60, "name": name})
        session.commit()
        people[name.lower()] = (user, mail)
    return people


def _conn(claims):
    conn = db.get_engine().connect()
    if claims is not None:
        conn.execute(text("SELECT set_config('request.jwt.claims', :c, true)"), {"c": json.dumps(claims)})
    return conn


def _user_ids(conn, table, *users):
    return {r[0] for r in conn.execute(text(f"SELECT user_id FROM {table} WHERE user_id IN (:a, :b)"),  # noqa: S608
                                       {"a": users[0].id, "b": users[1].id})}


def test_a_user_reads_only_their_own_tokens_and_recovery_codes(secrets_of_two):
    ada, bob = secrets_of_two["ada"][0], secrets_of_two["bob"][0]
    with _conn(db.user_claims(ada.id)) as conn:
        assert _user_ids(conn, "one_time_tokens", ada, bob) == {ada.id}
        assert _user_ids(conn, "recovery_codes", ada, bob) == {ada.id}
        # Not by guessing Bob's id either.
        assert conn.execute(text("SELECT count(*) FROM recovery_codes WHERE user_id = :b"),
                            {"b": bob.id}).scalar() == 0


def test_a_user_cannot_change_or_delete_anyones_tokens_or_codes(secrets_of_two, session):
    ada, bob = secrets_of_two["ada"][0], secrets_of_two["bob"][0]
    with _conn(db.user_claims(ada.id)) as conn:
        for table in ("one_time_tokens", "recovery_codes"):
            for who in (bob, ada):  # someone else's rows, and one's own: only the service writes them
                assert conn.execute(text(f"UPDATE {table} SET used_at = NULL WHERE user_id = :u"),  # noqa: S608
                                    {"u": who.id}).rowcount == 0
                assert conn.execute(text(f"DELETE FROM {table} WHERE user_id = :u"),  # noqa: S608
                                    {"u": who.id}).rowcount == 0
        conn.commit()
    session.expire_all()
    for who in (ada, bob):
        assert len(session.exec(select(RecoveryCode).where(RecoveryCode.user_id == who.id)).all()) == 2
        assert len(session.exec(select(OneTimeToken).where(OneTimeToken.user_id == who.id)).all()) == 1


@pytest.mark.parametrize("sql", [
    # A change-e-mail link of one's own making would take any address without proving it.
    "INSERT INTO one_time_tokens (id, user_id, purpose, token_hash, email, expires_at, created_at) "
    "VALUES (gen_random_uuid(), :me, 'change_email', :h, 'ceo@victim.test', now() + interval '1 day', now())",
    # A recovery code of one's own making would be a second factor an intruder keeps.
    "INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES (gen_random_uuid(), :me, :h, now())",
    # A mail of one's own making, to anybody.
    "INSERT INTO email_outbox (id, to_address, template, subject, text_body, html_body, status, attempts, "
    "created_at, updated_at) VALUES (gen_random_uuid(), 'x@victim.test', 'reset', 's', 't', 'h', 'queued', 0, "
    "now(), now())",
])
def test_a_user_cannot_write_account_secrets_even_their_own(secrets_of_two, sql):
    ada = secrets_of_two["ada"][0]
    with _conn(db.user_claims(ada.id)) as conn:
        with pytest.raises(ProgrammingError, match="row-level security"):
            conn.execute(text(sql), {"me": ada.id, "h": secrets.token_hex(32)})


def test_the_outbox_is_hidden_from_everyone_but_instance_admins(secrets_of_two, session):
    (ada, ada_mail), bob_mail = secrets_of_two["ada"], secrets_of_two["bob"][1]
    mails = {ada_mail.id, bob_mail.id}
    with _conn(db.user_claims(ada.id)) as conn:
        # Not even the mail to her own address: it may be a link someone else asked for.
        assert conn.execute(text("SELECT count(*) FROM email_outbox")).scalar() == 0
        assert conn.execute(text("UPDATE email_outbox SET to_address = 'me@evil.test'")).rowcount == 0
        assert conn.execute(text("DELETE FROM email_outbox")).rowcount == 0
    admin = make_user(session, is_admin=True)
    with _conn(db.user_claims(admin.id)) as conn:
        assert mails <= {r[0] for r in conn.execute(text("SELECT id FROM email_outbox"))}
        # Reading is all: the mail worker (the service) alone changes a mail.
        assert conn.execute(text("UPDATE email_outbox SET status = 'sent' WHERE id = :i"),
                            {"i": ada_mail.id}).rowcount == 0
    admin.is_active = False
    session.add(admin)
    session.commit()
    with _conn(db.user_claims(admin.id)) as conn:
        assert conn.execute(text("SELECT count(*) FROM email_outbox")).scalar() == 0
    with _conn(db.SERVICE_CLAIMS) as conn:
        assert mails <= {r[0] for r in conn.execute(text("SELECT id FROM email_outbox"))}


@pytest.mark.parametrize("claims", [None, db.ANON_CLAIMS])
def test_a_connection_acting_for_nobody_sees_no_account_secrets(secrets_of_two, claims):
    with _conn(claims) as conn:
        for table in SECRET_TABLES:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table  # noqa: S608
            assert conn.execute(text(f"DELETE FROM {table}")).rowcount == 0, table  # noqa: S608


def test_a_user_action_still_queues_mail_for_someone_else(session, monkeypatch):
    """Mail a user causes (an invitation, an approval notice) is written by the e-mail service as the
    system, so the outbox policy does not stop it, and the rest of the user's work stays theirs."""
    from app.services.tenancy import invitations

    monkeypatch.delenv("SMTP_HOST", raising=False)
    from app.core.config import get_settings

    get_settings.cache_clear()
    owner = make_user(session)
    ws = make_workspace(session, owner)
    invitee = f"new-{secrets.token_hex(3)}@example.test"
    with db.session_scope(db.user_claims(owner.id)) as s:
        invitations.invite(s, owner.id, ws.id, invitee, "editor")
        assert s.info["claims"] == db.user_claims(owner.id)  # back to the caller's claims
    mail = session.exec(select(EmailOutbox).where(EmailOutbox.to_address == invitee)).one()
    assert mail.template == "invitation" and mail.status == "held"
    assert mail.created_at > datetime.now(UTC) - timedelta(minutes=1)
