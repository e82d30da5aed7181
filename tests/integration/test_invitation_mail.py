"""invitations.invite renders the real invitation e-mail (its context matches app/emails/invitation.*)."""

from __future__ import annotations

from sqlmodel import select

from app.services import invitations
from models import EmailOutbox
from tests.factories import make_user, make_workspace


def test_invite_renders_the_invitation_email(app_env, session):
    owner = make_user(session, display_name="Ada")
    ws = make_workspace(session, owner, name="Acme")
    sent = invitations.invite(session, owner.id, ws.id, "new.person@example.com", "editor")
    session.commit()
    row = session.exec(select(EmailOutbox).where(EmailOutbox.to_address == "new.person@example.com")).one()
    assert "Ada invited you to Acme" in row.subject
    assert sent.accept_url in row.text_body and "as editor" in row.text_body
