"""The links in the approval e-mails, followed in a real browser: the reviewer's mail opens the post where
Approve and Request changes are; the author's mail brings the reviewer's comment and opens the post to edit.

Without SMTP (as here) mail is held in the outbox: the test reads the link from there, as an admin would.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from app.core.db import session_scope, user_claims
from app.services.planning import posts
from tests.e2e.conftest import screenshot, sign_in_as
from tests.factories import make_user

pytestmark = pytest.mark.e2e
BODY = "Autumn workshop: bookbinding for beginners, every Saturday"


def _mail(session, to: str, template: str):
    from models import EmailOutbox

    session.expire_all()
    rows = session.exec(select(EmailOutbox).where(EmailOutbox.to_address == to, EmailOutbox.template == template)
                        .order_by(col(EmailOutbox.created_at).desc())).all()
    assert rows, f"no {template} mail to {to}"
    return rows[0]


def _link_in(text: str, base_url: str) -> str:
    """The mail's link on this test server (the mail names the configured public address)."""
    found = re.search(r"https?://\S+/compose\?post_id=[0-9a-f-]+", text)
    assert found, text
    parts = urlsplit(found.group(0))
    return f"{base_url}{parts.path}?{parts.query}"


def test_the_mailed_links_open_the_review_and_then_the_edit(browser, base_url, session, member):
    from models import Membership, Post

    owner, ws, channel = member
    writer = make_user(session, email_verified_at=datetime.now(UTC), display_name="Cora Contributor")
    session.add(Membership(workspace_id=ws.id, user_id=writer.id, role="contributor"))
    session.commit()

    # Submitted through the service, as the contributor (the composer's own submit is tested in
    # test_compose.py): this test is about where the mailed links lead.
    with session_scope(user_claims(writer.id)) as s:
        post = posts.create_post(s, writer.id, ws.id, body=BODY, targets=[posts.TargetInput(channel.id)])
    with session_scope(user_claims(writer.id)) as s:
        posts.schedule_post(s, writer.id, post.id, local_time=datetime(2030, 6, 1, 9), timezone=ws.timezone)

    request = _mail(session, owner.email, "approval_requested")
    assert "Cora Contributor" in request.subject and ws.name in request.subject
    assert "Autumn workshop: bookbinding for beginners" in request.text_body
    reviewer = sign_in_as(browser, base_url, owner)
    reviewer.goto(_link_in(request.text_body, base_url))
    expect(reviewer.get_by_role("heading", name="Awaiting your approval")).to_be_visible(timeout=30_000)
    expect(reviewer.locator("#body")).to_have_value(BODY)
    comment = "Say where: <b>the back room</b> & bring a ruler"
    reviewer.locator("#review-comment").fill(comment)
    reviewer.wait_for_timeout(500)  # the text area's debounce
    reviewer.get_by_role("button", name="Request changes").click()
    expect(reviewer.get_by_text(f"Changes requested: {comment}")).to_be_visible(timeout=30_000)
    session.expire_all()
    assert session.exec(select(Post).where(Post.workspace_id == ws.id)).one().status == "changes_requested"

    changes = _mail(session, writer.email, "changes_requested")
    assert comment in changes.text_body and "&lt;b&gt;the back room&lt;/b&gt; &amp;" in changes.html_body
    author = sign_in_as(browser, base_url, writer)
    author.goto(_link_in(changes.text_body, base_url))
    expect(author.get_by_text(f"Changes requested: {comment}")).to_be_visible(timeout=30_000)
    expect(author.locator("#body")).to_have_value(BODY)
    screenshot(author, "approval-mail-edit-link")
    for p in (reviewer, author):
        p.context.close()
