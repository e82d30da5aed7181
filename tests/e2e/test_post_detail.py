"""A post's page: each target's state and attempts in the network's own words, retry, live updates."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests import support
from tests.e2e.conftest import screenshot, sign_in_as
from tests.engine_support import wait_for
from tests.factories import make_channel, make_target
from tests.peers.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result.response["violations"] if v.get("impact") in ("serious", "critical")]


@pytest.fixture()
def failed_post(session, member):
    from app.services.planning import statuses
    from models import PostTarget, PublishAttempt

    user, ws, channel = member
    when = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)  # 10:30 in Berlin
    failed = make_target(session, channel, scheduled_at=when, status="failed", author=user,
                         body="Launch day! <img src=x onerror=alert(1)> مرحبا 👋")
    failed.attempts, failed.last_error = 2, "InvalidRequest: Record/text must not be longer than 300 graphemes"
    session.add(failed)
    for number, outcome, status, error in (
        (1, "transient_error", 503, "UpstreamFailure: service unavailable, try again later"),
        (2, "permanent_error", 400, "InvalidRequest: Record/text must not be longer than 300 graphemes"),
    ):
        session.add(PublishAttempt(workspace_id=ws.id, target_id=failed.id, number=number, outcome=outcome,
                                   http_status=status, error=error,
                                   started_at=when + timedelta(minutes=number),
                                   finished_at=when + timedelta(minutes=number, seconds=1)))
    room = make_channel(session, ws, "matrix", name="Team room", account="@ada:matrix.test")
    published = PostTarget(workspace_id=ws.id, post_id=failed.post_id, channel_id=room.id, scheduled_at=when,
                           published_at=when, status="published", remote_url="https://matrix.to/#/!room/$event",
                           idempotency_key=secrets.token_hex(16), attempts=1)
    session.add(published)
    session.flush()
    session.add(PublishAttempt(workspace_id=ws.id, target_id=published.id, number=1, outcome="published",
                               http_status=200, started_at=when, finished_at=when + timedelta(seconds=1)))
    statuses.refresh_post_status(session, failed.post_id)  # one failed, one published: as the engine leaves it
    session.commit()
    return user, failed, published


def test_post_detail_shows_attempts_and_retry_works(browser, base_url, failed_post, session):
    from models import PostTarget

    user, failed, _ = failed_post
    page = sign_in_as(browser, base_url, user)
    page.goto(f"{base_url}/posts/{failed.post_id}")
    expect(page.get_by_role("heading", name="Ada on Bluesky")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Launch day! <img src=x onerror=alert(1)> مرحبا 👋").first).to_be_visible()
    attempts = page.get_by_role("list", name="Publish attempts").filter(has_text="UpstreamFailure")
    expect(attempts.get_by_role("listitem")).to_have_count(2)
    expect(attempts.get_by_role("listitem").first).to_contain_text("HTTP 503")
    expect(attempts).to_contain_text("UpstreamFailure: service unavailable")
    expect(page.get_by_text("Scheduled for Thu 15 Jan 2026, 10:30")).to_be_visible()  # Berlin time
    expect(page.get_by_role("alert").or_(page.locator(".rt-CalloutRoot")).first).to_contain_text(
        "must not be longer than 300 graphemes")
    room = page.get_by_role("heading", name="Team room")
    expect(room).to_be_visible()
    expect(page.get_by_role("link", name="View the post")).to_have_attribute(
        "href", "https://matrix.to/#/!room/$event")
    # the actions its states allow: retry the failed one; cancelling stops only what is not published
    expect(page.get_by_role("button", name="Cancel the rest")).to_be_visible()
    expect(page.get_by_role("button", name="Publish now")).to_have_count(0)
    screenshot(page, "post-detail")
    problems = _serious(page)
    assert problems == [], "\n".join(problems)

    page.get_by_role("button", name="Retry").dblclick()
    expect(page.get_by_text("Retrying now.").first).to_be_visible(timeout=15_000)
    session.expire_all()
    target = session.get(PostTarget, failed.id)
    assert target.options.get("attempts_before_retry") == 2
    assert target.status != "failed" or target.attempts > 2  # queued again (or already tried again)
    page.context.close()


def test_target_turns_published_without_reload(browser, base_url, member, session):
    from models import PostTarget

    user, _, channel = member
    target = make_target(session, channel, scheduled_at=datetime.now(UTC), status="publishing", author=user,
                         body="Going out now")
    page = sign_in_as(browser, base_url, user)
    page.goto(f"{base_url}/posts/{target.post_id}")
    expect(page.get_by_text("Updating live")).to_be_visible(timeout=30_000)
    row = session.get(PostTarget, target.id)
    row.status, row.published_at = "published", datetime.now(UTC)
    row.remote_url = "https://bsky.app/profile/ada.test/post/3k"
    session.add(row)
    session.commit()
    expect(page.get_by_role("link", name="View the post")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("Updating live")).to_have_count(0)


def test_post_detail_on_a_phone_and_unknown_post(browser, base_url, failed_post):
    user, failed, _ = failed_post
    page = sign_in_as(browser, base_url, user, width=390, height=844)
    page.goto(f"{base_url}/posts/{failed.post_id}")
    expect(page.get_by_role("heading", name="Ada on Bluesky")).to_be_visible(timeout=30_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "post-detail-phone")
    page.goto(f"{base_url}/posts/00000000-0000-0000-0000-000000000000")
    expect(page.get_by_text("This post cannot be shown")).to_be_visible(timeout=30_000)
    page.context.close()


HOOK_SECRET = "a-signing-secret-for-the-page-test"


@pytest.fixture()
def beat(app_env) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery beat` (the dispatcher's tick every second), as `quillcast beat` runs it."""
    workdir = support.ROOT / "data" / "test"
    workdir.mkdir(parents=True, exist_ok=True)
    schedule = workdir / f"beat-{secrets.token_hex(3)}"
    log = workdir / f"{schedule.name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [str(support.BIN / "celery"), "-A", "tasks", "beat", "--schedule", str(schedule),
             "--loglevel", "INFO"],
            cwd=support.ROOT, env=app_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    yield process
    os.killpg(process.pid, 15)
    process.wait(20)
    for leftover in workdir.glob(f"{schedule.name}*"):
        leftover.unlink(missing_ok=True)


@pytest.fixture()
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver(HOOK_SECRET).start()
    yield r
    r.stop()


def test_a_scheduled_post_turns_published_live_when_the_dispatcher_and_worker_send_it(
        browser, base_url, member, session, receiver, beat):
    """The newcomer's case: a post due in a few seconds, its page open (at 1280 and at 390 px). The real
    beat ticks the dispatcher, the real worker publishes to a webhook channel (a real HTTP receiver); both
    pages turn published with the post's link within a second, without a reload, and "Publish now" goes."""
    from app.core import crypto
    from models import PostTarget

    user, ws, _ = member
    hook = make_channel(session, ws, "webhook", name="Launch hook", account="127.0.0.1",
                        credentials=crypto.encrypt(json.dumps({"url": receiver.url, "secret": HOOK_SECRET})))
    target = make_target(session, hook, scheduled_at=datetime.now(UTC) + timedelta(seconds=12),
                         status="scheduled", author=user, body="Doors open at nine")
    pages = [sign_in_as(browser, base_url, user), sign_in_as(browser, base_url, user, width=390, height=844)]
    for page, name in zip(pages, ("post-scheduled", "post-scheduled-phone"), strict=True):
        page.goto(f"{base_url}/posts/{target.post_id}")
        card = page.get_by_role("heading", name="Launch hook")
        expect(card).to_be_visible(timeout=30_000)
        expect(page.get_by_role("button", name="Publish now")).to_be_visible()
        expect(page.get_by_role("button", name="Cancel post")).to_be_visible()
        expect(page.get_by_text("Scheduled for")).to_be_visible()
        page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded
        screenshot(page, name)

    def published() -> bool:
        session.expire_all()
        return session.get(PostTarget, target.id).status == "published"

    assert wait_for(published, timeout=60, every=0.05), "the beat and worker did not publish the post"
    went_out = time.monotonic()
    for page in pages:
        expect(page.get_by_role("link", name="View the post")).to_have_attribute(
            "href", "https://example.org/p", timeout=5_000)
    shown = time.monotonic() - went_out
    for page, name in zip(pages, ("post-published", "post-published-phone"), strict=True):
        expect(page.get_by_text(re.compile(r"^Published \w{3} \d{2} \w{3} \d{4}, \d{2}:\d{2}$"))).to_be_visible()
        expect(page.get_by_role("button", name="Publish now")).to_have_count(0)
        expect(page.get_by_role("button", name="Cancel post")).to_have_count(0)  # nothing left to stop
        expect(page.get_by_role("button", name="Edit")).to_have_count(0)
        assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        screenshot(page, name)
        page.context.close()
    assert len(receiver.received) == 1 and receiver.received[0].signature_ok
    assert shown < 1.5, f"the pages showed the published post {shown:.2f} s after it went out"


def test_the_actions_follow_a_failure_live(browser, base_url, member, session):
    """Status changes the page did not cause (the worker gives up) bring their own actions: retry."""
    from models import PostTarget

    user, _, channel = member
    target = make_target(session, channel, scheduled_at=datetime.now(UTC), status="publishing", author=user,
                         body="Will not fit")
    page = sign_in_as(browser, base_url, user)
    page.goto(f"{base_url}/posts/{target.post_id}")
    expect(page.get_by_text("Updating live")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    row = session.get(PostTarget, target.id)
    row.status, row.last_error = "failed", "InvalidRequest: Record/text must not be longer than 300 graphemes"
    session.add(row)
    session.commit()
    expect(page.get_by_role("button", name="Retry")).to_be_visible(timeout=3_000)
    expect(page.get_by_text("must not be longer than 300 graphemes")).to_be_visible()
    expect(page.get_by_text("Updating live")).to_have_count(0)
    page.context.close()
