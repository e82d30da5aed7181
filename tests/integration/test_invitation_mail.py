"""invitations.invite renders the real invitation e-mail (its context matches app/emails/invitation.*)."""

from __future__ import annotations

import secrets

from sqlmodel import select

from app.services.tenancy import invitations
from models import EmailOutbox
from tests.factories import make_user, make_workspace


def test_invite_renders_the_invitation_email(app_env, session):
    owner = make_user(session, display_name="Ada")
    ws = make_workspace(session, owner, name="Acme")
    address = f"new.person.{secrets.token_hex(4)}@example.com"  # other tests invite people too
    sent = invitations.invite(session, owner.id, ws.id, address, "editor")
    session.commit()
    row = session.exec(select(EmailOutbox).where(EmailOutbox.to_address == address)).one()
    assert "Ada invited you to Acme" in row.subject
    assert sent.accept_url in row.text_body and "as editor" in row.text_body
