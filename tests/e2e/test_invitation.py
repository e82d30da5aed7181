"""An owner invites by e-mail; the invitee follows the link, joins as a viewer, and can only read."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from app.api.main import create_api
from app.services.tenancy import invitations
from tests.accounts_support import access_token_for
from tests.e2e.conftest import goto, screenshot, sign_in_as
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def test_invited_viewer_joins_and_cannot_edit(browser, base_url, member, session):
    owner, ws, _ = member
    invitee = make_user(session, email_verified_at=datetime.now(UTC), display_name="Grace")
    sent = invitations.invite(session, owner.id, ws.id, invitee.email.upper(), "viewer")
    session.commit()
    path = sent.accept_url.split("/invitations/", 1)[1]

    # Signed out, the link says what to do.
    anon = browser.new_context().new_page()
    anon.goto(f"{base_url}/invitations/{path}")
    expect(anon.get_by_text("Sign in, or create your account")).to_be_visible(timeout=30_000)
    anon.context.close()

    page = sign_in_as(browser, base_url, invitee)
    goto(page, f"{base_url}/invitations/{path}")
    button = page.get_by_role("button", name="Accept the invitation")
    expect(button).to_be_visible(timeout=30_000)
    screenshot(page, "invitation")
    button.dblclick()
    expect(page).not_to_have_url(f"{base_url}/invitations/{path}", timeout=15_000)

    # The viewer reads the workspace but its controls to change things are not there.
    page.goto(base_url + "/channels")
    expect(page.get_by_text("Ada on Bluesky").first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Connect")).to_have_count(0)

    # The API refuses a write with 403, and the link cannot be used twice.
    api = TestClient(create_api())
    auth = {"Authorization": f"Bearer {access_token_for(invitee.id)}"}
    assert api.get(f"/api/workspaces/{ws.id}/ideas", headers=auth).status_code == 200
    assert api.post(f"/api/workspaces/{ws.id}/ideas", headers=auth, json={"title": "x"}).status_code == 403
    goto(page, f"{base_url}/invitations/{path}")
    page.get_by_role("button", name="Accept the invitation").click()
    expect(page.get_by_text("already")).to_be_visible(timeout=15_000)
    page.context.close()
