"""Webhooks in the browser: bad input named next to its field, the secret shown once, a test event that
reaches a real receiver (which checks its signature) and shows as delivered, and delete asks first."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import select

from app.core import crypto
from models import Webhook
from tests.e2e.conftest import goto, screenshot, sign_in_as
from tests.peers.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


@pytest.fixture()
def receiver():
    r = WebhookReceiver("unknown-until-the-page-shows-it").start()
    yield r
    r.stop()


def serious(page) -> list[str]:
    result = Axe().run(page)
    return [f'{v["id"]}: {[n["target"] for n in v["nodes"]]}' for v in result.response["violations"]
            if v.get("impact") in ("serious", "critical")]


def test_owner_adds_a_webhook_and_a_test_event_arrives(browser, base_url, session, member, receiver):
    user, ws, _channel = member
    page = sign_in_as(browser, base_url, user)
    goto(page, base_url + "/settings/workspace")
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible(timeout=30_000)

    # Bad input is named next to its field.
    page.get_by_role("button", name="Add webhook").click()
    expect(page.locator("#webhook_url-error")).to_contain_text("enter the address", timeout=10_000)
    page.get_by_label("Receiver URL").fill(receiver.url)
    page.get_by_role("button", name="Add webhook").click()
    expect(page.locator("#events-error")).to_contain_text("at least one event", timeout=10_000)

    page.get_by_label("Description (optional)").fill("Our CRM")
    page.locator("#event-target\\.published").check()
    page.get_by_role("button", name="Add webhook").click()
    secret_box = page.locator("#webhook-secret")
    expect(secret_box).to_contain_text("whsec_", timeout=10_000)
    expect(page.get_by_label("Receiver URL")).to_have_value("")  # the form is ready for the next one
    expect(page.locator("#event-target\\.published")).not_to_be_checked()
    secret = secret_box.inner_text().strip()
    session.expire_all()
    [hook] = session.exec(select(Webhook).where(Webhook.workspace_id == ws.id)).all()
    assert hook.events == ["target.published"] and hook.description == "Our CRM"
    assert secret not in hook.secret and crypto.decrypt(hook.secret) == secret
    receiver.secret = secret
    screenshot(page, "webhooks-secret-once")

    # Shown once: gone after "Done" and after a reload.
    page.get_by_role("button", name="Done").click()
    expect(secret_box).to_have_count(0)
    goto(page, base_url + "/settings/workspace")
    expect(page.get_by_text(receiver.url)).to_be_visible(timeout=30_000)
    expect(page.locator("#webhook-secret")).to_have_count(0)

    page.get_by_role("button", name=f"Send a test event to {receiver.url}").click()
    row = page.get_by_role("row", name="Delivery webhook.test")
    expect(row.get_by_text("delivered")).to_be_visible(timeout=30_000)
    expect(row.get_by_text("200", exact=True)).to_be_visible()
    [got] = receiver.received
    assert got.signature_ok and got.json["event"] == "webhook.test"
    expect(page.locator("[data-sonner-toast]")).to_have_count(0, timeout=15_000)  # its own contrast
    assert serious(page) == []
    screenshot(page, "webhooks-delivered")

    page.get_by_role("button", name=f"Delete the webhook {receiver.url}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("No webhooks yet.")).to_be_visible(timeout=10_000)
    session.expire_all()
    assert session.exec(select(Webhook).where(Webhook.workspace_id == ws.id)).all() == []


def test_a_phone_sees_the_section_without_sideways_scrolling(browser, base_url, member):
    user, _ws, _channel = member
    page = sign_in_as(browser, base_url, user, width=390, height=844)
    goto(page, base_url + "/settings/workspace")
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.get_by_role("heading", name="Webhooks").scroll_into_view_if_needed()
    screenshot(page, "webhooks-390")
