"""Accounts against real PostgreSQL and Redis: sign up, verify, sign in, reset, change password/e-mail.

SMTP is not configured here, so every mail stays in the outbox ("held"): the tests read the links
from there, the way an admin would on the Outbox page.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
import time_machine
from sqlmodel import select

from app.services.errors import NotAuthenticated, ValidationFailed
from app.services.identity import accounts, authentication, sessions
from models import AuditLog, User
from models.base import utcnow
from tests import support
from tests.accounts_support import PASSWORD, ip, latest_mail, mails_to, new_email, signed_up_user, token_in


@pytest.fixture(autouse=True)
def _mail_is_held(monkeypatch):
    """These tests read mail from the outbox: no SMTP server takes it (the e2e journey may have set one)."""
    from app.core.config import get_settings

    support.without_smtp(monkeypatch)
    yield
    monkeypatch.undo()
    get_settings.cache_clear()



def _user(session, address):
    session.expire_all()
    return session.exec(select(User).where(User.email == address)).one()


def test_sign_up_mails_a_verification_link_that_works_once(session):
    address = new_email()
    accounts.sign_up(session, email_address=address, password=PASSWORD, display_name="Ada", ip=ip())
    user = _user(session, address)
    assert user.email_verified_at is None and user.password_hash.startswith("$argon2id$")
    mail = latest_mail(session, address, "verification")
    assert mail.status == "held" and "Confirm your e-mail address" in mail.subject
    token = token_in(mail.text_body)
    assert token_in(mail.html_body) == token

    assert accounts.verify_email(session, token=token).id == user.id
    assert _user(session, address).email_verified_at is not None
    with pytest.raises(ValidationFailed, match="token: this link has expired or was already used"):
        accounts.verify_email(session, token=token)


def test_verification_link_expires_after_24_hours(session):
    address = new_email()
    accounts.sign_up(session, email_address=address, password=PASSWORD, ip=ip())
    token = token_in(latest_mail(session, address, "verification").text_body)
    with time_machine.travel(utcnow() + timedelta(hours=24, minutes=1)):
        with pytest.raises(ValidationFailed) as err:
            accounts.verify_email(session, token=token)
    assert err.value.field == "token"
    assert _user(session, address).email_verified_at is None


def test_sign_up_with_a_taken_address_answers_the_same_and_changes_nothing(session):
    user = signed_up_user(session)
    before = len(mails_to(session, user.email))
    accounts.sign_up(session, email_address=user.email.upper(), password="another pass phrase", ip=ip())
    assert len(session.exec(select(User).where(User.email == user.email)).all()) == 1
    assert len(mails_to(session, user.email)) == before  # verified owner: nothing to resend
    ok = authentication.sign_in(session, email_address=user.email, password=PASSWORD, ip=ip())
    assert ok.session_token  # the old password still works: nothing was overwritten


@pytest.mark.parametrize(("field", "kwargs", "message"), [
    ("email", {"email_address": "not-an-address"}, "email: "),
    ("email", {"email_address": ""}, "email: enter your e-mail address"),
    ("email", {"email_address": "a@b.test' OR 1=1 --"}, "email: "),
    ("password", {"password": "x" * 10_240}, "password: use at most 1024 characters"),
    ("password", {"password": "password123"}, "password: this is one of the 10,000 most common"),
    ("display_name", {"display_name": "x" * 121}, "display_name: use at most 120 characters"),
    ("display_name", {"display_name": "evil\u202ename"}, "display_name: remove control characters"),
    ("timezone", {"timezone": "Mars/Olympus"}, "timezone: 'Mars/Olympus' is not a time zone; use an IANA name"),
])
def test_bad_sign_up_input_names_the_field(session, field, kwargs, message):
    data = {"email_address": new_email(), "password": PASSWORD, "display_name": "Ada", "timezone": "UTC",
            **kwargs}
    with pytest.raises(ValidationFailed) as err:
        accounts.sign_up(session, ip=ip(), **data)
    assert err.value.field == field and err.value.message.startswith(message)


def test_unicode_rtl_emoji_and_html_names_are_kept_as_text(session):
    for name in ("سارة المصري", "Zoë 🦄", "<script>alert(1)</script>", "Robert'); DROP TABLE users;--"):
        address = new_email()
        accounts.sign_up(session, email_address=address, password=PASSWORD, display_name=name, ip=ip())
        assert _user(session, address).display_name == name
        mail = latest_mail(session, address, "verification")
        assert "<script>" not in mail.html_body  # escaped in the HTML mail


def test_sign_in_before_verification_is_refused_with_what_to_do(session):
    address = new_email()
    accounts.sign_up(session, email_address=address, password=PASSWORD, ip=ip())
    with pytest.raises(NotAuthenticated, match="confirm your e-mail address first"):
        authentication.sign_in(session, email_address=address, password=PASSWORD, ip=ip())


def test_sign_in_wrong_password_and_unknown_email_look_the_same(session):
    user = signed_up_user(session)
    with pytest.raises(NotAuthenticated) as wrong:
        authentication.sign_in(session, email_address=user.email, password="not the password", ip=ip())
    with pytest.raises(NotAuthenticated) as unknown:
        authentication.sign_in(session, email_address=new_email(), password="not the password", ip=ip())
    assert wrong.value.message == unknown.value.message == authentication.WRONG_CREDENTIALS
    assert wrong.value.field == unknown.value.field


def test_sign_in_takes_as_long_for_an_unknown_email(session):
    """Timing-safe: an unknown address is verified against a dummy hash, so it is not faster."""
    user = signed_up_user(session)

    def median(address: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            with pytest.raises(NotAuthenticated):
                authentication.sign_in(session, email_address=address, password="not the password", ip=ip())
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    known, unknown = median(user.email), median(new_email())
    assert unknown > 0.5 * known, (known, unknown)


def test_sign_in_creates_a_session_and_records_it(session):
    user = signed_up_user(session)
    address = ip()
    result = authentication.sign_in(session, email_address=user.email, password=PASSWORD, ip=address,
                              user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
    info = sessions.resolve(result.session_token)
    assert info and info.user_id == user.id and info.ip == address and info.device == "Firefox on Linux"
    actions = session.exec(select(AuditLog.action).where(AuditLog.actor_id == user.id)).all()
    assert "auth.sign_in" in actions


def test_forgot_password_answers_the_same_for_unknown_addresses(session):
    user = signed_up_user(session)
    accounts.request_password_reset(session, email_address=new_email(), ip=ip())  # no error, no mail
    accounts.request_password_reset(session, email_address=user.email, ip=ip())
    assert "Reset your Quillcast password" in latest_mail(session, user.email, "reset").subject


def test_reset_link_is_single_use_ends_sessions_and_does_not_sign_in(session):
    user = signed_up_user(session)
    old_session = authentication.sign_in(session, email_address=user.email, password=PASSWORD,
                                   ip=ip()).session_token
    accounts.request_password_reset(session, email_address=user.email, ip=ip())
    token = token_in(latest_mail(session, user.email, "reset").text_body)

    with pytest.raises(ValidationFailed, match="password: this is one of the 10,000"):
        accounts.reset_password(session, token=token, new_password="1234567890")  # link not used up
    assert accounts.reset_password(session, token=token, new_password="a brand new passphrase") is None
    assert sessions.resolve(old_session) is None
    with pytest.raises(ValidationFailed, match="token: this link has expired or was already used"):
        accounts.reset_password(session, token=token, new_password="yet another passphrase")
    with pytest.raises(NotAuthenticated):
        authentication.sign_in(session, email_address=user.email, password=PASSWORD, ip=ip())
    assert authentication.sign_in(session, email_address=user.email, password="a brand new passphrase",
                            ip=ip()).session_token


def test_reset_link_expires_after_30_minutes(session):
    user = signed_up_user(session)
    accounts.request_password_reset(session, email_address=user.email, ip=ip())
    token = token_in(latest_mail(session, user.email, "reset").text_body)
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        with pytest.raises(ValidationFailed, match="token: this link has expired"):
            accounts.reset_password(session, token=token, new_password="a brand new passphrase")


def test_change_password_needs_the_current_one_and_replaces_every_session(session):
    user = signed_up_user(session)
    first = authentication.sign_in(session, email_address=user.email, password=PASSWORD, ip=ip()).session_token
    with pytest.raises(ValidationFailed) as err:
        accounts.change_password(session, user_id=user.id, current_password="wrong password!",
                                 new_password="a brand new passphrase")
    assert err.value.field == "current_password"
    new_token = accounts.change_password(session, user_id=user.id, current_password=PASSWORD,
                                         new_password="a brand new passphrase", ip=ip())
    assert sessions.resolve(first) is None and sessions.resolve(new_token) is not None
    assert new_token != first


def test_change_email_takes_effect_only_when_the_new_address_confirms(session):
    user = signed_up_user(session)
    target = new_email()
    with pytest.raises(ValidationFailed) as err:
        accounts.change_email(session, user_id=user.id, password="wrong password!", new_email=target)
    assert err.value.field == "password"
    accounts.change_email(session, user_id=user.id, password=PASSWORD, new_email=target, ip=ip())
    assert _user(session, user.email).pending_email == target  # still the old address
    mail = latest_mail(session, target, "verification")
    assert "new e-mail address" in mail.subject
    accounts.verify_email(session, token=token_in(mail.text_body))
    assert _user(session, target).id == user.id


def test_change_email_to_a_taken_address_answers_the_same_and_sends_nothing(session):
    user, other = signed_up_user(session), signed_up_user(session)
    before = len(mails_to(session, other.email))
    accounts.change_email(session, user_id=user.id, password=PASSWORD, new_email=other.email, ip=ip())
    assert len(mails_to(session, other.email)) == before


def test_profile_accepts_unicode_and_refuses_a_bad_timezone(session):
    user = signed_up_user(session)
    updated = accounts.update_profile(session, user_id=user.id, display_name="מרים",
                                      timezone="Asia/Jerusalem")
    assert (updated.display_name, updated.timezone) == ("מרים", "Asia/Jerusalem")
    with pytest.raises(ValidationFailed, match="timezone: '\\+02:00' is not a time zone; use an IANA name"):
        accounts.update_profile(session, user_id=user.id, timezone="+02:00")


def test_an_old_hash_is_upgraded_at_sign_in(session):
    from argon2 import PasswordHasher

    user = signed_up_user(session)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    session.add(user)
    session.commit()
    authentication.sign_in(session, email_address=user.email, password=PASSWORD, ip=ip())
    assert "m=19456,t=2,p=1" in _user(session, user.email).password_hash


def test_guessing_one_account_is_stopped_even_from_many_ips(session):
    from app.core.config import get_settings
    from app.services.errors import RateLimited

    user = signed_up_user(session)
    allowed = int(get_settings().rate_signin_account.split("/")[0])
    for _ in range(allowed):
        with pytest.raises(NotAuthenticated):
            authentication.sign_in(session, email_address=user.email, password="a wrong guess!", ip=ip())
    with pytest.raises(RateLimited) as err:
        authentication.sign_in(session, email_address=user.email.upper(), password=PASSWORD, ip=ip())
    assert err.value.retry_after > 0


def test_reset_mails_to_one_account_are_limited(session):
    from app.services.errors import RateLimited

    user = signed_up_user(session)
    for _ in range(3):
        accounts.request_password_reset(session, email_address=user.email, ip=ip())
    with pytest.raises(RateLimited):
        accounts.request_password_reset(session, email_address=user.email, ip=ip())
    assert len([m for m in mails_to(session, user.email) if m.template == "reset"]) == 3
