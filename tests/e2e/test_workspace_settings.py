"""Workspace settings in the browser: rename (text shown as text), a bad time zone named next to its
field, the last owner protected, invite (double click = one invitation) and revoke, 2FA policy refused
while the owner has no 2FA, and an editor sees no controls."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import select

from models import Invitation, Membership, Workspace
from tests.e2e.conftest import screenshot, sign_in_as
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def serious(page) -> list[str]:
    result = Axe().run(page)
    return [f'{v["id"]}: {[n["target"] for n in v["nodes"]]}' for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def test_owner_manages_the_workspace(browser, base_url, session, member):
    user, ws, _channel = member
    colleague = make_user(session, email_verified_at=datetime.now(UTC), display_name="Grace Hopper")
    session.add(Membership(workspace_id=ws.id, user_id=colleague.id, role="editor"))
    session.commit()
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/settings/workspace")
    expect(page.get_by_role("heading", name="Workspace settings", level=1)).to_be_visible(timeout=30_000)
    expect(page.get_by_label("Workspace name")).to_have_value("Ada's Studio")
    expect(page.get_by_text("Grace Hopper")).to_be_visible()
    assert serious(page) == []
    screenshot(page, "workspace-settings-1280")

    # A bad time zone: named next to the field; the typed name is not lost.
    page.get_by_label("Workspace name").fill("<b>Ada</b> ✨ ستوديو")
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#timezone-error")).to_be_visible(timeout=10_000)
    expect(page.get_by_label("Workspace name")).to_have_value("<b>Ada</b> ✨ ستوديو")
    screenshot(page, "workspace-settings-error")
    page.get_by_label("Time zone").fill("America/New_York")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Workspace saved.")).to_be_visible(timeout=10_000)
    session.expire_all()
    saved = session.get(Workspace, ws.id)
    assert saved is not None and (saved.name, saved.timezone) == ("<b>Ada</b> ✨ ستوديو", "America/New_York")

    # The last owner cannot demote themself: the service's words next to the member.
    page.get_by_label(f"Role of {user.email}").select_option("admin")
    expect(page.get_by_text("last owner")).to_be_visible(timeout=10_000)
    expect(page.get_by_label(f"Role of {user.email}")).to_have_value("owner")
    page.get_by_label(f"Role of {colleague.email}").select_option("viewer")
    expect(page.get_by_label(f"Role of {colleague.email}")).to_have_value("viewer", timeout=10_000)

    # 2FA cannot be required by an owner without 2FA.
    page.get_by_label("Require two-factor authentication of every member").click()
    expect(page.locator("#require_2fa-error")).to_contain_text("two-factor", timeout=10_000)

    # Invite: an empty address is named; a double click sends one invitation; revoke it.
    page.get_by_role("button", name="Invite").click()
    expect(page.locator("#email-error")).to_be_visible(timeout=10_000)
    page.get_by_label("E-mail address").fill("new.person@example.com")
    page.get_by_label("Role", exact=True).select_option("contributor")
    page.get_by_role("button", name="Invite").dblclick()
    expect(page.get_by_text("new.person@example.com")).to_be_visible(timeout=10_000)
    session.expire_all()
    open_invites = session.exec(select(Invitation).where(Invitation.workspace_id == ws.id,
                                                         Invitation.revoked_at.is_(None))).all()  # type: ignore[union-attr]
    assert [(i.email, i.role) for i in open_invites] == [("new.person@example.com", "contributor")]

    # Remove asks first.
    page.get_by_role("button", name=f"Remove {colleague.email}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Remove").click()
    expect(page.get_by_text("Grace Hopper")).to_have_count(0, timeout=10_000)

    page.get_by_role("button", name="Revoke invitation to new.person@example.com").click()
    expect(page.get_by_text("No pending invitations.")).to_be_visible(timeout=10_000)
    page.context.close()

    narrow = sign_in_as(browser, base_url, user, width=390, height=844)
    narrow.goto(base_url + "/settings/workspace")
    expect(narrow.get_by_label("Workspace name")).to_have_value("<b>Ada</b> ✨ ستوديو", timeout=30_000)
    screenshot(narrow, "workspace-settings-390")
    narrow.context.close()


def test_an_editor_sees_settings_read_only(browser, base_url, session, member):
    _owner, ws, _channel = member
    editor = make_user(session, email_verified_at=datetime.now(UTC))
    session.add(Membership(workspace_id=ws.id, user_id=editor.id, role="editor"))
    session.commit()
    page = sign_in_as(browser, base_url, editor)
    page.goto(base_url + "/settings/workspace")
    expect(page.get_by_label("Workspace name")).to_be_disabled(timeout=30_000)
    expect(page.get_by_role("button", name="Save", exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Invitations")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove", exact=False)).to_have_count(0)
    page.context.close()


def test_audit_log_pages_for_admins_only(browser, base_url, session, member):
    from app.services import audit

    owner, ws, _channel = member
    for i in range(30):  # each sentence names its own entry, in markup that must show as text
        audit.record(session, "workspace.renamed", actor_id=owner.id, workspace_id=ws.id,
                     subject_type="workspace", subject_id=ws.id, old="Before", new=f"<b>entry {i}</b>")
    session.commit()
    page = sign_in_as(browser, base_url, owner)
    page.goto(base_url + "/settings/workspace")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Page 1")).to_be_visible()
    expect(page.get_by_text("Ada Lovelace renamed the workspace from “Before” to “<b>entry 29</b>”")).to_be_visible()
    expect(page.get_by_role("button", name="Newer")).to_be_disabled()
    assert serious(page) == []
    screenshot(page, "audit-1280")
    page.get_by_role("button", name="Older").click()
    expect(page.get_by_text("Page 2")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("“<b>entry 0</b>”", exact=False)).to_be_visible()
    page.get_by_role("button", name="Newer").click()
    expect(page.get_by_text("Page 1")).to_be_visible(timeout=10_000)
    page.context.close()

    narrow = sign_in_as(browser, base_url, owner, width=390, height=844)
    narrow.goto(base_url + "/settings/audit")
    expect(narrow.get_by_text("Page 1")).to_be_visible(timeout=30_000)
    screenshot(narrow, "audit-390")
    narrow.context.close()

    editor = make_user(session, email_verified_at=datetime.now(UTC))
    session.add(Membership(workspace_id=ws.id, user_id=editor.id, role="editor"))
    session.commit()
    page = sign_in_as(browser, base_url, editor)
    page.goto(base_url + "/settings/audit")
    expect(page.get_by_role("alert")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("entry 29", exact=False)).to_have_count(0)
    page.context.close()


def test_audit_log_reads_as_sentences_in_the_workspaces_time_zone(browser, base_url, session, member):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from app.core.db import session_scope, user_claims
    from app.services.planning import posts
    from models import AuditLog
    from tests.factories import make_channel

    owner, ws, _channel = member  # Ada Lovelace, Europe/Berlin
    main_sky = make_channel(session, ws, "bluesky", name="Main Sky", account="main.test")
    day = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=3)
    with session_scope(user_claims(owner.id)) as s:
        post = posts.create_post(s, owner.id, ws.id, body="Hello", targets=[posts.TargetInput(main_sky.id)])
    with session_scope(user_claims(owner.id)) as s:
        posts.schedule_post(s, owner.id, post.id, local_time=datetime(day.year, day.month, day.day, 9, 30),
                            timezone="Europe/Berlin")
    session.expire_all()
    entry = session.exec(select(AuditLog).where(AuditLog.workspace_id == ws.id,
                                                AuditLog.action == "post.scheduled")).one()
    local = entry.created_at.astimezone(ZoneInfo("Europe/Berlin"))
    when = f"{local.day} {local:%b %Y, %H:%M}"

    for width, height in ((1280, 800), (390, 844)):
        page = sign_in_as(browser, base_url, owner, width=width, height=height)
        page.goto(base_url + "/settings/audit")
        row = page.locator(".audit-entry").filter(has_text="scheduled a post")
        expect(row).to_contain_text(
            f"Ada Lovelace scheduled a post for Main Sky, to go out {day.day} {day:%b %Y}, 09:30", timeout=30_000)
        expect(row).to_contain_text(when)  # the entry's own time, in Berlin time
        expect(row).not_to_contain_text("post.scheduled")
        expect(page.get_by_text("Europe/Berlin", exact=True)).to_be_visible()
        screenshot(page, f"audit-sentences-{width}")
        page.context.close()
