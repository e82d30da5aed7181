"""Webhooks in the browser: bad input named next to its field, the secret shown once, a test event that
reaches a real receiver (which checks its signature) and shows as delivered, delete asks first, a webhook
is edited in place, and a delivery waiting to retry updates on an open page without a reload."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import select

from app.core import crypto
from app.core.db import session_scope, user_claims
from app.services.events import webhooks
from models import Webhook, WebhookDelivery
from tests.e2e.conftest import goto, screenshot, sign_in_as
from tests.engine_support import wait_for
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
    user, ws, _channel = member
    page = sign_in_as(browser, base_url, user, width=390, height=844)
    goto(page, base_url + "/settings/workspace")
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.get_by_role("heading", name="Webhooks").scroll_into_view_if_needed()
    screenshot(page, "webhooks-390")

    long_url = "https://hooks.example.com/services/T0000/B0000/" + "x" * 60
    with session_scope(user_claims(user.id)) as s:
        webhooks.create(s, user.id, ws.id, long_url, ["target.published"], "Slack #social")
    goto(page, base_url + "/settings/workspace")
    page.get_by_role("button", name=f"Edit the webhook {long_url}").click()
    expect(page.locator("#edit_url")).to_have_value(long_url, timeout=10_000)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.locator("#webhook-edit-form").scroll_into_view_if_needed()
    page.locator("#webhook-edit-form").screenshot(path=str(screenshot(page, "webhooks-edit-390")))


def _stored(session, hook_id) -> Webhook:
    session.expire_all()
    hook = session.get(Webhook, hook_id)
    assert hook is not None
    return hook


def test_owner_edits_a_webhook_in_place(browser, base_url, session, member, receiver):
    user, ws, _channel = member
    with session_scope(user_claims(user.id)) as s:
        hook, secret = webhooks.create(s, user.id, ws.id, "https://example.com/old", ["target.published"],
                                       "Old CRM")
    page = sign_in_as(browser, base_url, user)
    goto(page, base_url + "/settings/workspace")
    page.get_by_role("button", name="Edit the webhook https://example.com/old").click()

    # The form starts from the webhook's values; the secret is not shown again.
    expect(page.locator("#edit_url")).to_have_value("https://example.com/old", timeout=10_000)
    expect(page.locator("#edit_description")).to_have_value("Old CRM")
    expect(page.locator("#edit-event-target\\.published")).to_be_checked()
    expect(page.locator("#edit-event-target\\.failed")).not_to_be_checked()
    expect(page.locator("#webhook-secret")).to_have_count(0)

    # Every wrong field is named next to itself at once, and nothing is saved.
    page.locator("#edit_url").fill("ftp://example.com/x")
    page.locator("#edit-event-target\\.published").uncheck()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#edit_url-error")).to_contain_text("https://", timeout=10_000)
    expect(page.locator("#edit_events-error")).to_contain_text("at least one event")
    expect(page.locator("#edit_url")).to_have_value("ftp://example.com/x")  # what was typed stays
    assert _stored(session, hook.id).url == "https://example.com/old"
    screenshot(page, "webhooks-edit-errors")

    page.locator("#edit_url").fill(receiver.url)
    page.locator("#edit_description").fill("New CRM")
    page.locator("#edit-event-target\\.failed").check()
    page.locator("#edit-event-post\\.approved").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Webhook saved.")).to_be_visible(timeout=10_000)
    expect(page.locator("#webhook-edit-form")).to_have_count(0)
    expect(page.get_by_text(receiver.url)).to_be_visible()
    expect(page.get_by_text("target.failed, post.approved")).to_be_visible()
    expect(page.locator("#webhook-secret")).to_have_count(0)
    stored = _stored(session, hook.id)
    assert (stored.url, stored.description, stored.events) == (
        receiver.url, "New CRM", ["target.failed", "post.approved"])
    assert crypto.decrypt(stored.secret) == secret  # the receiver keeps verifying with the same secret
    expect(page.locator("[data-sonner-toast]")).to_have_count(0, timeout=15_000)  # its own contrast
    assert serious(page) == []

    # Cancel leaves the webhook as it was.
    page.get_by_role("button", name=f"Edit the webhook {receiver.url}").click()
    expect(page.locator("#edit_url")).to_have_value(receiver.url, timeout=10_000)
    page.locator("#edit_url").fill("https://example.com/not-saved")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#webhook-edit-form")).to_have_count(0)
    expect(page.get_by_text(receiver.url)).to_be_visible()
    assert _stored(session, hook.id).url == receiver.url


def test_a_delivery_waiting_to_retry_updates_while_the_page_is_open(browser, base_url, session, member,
                                                                      receiver):
    user, ws, _channel = member
    with session_scope(user_claims(user.id)) as s:
        hook, secret = webhooks.create(s, user.id, ws.id, receiver.url, ["target.published"])
    receiver.secret = secret
    receiver.script = [(503, {})]
    with session_scope(user_claims(user.id)) as s:
        delivery = webhooks.send_test(s, user.id, ws.id, hook.id)

    def first_attempt_failed() -> bool:
        session.expire_all()
        stored = session.get(WebhookDelivery, delivery.id)
        return stored is not None and stored.attempts == 1 and stored.status == "pending"

    assert wait_for(first_attempt_failed, timeout=30)  # the retry waits 15-30 s (the default backoff)

    page = sign_in_as(browser, base_url, user)
    goto(page, base_url + "/settings/workspace")
    row = page.get_by_role("row", name="Delivery webhook.test")
    expect(row.get_by_text("pending")).to_be_visible(timeout=10_000)
    expect(row.get_by_text("503", exact=True)).to_be_visible()
    expect(row.get_by_text("next try")).to_be_visible()
    screenshot(page, "webhooks-retry-waiting")

    # No reload: the open page follows the retry.
    expect(row.get_by_text("delivered")).to_be_visible(timeout=60_000)
    expect(row.get_by_text("200", exact=True)).to_be_visible()
    expect(row.get_by_text("next try")).to_have_count(0)
    assert [r.signature_ok for r in receiver.received] == [True, True]
