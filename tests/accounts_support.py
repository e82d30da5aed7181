"""Helpers for the accounts tests: read mail from the outbox, make verified users, current TOTP codes."""

from __future__ import annotations

import re
import secrets
import uuid

import pyotp
from sqlmodel import Session, col, select

from app.core import crypto, db
from app.services.identity import accounts, tokens
from models import EmailOutbox, User

PASSWORD = "correct horse battery staple"  # noqa: S105


def new_email() -> str:
    return f"acc-{secrets.token_hex(5)}@example.test"


def ip() -> str:
    """A fresh client IP per test, so per-IP limits of one test never touch another."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


def latest_mail(session: Session, to: str, template: str | None = None) -> EmailOutbox:
    query = select(EmailOutbox).where(EmailOutbox.to_address == to)
    if template:
        query = query.where(EmailOutbox.template == template)
    session.expire_all()
    mail = session.exec(query.order_by(col(EmailOutbox.created_at).desc())).first()
    assert mail is not None, f"no {template or ''} mail to {to}"
    return mail


def mails_to(session: Session, to: str) -> list[EmailOutbox]:
    session.expire_all()
    return list(session.exec(select(EmailOutbox).where(EmailOutbox.to_address == to)))


def token_in(text: str) -> str:
    match = re.search(r"https?://\S+?\?token=([A-Za-z0-9_\-]+)", text)
    assert match, "no link in the mail"
    return match.group(1)


def signed_up_user(session: Session, email: str | None = None, password: str = PASSWORD) -> User:
    """A user who signed up and followed the verification link."""
    address = email or new_email()
    accounts.sign_up(session, email_address=address, password=password, display_name="Ada", ip=ip())
    accounts.verify_email(session, token=token_in(latest_mail(session, address, "verification").text_body))
    session.commit()  # the helper is the door: the user is there for every connection (API, workers)
    user = session.exec(select(User).where(User.email == address)).one()
    return user


def totp_of(user: User) -> pyotp.TOTP:
    assert user.totp_secret
    return pyotp.TOTP(crypto.decrypt(user.totp_secret))


def code_at_step(user: User, step: int) -> str:
    return totp_of(user).generate_otp(step)


def access_token_for(user_id: uuid.UUID) -> str:
    """A live API access token for `user_id`, bound to a refresh token family of its own (as API sign-in
    and OIDC give out): a token bound to nothing is refused."""
    with db.session_scope() as s:
        return tokens.issue(s, user_id).access_token
