"""Channels page in the browser: list, connect to the REAL Bluesky PDS (tests/peers), the network's error
next to the field, a double-clicked Connect making one channel, disconnect with a confirmation, and
controls hidden from roles without channel:manage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import select

from models import Channel, Membership
from tests.e2e.conftest import screenshot, sign_in_as
from tests.factories import make_user
from tests.peers.conftest import bluesky_pds  # noqa: F401 - the real PDS fixture

pytestmark = pytest.mark.e2e


def serious(page) -> list[str]:
    result = Axe().run(page)
    return [f'{v["id"]}: {[n["target"] for n in v["nodes"]]}' for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def test_connect_a_bluesky_channel_to_the_real_pds(browser, base_url, session, member, bluesky_pds):  # noqa: F811
    user, ws, _channel = member
    account = bluesky_pds.create_account()
    page = sign_in_as(browser, base_url, user)
    page.goto(base_url + "/channels")
    expect(page.get_by_role("heading", name="Channels", level=1)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Ada on Bluesky")).to_be_visible()
    expect(page.get_by_label("PDS URL")).to_have_value("https://bsky.social")
    assert serious(page) == []

    # Empty: each required field says so, nothing is sent.
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator("#identifier-error")).to_have_text("required")
    expect(page.locator("#app_password-error")).to_have_text("required")

    # A wrong app password: the PDS's own refusal, next to the app password field.
    page.get_by_label("Handle").fill(account.handle)
    page.get_by_label("App password").fill("wrong-password-1234")
    page.get_by_label("PDS URL").fill(bluesky_pds.url)
    page.get_by_label("Channel name (optional)").fill("<script>alert(1)</script> نشر ✨")
    page.get_by_role("button", name="Connect", exact=True).click()
    error = page.locator("#app_password-error")
    expect(error).to_contain_text("Bluesky refused these credentials", timeout=20_000)
    screenshot(page, "channels-wrong-password")
    assert serious(page) == []

    # The right one, double-clicked: connected once, listed, the name shown as text.
    page.get_by_label("App password").fill(account.app_password)
    page.get_by_role("button", name="Connect", exact=True).dblclick()
    expect(page.get_by_text("<script>alert(1)</script> نشر ✨")).to_be_visible(timeout=20_000)
    expect(page.get_by_text(account.handle, exact=True)).to_be_visible()
    expect(page.locator("#app_password-error")).to_have_count(0)
    session.expire_all()
    rows = session.exec(select(Channel).where(Channel.workspace_id == ws.id, Channel.account == account.handle)).all()
    assert len(rows) == 1 and rows[0].status == "active"
    screenshot(page, "channels-1280")

    # Re-connect the new channel: a wrong app password is refused next to the field; the right one works.
    page.get_by_role("button", name=f"Re-connect {account.handle}").click()
    expect(page.get_by_role("heading", name="Re-connect a channel")).to_be_visible()
    page.get_by_label("Handle").fill(account.handle)
    page.get_by_label("App password").fill("still-wrong-5678")
    page.get_by_label("PDS URL").fill(bluesky_pds.url)
    page.get_by_role("button", name="Re-connect", exact=True).click()
    expect(page.locator("#app_password-error")).to_contain_text("refused", timeout=20_000)
    page.get_by_label("App password").fill(account.app_password)
    page.get_by_role("button", name="Re-connect", exact=True).click()
    expect(page.get_by_role("heading", name="Connect a channel")).to_be_visible(timeout=20_000)

    # X connects through its sign-in page; without X_CLIENT_ID the server says what an operator must do.
    page.get_by_label("Network").select_option("x")
    page.get_by_role("button", name="Continue to sign in").click()
    expect(page.locator("#network-error")).to_contain_text("X_CLIENT_ID", timeout=10_000)
    page.get_by_label("Network").select_option("mastodon")
    page.get_by_role("button", name="Continue to sign in").click()
    expect(page.locator("#instance-error")).to_contain_text("required")
    page.get_by_label("Network").select_option("bluesky")

    # Disconnect asks first; "Keep it" keeps it, "Disconnect" removes it from the list.
    page.get_by_role("button", name="Disconnect ada.test").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Disconnect this channel?")
    screenshot(page, "channels-disconnect-dialog")
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_text("Ada on Bluesky")).to_be_visible()
    page.get_by_role("button", name="Disconnect ada.test").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disconnect").click()
    expect(page.get_by_text("Ada on Bluesky")).to_have_count(0, timeout=10_000)
    page.context.close()

    narrow = sign_in_as(browser, base_url, user, width=390, height=844)
    narrow.goto(base_url + "/channels")
    expect(narrow.get_by_text(account.handle, exact=True)).to_be_visible(timeout=30_000)
    screenshot(narrow, "channels-390")
    narrow.emulate_media(color_scheme="dark")
    narrow.reload()
    expect(narrow.get_by_text(account.handle, exact=True)).to_be_visible(timeout=30_000)
    screenshot(narrow, "channels-390-dark")
    narrow.context.close()


def test_an_editor_sees_channels_without_the_controls(browser, base_url, session, member):
    _owner, ws, _channel = member
    editor = make_user(session, email_verified_at=datetime.now(UTC))
    session.add(Membership(workspace_id=ws.id, user_id=editor.id, role="editor"))
    session.commit()
    page = sign_in_as(browser, base_url, editor)
    page.goto(base_url + "/channels")
    expect(page.get_by_text("Ada on Bluesky")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Only workspace owners and admins can connect")).to_be_visible()
    expect(page.get_by_role("button", name="Disconnect ada.test")).to_have_count(0)
    expect(page.get_by_role("heading", name="Connect a channel")).to_have_count(0)
    page.context.close()


def test_a_webhook_channel_says_webhook_and_the_form_clears(browser, base_url, session, member):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pings: list[bytes] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            pings.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks/quillcast"
    user, ws, _channel = member
    page = sign_in_as(browser, base_url, user)
    try:
        page.goto(base_url + "/channels")
        expect(page.get_by_text("Ada on Bluesky")).to_be_visible(timeout=30_000)
        page.get_by_label("Network").select_option("webhook")
        page.get_by_label("Webhook URL").fill(url)
        page.get_by_label("Signing secret").fill("a-secret-of-our-own-1234")
        page.get_by_label("Channel name (optional)").fill("Our intranet")
        page.get_by_role("button", name="Connect", exact=True).click()
        card = page.locator(".rt-Card").filter(has_text="Our intranet")
        expect(card).to_be_visible(timeout=20_000)
        expect(card.locator(".rt-Badge").first).to_have_text("Webhook")
        assert pings, "the receiver was not pinged"
        # The form is empty again: nothing typed stays behind (the secret least of all).
        for label in ("Webhook URL", "Signing secret", "Channel name (optional)"):
            expect(page.get_by_label(label)).to_have_value("")
        expect(page.get_by_label("Network")).to_have_value("webhook")
        screenshot(page, "channels-webhook-1280")
        page.set_viewport_size({"width": 390, "height": 844})
        card.scroll_into_view_if_needed()
        screenshot(page, "channels-webhook-390")
    finally:
        page.context.close()
        server.shutdown()
    session.expire_all()
    assert session.exec(select(Channel).where(Channel.workspace_id == ws.id, Channel.network == "webhook")).one()
