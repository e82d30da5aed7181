"""Ideas board in the browser: add (HTML shown as text, a double click = one card), an empty title named
next to its field with the notes kept, edit, archive, and "turn into post" pointing at the composer."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import select

from models import Idea
from tests.e2e.conftest import screenshot, sign_in_as

pytestmark = pytest.mark.e2e


def serious(page) -> list[str]:
    result = Axe().run(page)
    return [f'{v["id"]}: {[n["target"] for n in v["nodes"]]}' for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def test_ideas_board(browser, base_url, session, member):
    user, ws, _channel = member
    page = sign_in_as(browser, base_url, user)
    page.on("dialog", lambda d: (_ for _ in ()).throw(AssertionError("a script ran: " + d.message)))
    page.goto(base_url + "/ideas")
    expect(page.get_by_role("heading", name="Ideas", level=1)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("No ideas yet.")).to_be_visible()

    # Empty title: named next to the field; the notes typed are kept.
    page.get_by_label("Notes", exact=True).fill("keep these notes \u200b مرحبا 🎉")
    page.get_by_role("button", name="Add idea").click()
    expect(page.locator("#title-error")).to_contain_text("write a few words", timeout=10_000)
    expect(page.get_by_label("Notes", exact=True)).to_have_value("keep these notes \u200b مرحبا 🎉")

    # A 100 KB paste into the title: refused with the limit, nothing saved.
    page.get_by_label("Title", exact=True).fill("x" * 100_000)
    page.get_by_role("button", name="Add idea").click()
    expect(page.locator("#title-error")).to_contain_text("at most 200 characters", timeout=10_000)

    title = "<img src=x onerror=alert(1)> Launch thread"
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_role("button", name="Add idea").dblclick()
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=10_000)
    expect(page.get_by_label("Title", exact=True)).to_have_value("")
    session.expire_all()
    rows = session.exec(select(Idea).where(Idea.workspace_id == ws.id)).all()
    assert [(i.title, i.notes) for i in rows] == [(title, "keep these notes \u200b مرحبا 🎉")]
    link = page.get_by_role("link", name=f"Turn into post: {title}")
    expect(link).to_have_attribute("href", f"/compose?idea={rows[0].id}")
    assert serious(page) == []
    screenshot(page, "ideas-1280")

    # Edit in a dialog; an empty title is refused there too.
    page.get_by_role("button", name=f"Edit {title}").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Title", exact=True).fill("   ")
    dialog.get_by_role("button", name="Save idea").click()
    expect(dialog.locator("#edit_title-error")).to_be_visible(timeout=10_000)
    screenshot(page, "ideas-edit-error")
    dialog.get_by_label("Title", exact=True).fill("Launch thread, v2")
    dialog.get_by_role("button", name="Save idea").click()
    expect(page.get_by_role("heading", name="Launch thread, v2")).to_be_visible(timeout=10_000)

    page.get_by_role("button", name="Archive Launch thread, v2").click()
    expect(page.get_by_text("No ideas yet.")).to_be_visible(timeout=10_000)
    page.context.close()

    narrow = sign_in_as(browser, base_url, user, width=390, height=844)
    narrow.goto(base_url + "/ideas")
    expect(narrow.get_by_role("heading", name="New idea")).to_be_visible(timeout=30_000)
    narrow.get_by_label("Title", exact=True).fill("A card on a phone")
    narrow.get_by_role("button", name="Add idea").click()
    expect(narrow.get_by_role("heading", name="A card on a phone")).to_be_visible(timeout=10_000)
    screenshot(narrow, "ideas-390")
    narrow.context.close()
