"""Two-factor authentication on the account page: the recovery codes can be copied and downloaded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import goto, screenshot, sign_in_as
from tests.factories import make_user

pytestmark = pytest.mark.e2e
PASSWORD = "amber kites drift sideways"  # noqa: S105 - a test account's


def test_recovery_codes_can_be_copied_and_downloaded(browser, base_url, session):
    from app.services.identity import passwords

    user = make_user(session, email_verified_at=datetime.now(UTC), display_name="Ada Lovelace",
                     password_hash=passwords.hash_password(PASSWORD))
    page = sign_in_as(browser, base_url, user)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    goto(page, base_url + "/account")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Set up two-factor authentication").click()
    key = page.locator("#manual-key")
    expect(key).to_be_visible(timeout=30_000)
    page.get_by_label("2. Enter the 6-digit code the app shows").fill(pyotp.TOTP(key.inner_text().strip()).now())
    page.get_by_role("button", name="Turn on").click()
    box = page.locator("#recovery-codes")
    expect(box).to_be_visible(timeout=30_000)
    codes = [c.strip() for c in box.locator("code").all_inner_texts()]
    assert len(codes) == 10 and all(codes)

    page.get_by_role("button", name="Copy all").click()
    expect(page.get_by_text("Recovery codes copied to the clipboard.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert [line for line in copied.splitlines() if line in codes] == codes

    with page.expect_download() as info:
        page.get_by_role("button", name="Download .txt").click()
    download = info.value
    assert download.suggested_filename == "quillcast-recovery-codes.txt"
    saved = Path(download.path()).read_text(encoding="utf-8")
    assert [line for line in saved.splitlines() if line in codes] == codes
    assert user.email in saved
    screenshot(page, "account-2fa-codes-1280")

    page.set_viewport_size({"width": 390, "height": 844})
    box.scroll_into_view_if_needed()
    screenshot(page, "account-2fa-codes-390")
    page.context.close()
