"""Two-factor authentication against real PostgreSQL and Redis (pyotp codes computed like an app would)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.core import crypto
from app.services.errors import Conflict, NotAuthenticated, RateLimited, ValidationFailed
from app.services.identity import accounts, authentication, sessions, totp
from models import RecoveryCode, User
from models.base import utcnow
from tests.accounts_support import PASSWORD, ip, latest_mail, signed_up_user, totp_of


def _reload(session, user):
    session.expire_all()
    return session.get(User, user.id)


def enrolled(session, user):
    """Enrol and confirm; returns (user, recovery codes, new session token)."""
    totp.begin_enrolment(session, user.id, PASSWORD)
    user = _reload(session, user)
    codes, token = totp.confirm_enrolment(session, user.id, totp_of(user).now(), ip=ip())
    return _reload(session, user), codes, token


def test_enrolment_needs_the_password_and_shows_a_local_qr_and_the_key(session):
    user = signed_up_user(session)
    with pytest.raises(ValidationFailed) as err:
        totp.begin_enrolment(session, user.id, "not my password")
    assert err.value.field == "password"
    e = totp.begin_enrolment(session, user.id, PASSWORD)
    assert e.qr_svg.lstrip().startswith("<?xml") and "<svg" in e.qr_svg and "<path" in e.qr_svg
    assert e.uri.startswith("otpauth://totp/Quillcast:") and f"secret={e.secret}" in e.uri
    stored = _reload(session, user).totp_secret
    assert stored and e.secret not in stored and crypto.decrypt(stored) == e.secret  # encrypted at rest
    assert not totp.is_enabled(_reload(session, user))  # not on until a code confirms it


def test_confirm_turns_2fa_on_rotates_sessions_gives_ten_hashed_codes_and_mails(session):
    user = signed_up_user(session)
    before = authentication.sign_in(session, email_address=user.email, password=PASSWORD, ip=ip()).session_token
    totp.begin_enrolment(session, user.id, PASSWORD)
    with pytest.raises(ValidationFailed, match="code: the code is wrong"):
        totp.confirm_enrolment(session, user.id, "000000")
    user, codes, token = enrolled(session, user)
    assert totp.is_enabled(user) and len(codes) == 10 and len(set(codes)) == 10
    assert sessions.resolve(before) is None and sessions.resolve(token) is not None  # privilege change
    hashes = session.exec(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(hashes) == 10 and not any(c.replace("-", "") in h for c in codes for h in hashes)
    mail = latest_mail(session, user.email, "two_factor_changed")
    assert mail.subject == "Two-factor authentication is now on"


def test_each_totp_code_is_accepted_once(session):
    user, _codes, _ = enrolled(session, signed_up_user(session))
    # The enrolment used the current step; the same code, or an earlier one, never works again.
    step = totp_of(user).timecode(utcnow())
    for code in (totp_of(user).generate_otp(step), totp_of(user).generate_otp(step - 1)):
        with pytest.raises(ValidationFailed) as err:
            totp.check_second_factor(session, user.id, code)
        assert err.value.field == "code"
    # The next step (one step of clock drift allowed) works once.
    nxt = totp_of(user).generate_otp(step + 1)
    assert totp.check_second_factor(session, user.id, nxt) == "totp"
    session.commit()
    with pytest.raises(ValidationFailed):
        totp.check_second_factor(session, user.id, nxt)


def test_sign_in_with_2fa_is_two_steps_and_recovery_codes_are_single_use(session):
    user, codes, _ = enrolled(session, signed_up_user(session))
    first = authentication.sign_in(session, email_address=user.email, password=PASSWORD, ip=ip())
    assert first.needs_two_factor and first.session_token is None and first.user_id is None
    with pytest.raises(ValidationFailed):
        authentication.complete_two_factor(session, challenge=first.challenge, code="123456", ip=ip())
    done = authentication.complete_two_factor(session, challenge=first.challenge, code=codes[0].upper(), ip=ip())
    assert done.session_token and sessions.resolve(done.session_token).user_id == user.id
    # The challenge is spent; and the recovery code cannot be used a second time.
    with pytest.raises(NotAuthenticated, match="sign-in step expired"):
        authentication.complete_two_factor(session, challenge=first.challenge, code=codes[1], ip=ip())
    again = authentication.sign_in(session, email_address=user.email, password=PASSWORD, ip=ip())
    with pytest.raises(ValidationFailed):
        authentication.complete_two_factor(session, challenge=again.challenge, code=codes[0], ip=ip())
    assert totp.remaining_recovery_codes(session, user.id) == 9


def test_password_reset_does_not_bypass_2fa(session):
    user, _codes, _ = enrolled(session, signed_up_user(session))
    accounts.request_password_reset(session, email_address=user.email, ip=ip())
    from tests.accounts_support import token_in

    accounts.reset_password(session, token=token_in(latest_mail(session, user.email, "reset").text_body),
                            new_password="a fresh new passphrase")
    result = authentication.sign_in(session, email_address=user.email, password="a fresh new passphrase", ip=ip())
    assert result.needs_two_factor and result.session_token is None


def test_totp_verification_is_rate_limited_per_account(session):
    user, _codes, _ = enrolled(session, signed_up_user(session))
    challenge = authentication.sign_in(session, email_address=user.email, password=PASSWORD, ip=ip()).challenge
    raised = None
    for _ in range(12):
        try:
            authentication.complete_two_factor(session, challenge=challenge, code="000000", ip=ip())
        except ValidationFailed:
            continue
        except RateLimited as exc:
            raised = exc
            break
    assert raised is not None and raised.retry_after > 0 and raised.field == "code"


def test_disable_needs_the_password_removes_codes_and_mails(session):
    user, _codes, _ = enrolled(session, signed_up_user(session))
    with pytest.raises(ValidationFailed):
        totp.disable(session, user.id, "wrong password!!")
    totp.disable(session, user.id, PASSWORD)
    user = _reload(session, user)
    assert not totp.is_enabled(user) and user.totp_secret is None
    assert totp.remaining_recovery_codes(session, user.id) == 0
    mail = latest_mail(session, user.email, "two_factor_changed")
    assert mail.subject == "Two-factor authentication was turned off"
    with pytest.raises(Conflict):
        totp.disable(session, user.id, PASSWORD)
    assert authentication.sign_in(session, email_address=user.email, password=PASSWORD, ip=ip()).session_token
