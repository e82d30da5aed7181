"""Drafts page in the browser: drafts listed (text as text) with their channel, "Open" points at the
composer, delete asks first; "Keep it" keeps the draft."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import select

from models import Post, PostTarget
from tests.e2e.conftest import screenshot, sign_in_as

pytestmark = pytest.mark.e2e


def serious(page) -> list[str]:
    result = Axe().run(page)
    return [f'{v["id"]}: {[n["target"] for n in v["nodes"]]}' for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def test_drafts_list_open_and_delete(browser, base_url, session, member):
    user, ws, channel = member
    text = "<script>alert(1)</script> draft ✨ שלום"
    post = Post(workspace_id=ws.id, author_id=user.id, body=text, status="draft")
    session.add(post)
    session.flush()
    session.add(PostTarget(workspace_id=ws.id, post_id=post.id, channel_id=channel.id, status="draft",
                           idempotency_key="e2e-draft"))
    session.commit()
    post_id = post.id

    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/drafts")
    expect(page.get_by_text(text, exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Ada on Bluesky · draft")).to_be_visible()
    expect(page.get_by_role("link", name=f"Open draft in the composer: {text}")).to_have_attribute(
        "href", f"/compose?post_id={post_id}")
    assert serious(page) == []
    screenshot(page, "drafts-1280")
    narrow = sign_in_as(browser, base_url, user, width=390, height=844)
    narrow.goto(base_url + "/drafts")
    expect(narrow.get_by_text(text)).to_be_visible(timeout=30_000)
    screenshot(narrow, "drafts-390")
    narrow.context.close()

    page.get_by_role("button", name=f"Delete draft: {text}").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Delete this draft?")
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_text(text, exact=True)).to_be_visible()
    page.get_by_role("button", name=f"Delete draft: {text}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").dblclick()
    expect(page.get_by_text("No drafts.")).to_be_visible(timeout=10_000)
    session.expire_all()
    assert session.exec(select(Post).where(Post.id == post_id)).first() is None
    page.context.close()
