"""Outgoing event webhooks end to end: the service records deliveries, a REAL Celery worker POSTs them to a
real HTTP receiver on loopback (tests/peers/receiver.py) that checks every HMAC signature.

The worker runs with a short backoff (WEBHOOK_BACKOFF_BASE_SECONDS) and its own broker dbs, so a worker of
another test module never takes these tasks. Workspace actions run under the acting user's claims (RLS on).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from sqlalchemy import text
from sqlmodel import Session, select

from app.core import crypto, db, jobs
from app.core.config import get_settings
from app.core.db import session_scope, user_claims
from app.services.delivery import publishing, reconciler
from app.services.errors import NotFound, PermissionDenied, ValidationFailed
from app.services.events import webhook_delivery, webhook_events, webhooks
from app.services.planning import posts
from models import Membership, User, Webhook, WebhookDelivery, Workspace
from tests import support
from tests.engine_support import queued_target, sink_channel, wait_for
from tests.factories import make_user, make_workspace
from tests.peers.receiver import WebhookReceiver
from tests.sink import Sink
from tests.sink import connector_for as sink_connector_for

WORKER_ENV = {"WEBHOOK_BACKOFF_BASE_SECONDS": "1", "PYTHONPATH": str(support.ROOT)}
ALL_EVENTS = ["target.published", "target.failed", "target.unknown", "post.approval_requested",
              "post.approved", "post.changes_requested"]


@pytest.fixture(scope="module")
def worker(app_env, servers) -> Iterator[support.CeleryWorker]:
    from tests.conftest import _reset_clients

    base = f"{servers.redis_base_url}/1"
    for n in (1, 2, 3):
        redis_lib.Redis.from_url(f"{servers.redis_base_url}/{n}").flushdb()
    saved = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = base
    _reset_clients()
    w = support.CeleryWorker({**os.environ, **WORKER_ENV}, concurrency=2).start()
    yield w
    w.stop()
    os.environ["REDIS_URL"] = saved or ""
    _reset_clients()


@pytest.fixture()
def no_enqueue(monkeypatch) -> list[tuple]:
    """For tests of what is recorded: deliveries to example.com must not reach a worker."""
    sent: list[tuple] = []
    monkeypatch.setattr(jobs, "send", lambda *args, **kw: sent.append(args))
    return sent


@pytest.fixture()
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver("set-once-the-webhook-exists").start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    s = Sink().start()
    yield s
    s.stop()


def _as(user: User):
    return session_scope(user_claims(user.id))


def _member(session: Session, ws: Workspace, role: str) -> User:
    user = make_user(session, display_name=role.capitalize())
    session.add(Membership(workspace_id=ws.id, user_id=user.id, role=role))
    session.commit()
    return user


def _hook(owner: User, ws: Workspace, receiver: WebhookReceiver, events=None) -> Webhook:
    with _as(owner) as s:
        hook, secret = webhooks.create(s, owner.id, ws.id, receiver.url, events or ALL_EVENTS, "CRM")
    receiver.secret = secret
    return hook


def _deliveries(session: Session, hook: Webhook) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.exec(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
                             .order_by(WebhookDelivery.created_at)).all())  # type: ignore[arg-type]


def _settled(session: Session, hook: Webhook, count: int = 1):
    return lambda: (len(d := _deliveries(session, hook)) >= count
                    and all(x.status != "pending" for x in d))


def test_a_published_target_is_delivered_signed_with_its_live_url(worker, receiver, sink, session):
    owner, ws, channel, _ = sink_channel(session, sink)
    hook = _hook(owner, ws, receiver)
    target = queued_target(session, channel, author=owner)
    publishing.set_connector_resolver(sink_connector_for)
    try:
        assert publishing.publish_target(target.id) == "published"
    finally:
        publishing.set_connector_resolver(None)

    assert wait_for(_settled(session, hook), timeout=30)
    [delivery] = _deliveries(session, hook)
    assert (delivery.status, delivery.event, delivery.attempts, delivery.http_status) == (
        "delivered", "target.published", 1, 200)
    [got] = receiver.received
    assert got.signature_ok
    assert got.headers["X-Quillcast-Event"] == "target.published"
    assert got.headers["X-Quillcast-Delivery"] == str(delivery.id) == got.json["id"]
    data = got.json["data"]
    assert data["target"]["url"] == f"{sink.url}/posts/{target.idempotency_key}"
    assert data["channel"] == {"id": str(channel.id), "name": channel.name, "network": "bluesky"}
    assert data["post"]["link"].endswith(f"/posts/{target.post_id}")
    session.expire_all()
    assert session.get(Webhook, hook.id).last_status == "delivered"  # type: ignore[union-attr]


def test_a_receiver_error_is_retried_and_delivered_once(worker, receiver, session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    hook = _hook(owner, ws, receiver)
    receiver.script = [(500, {})]
    with _as(owner) as s:
        webhooks.send_test(s, owner.id, ws.id, hook.id)

    assert wait_for(_settled(session, hook), timeout=30)
    [delivery] = _deliveries(session, hook)
    assert (delivery.status, delivery.attempts, delivery.http_status) == ("delivered", 2, 200)
    assert [r.signature_ok for r in receiver.received] == [True, True]
    # The same delivery id and the same bytes both times: the receiver can drop a repeat.
    assert {r.headers["X-Quillcast-Delivery"] for r in receiver.received} == {str(delivery.id)}
    assert receiver.received[0].body == receiver.received[1].body
    assert receiver.received[0].json["event"] == "webhook.test"


def test_a_gone_receiver_fails_the_delivery_without_retrying(worker, receiver, session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    hook = _hook(owner, ws, receiver)
    receiver.status = 410
    with _as(owner) as s:
        webhooks.send_test(s, owner.id, ws.id, hook.id)

    assert wait_for(_settled(session, hook), timeout=30)
    [delivery] = _deliveries(session, hook)
    assert (delivery.status, delivery.attempts, delivery.http_status) == ("failed", 1, 410)
    assert wait_for(lambda: len(receiver.received) > 1, timeout=3) is False  # no retry came
    session.expire_all()
    assert session.get(Webhook, hook.id).last_status == "failed"  # type: ignore[union-attr]


def test_a_429_waits_at_least_its_retry_after(worker, receiver, session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    hook = _hook(owner, ws, receiver)
    receiver.script = [(429, {"Retry-After": "3"})]
    with _as(owner) as s:
        webhooks.send_test(s, owner.id, ws.id, hook.id)

    assert wait_for(_settled(session, hook), timeout=30)
    assert len(receiver.received) == 2
    first, second = (float(r.headers["X-Quillcast-Timestamp"]) for r in receiver.received)
    assert second - first >= 2  # whole seconds in the header: 3 s apart can read as 2
    [delivery] = _deliveries(session, hook)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_emit_tells_only_active_webhooks_subscribed_to_the_event(session, no_enqueue):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    with _as(owner) as s:
        published, _ = webhooks.create(s, owner.id, ws.id, "https://example.com/a", ["target.published"])
        failed, _ = webhooks.create(s, owner.id, ws.id, "https://example.com/b", ["target.failed"])
        paused, _ = webhooks.create(s, owner.id, ws.id, "https://example.com/c", ["target.published"])
        webhooks.update(s, owner.id, ws.id, paused.id, active=False)
    with session_scope() as s:
        assert webhook_events.emit(s, ws.id, "target.published", {"x": 1}) == 1
    assert [d.event for d in _deliveries(session, published)] == ["target.published"]
    assert _deliveries(session, failed) == [] and _deliveries(session, paused) == []


def test_approval_steps_are_emitted_even_when_a_contributor_acts(session, sink, no_enqueue):
    """A contributor cannot read webhooks (RLS), yet their submission reaches the admins' webhook."""
    owner, ws, channel, _ = sink_channel(session, sink)
    contributor = _member(session, ws, "contributor")
    with _as(owner) as s:
        hook, _ = webhooks.create(s, owner.id, ws.id, "https://example.com/hook", ALL_EVENTS)
    publishing.set_connector_resolver(sink_connector_for)
    try:
        with _as(contributor) as s:
            post = posts.create_post(s, contributor.id, ws.id, body="Launch day",
                                     targets=[posts.TargetInput(channel.id)])
        when = datetime.now() + timedelta(days=3)  # noqa: DTZ005 - a wall-clock time in the zone below
        with _as(contributor) as s:
            posts.schedule_post(s, contributor.id, post.id, local_time=when, timezone="UTC")
        with _as(owner) as s:
            posts.request_changes(s, owner.id, post.id, "Add the price")
    finally:
        publishing.set_connector_resolver(None)
    got = _deliveries(session, hook)
    assert [d.event for d in got] == ["post.approval_requested", "post.changes_requested"]
    assert got[0].payload["data"]["actor"]["name"] == "Contributor"
    assert got[0].payload["data"]["post"]["excerpt"] == "Launch day"
    assert got[1].payload["data"]["comment"] == "Add the price"


def test_another_workspace_cannot_see_or_trigger_a_webhook(session, no_enqueue):
    ada, bob = make_user(session), make_user(session)
    ws_a, ws_b = make_workspace(session, owner=ada), make_workspace(session, owner=bob)
    with _as(ada) as s:
        hook, _ = webhooks.create(s, ada.id, ws_a.id, "https://example.com/a", ALL_EVENTS)
    with _as(bob) as s:
        with pytest.raises(NotFound):
            webhooks.list_webhooks(s, bob.id, ws_a.id)
        with pytest.raises(NotFound):
            webhooks.send_test(s, bob.id, ws_b.id, hook.id)  # his own workspace, her webhook
        with pytest.raises(NotFound):
            webhooks.rotate_secret(s, bob.id, ws_b.id, hook.id)
        assert webhooks.list_webhooks(s, bob.id, ws_b.id) == []
    with session_scope() as s:
        assert webhook_events.emit(s, ws_b.id, "target.published", {}) == 0
    assert _deliveries(session, hook) == [] and no_enqueue == []


def test_editors_cannot_manage_webhooks(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    editor = _member(session, ws, "editor")
    with _as(editor) as s, pytest.raises(PermissionDenied):
        webhooks.create(s, editor.id, ws.id, "https://example.com/a", ALL_EVENTS)


def test_row_level_security_keeps_webhooks_to_their_workspaces_admins(session, no_enqueue):
    ada, bob = make_user(session), make_user(session)
    ws_a, _ = make_workspace(session, owner=ada), make_workspace(session, owner=bob)
    editor = _member(session, ws_a, "editor")
    with _as(ada) as s:
        hook, _ = webhooks.create(s, ada.id, ws_a.id, "https://example.com/a", ALL_EVENTS)
        webhooks.send_test(s, ada.id, ws_a.id, hook.id)

    def count(user: User, table: str) -> int:
        with db.get_engine().connect() as conn:
            conn.execute(text("SELECT set_config('request.jwt.claims', :c, true)"),
                         {"c": json.dumps(user_claims(user.id))})
            return int(conn.execute(text(f"SELECT count(*) FROM {table} WHERE workspace_id = :w"),  # noqa: S608
                                    {"w": ws_a.id}).scalar_one())

    for table in ("webhooks", "webhook_deliveries"):
        assert count(ada, table) == 1
        assert count(bob, table) == 0
        assert count(editor, table) == 0
    with db.get_engine().connect() as conn:
        conn.execute(text("SELECT set_config('request.jwt.claims', :c, true)"),
                     {"c": json.dumps(user_claims(bob.id))})
        changed = conn.execute(text("UPDATE webhooks SET url = 'https://evil.example' WHERE id = :id"),
                               {"id": hook.id}).rowcount
    assert changed == 0


def test_secret_is_stored_encrypted_and_rotation_changes_it(session):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    with _as(owner) as s:
        hook, secret = webhooks.create(s, owner.id, ws.id, "https://example.com/a", ALL_EVENTS)
    assert secret.startswith("whsec_") and len(secret) > 40
    session.expire_all()
    stored = session.get(Webhook, hook.id)
    assert stored is not None and secret not in stored.secret
    with _as(owner) as s:
        new = webhooks.rotate_secret(s, owner.id, ws.id, hook.id)
    assert new != secret


@pytest.mark.parametrize(("url", "events", "field", "words"), [
    ("", ALL_EVENTS, "url", "enter the address"),
    ("not a url", ALL_EVENTS, "url", "https://"),
    ("ftp://example.com/x", ALL_EVENTS, "url", "https://"),
    ("https://example.com/" + "x" * 3000, ALL_EVENTS, "url", "at most 2048"),
    ("https://example.com/a", [], "events", "at least one event"),
    ("https://example.com/a", ["post.deleted"], "events", "unknown event"),
])
def test_bad_input_names_the_field(session, url, events, field, words):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    with _as(owner) as s, pytest.raises(ValidationFailed) as err:
        webhooks.create(s, owner.id, ws.id, url, events)
    assert err.value.field == field and words in err.value.message


def test_production_refuses_plain_http_and_private_addresses(session, monkeypatch):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    monkeypatch.setattr(get_settings(), "environment", "production")
    monkeypatch.setattr(get_settings(), "allow_private_endpoints", None)
    with _as(owner) as s:
        with pytest.raises(ValidationFailed) as err:
            webhooks.create(s, owner.id, ws.id, "http://example.com/hook", ALL_EVENTS)
        assert err.value.field == "url" and "https://" in err.value.message
        with pytest.raises(ValidationFailed) as err:
            webhooks.create(s, owner.id, ws.id, "https://127.0.0.1:8443/hook", ALL_EVENTS)
        assert err.value.field == "url" and "private address" in err.value.message


def test_delivery_refuses_an_address_that_became_private(session, receiver, monkeypatch, no_enqueue):
    """Checked again when sending: the name may resolve elsewhere by then (or the rules changed)."""
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    hook = _hook(owner, ws, receiver)
    with _as(owner) as s:
        delivery = webhooks.send_test(s, owner.id, ws.id, hook.id)
    monkeypatch.setattr(get_settings(), "allow_private_endpoints", False)
    assert webhook_delivery.deliver(delivery.id) == "failed"
    assert receiver.received == []
    [stored] = _deliveries(session, hook)
    assert "private address" in (stored.response_excerpt or "")


def test_a_failed_target_is_told_in_the_networks_words(session, sink, no_enqueue):
    owner, ws, channel, _ = sink_channel(session, sink)
    with _as(owner) as s:
        hook, _ = webhooks.create(s, owner.id, ws.id, "https://example.com/hook", ["target.failed"])
    target = queued_target(session, channel, author=owner)
    sink.state.script(target.idempotency_key, (422, {"error": "Post text must not contain <script>"}, {}))
    publishing.set_connector_resolver(sink_connector_for)
    try:
        assert publishing.publish_target(target.id) == "failed"
    finally:
        publishing.set_connector_resolver(None)
    [delivery] = _deliveries(session, hook)
    assert delivery.event == "target.failed"
    assert delivery.payload["data"]["target"]["error"] == (
        "bluesky refused the post: Post text must not contain <script>")
    assert (webhook_delivery.DELIVER_TASK, str(delivery.id)) in no_enqueue


def test_a_target_nobody_can_verify_is_told_as_unknown(session, sink, no_enqueue):
    owner, ws, channel, _ = sink_channel(session, sink)
    with _as(owner) as s:
        hook, _ = webhooks.create(s, owner.id, ws.id, "https://example.com/hook", ["target.unknown"])
    target = queued_target(session, channel, author=owner)
    held = datetime.now(UTC) - timedelta(seconds=1)
    target.status, target.lease_expires_at = "publishing", held
    session.add(target)
    session.commit()
    sink.state.lookup_unknown = True
    publishing.set_connector_resolver(sink_connector_for)
    try:
        assert reconciler.reconcile_target(target.id, held) == "unknown"
    finally:
        publishing.set_connector_resolver(None)
        sink.state.lookup_unknown = False
    [delivery] = _deliveries(session, hook)
    assert delivery.event == "target.unknown" and "publish anyway" in delivery.payload["data"]["target"]["error"]


def test_the_sweep_sends_again_what_the_broker_lost(session, no_enqueue):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    with _as(owner) as s:
        hook, _ = webhooks.create(s, owner.id, ws.id, "https://example.com/hook", ALL_EVENTS)
        delivery = webhooks.send_test(s, owner.id, ws.id, hook.id)
    no_enqueue.clear()  # the message the broker "lost"
    assert webhook_delivery.sweep() >= 0 and (webhook_delivery.DELIVER_TASK, str(delivery.id)) not in no_enqueue  # not yet
    stored = session.get(WebhookDelivery, delivery.id)
    assert stored is not None
    stored.next_attempt_at = datetime.now(UTC) - timedelta(minutes=2)
    session.add(stored)
    session.commit()
    webhook_delivery.sweep()
    assert (webhook_delivery.DELIVER_TASK, str(delivery.id)) in no_enqueue


def test_the_sweep_forgets_finished_deliveries_after_a_month(session, no_enqueue):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    with _as(owner) as s:
        hook, _ = webhooks.create(s, owner.id, ws.id, "https://example.com/hook", ALL_EVENTS)
        old = webhooks.send_test(s, owner.id, ws.id, hook.id)
        recent = webhooks.send_test(s, owner.id, ws.id, hook.id)
    session.execute(text("UPDATE webhook_deliveries SET status = 'delivered', "
                         "created_at = now() - interval '31 days' WHERE id = :id"), {"id": old.id})
    session.execute(text("UPDATE webhook_deliveries SET status = 'delivered' WHERE id = :id"),
                    {"id": recent.id})
    session.commit()
    webhook_delivery.sweep()
    assert [d.id for d in _deliveries(session, hook)] == [recent.id]


def test_an_edit_names_every_wrong_field_at_once_and_changes_nothing(session, no_enqueue):
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    with _as(owner) as s:
        hook, secret = webhooks.create(s, owner.id, ws.id, "https://example.com/a", ["target.published"], "CRM")
    with _as(owner) as s, pytest.raises(ValidationFailed) as err:
        webhooks.update(s, owner.id, ws.id, hook.id, url="ftp://example.com/b", events=[],
                        description="x" * 300)
    assert {p.field for p in err.value.problems} == {"url", "events", "description"}
    session.expire_all()
    stored = session.get(Webhook, hook.id)
    assert stored is not None
    assert (stored.url, stored.events, stored.description) == (
        "https://example.com/a", ["target.published"], "CRM")

    with _as(owner) as s:
        webhooks.update(s, owner.id, ws.id, hook.id, url=" https://example.org/hooks ",
                        events=["post.approved", "target.failed"], description="  Slack  via n8n ")
    session.expire_all()
    stored = session.get(Webhook, hook.id)
    assert stored is not None
    assert (stored.url, stored.events, stored.description) == (
        "https://example.org/hooks", ["target.failed", "post.approved"], "Slack via n8n")
    assert crypto.decrypt(stored.secret) == secret  # an edit keeps the signing secret


def test_an_unchanged_address_is_not_checked_again_on_edit(session, monkeypatch, no_enqueue):
    """Saving the edit form sends the address as it is: its events can change even if the address would
    not pass today (each send checks it anyway); a new private address is refused."""
    owner = make_user(session)
    ws = make_workspace(session, owner=owner)
    with _as(owner) as s:
        hook, _ = webhooks.create(s, owner.id, ws.id, "http://127.0.0.1:9/hook", ["target.published"])
    monkeypatch.setattr(get_settings(), "environment", "production")
    monkeypatch.setattr(get_settings(), "allow_private_endpoints", None)
    with _as(owner) as s:
        webhooks.update(s, owner.id, ws.id, hook.id, url="http://127.0.0.1:9/hook", events=["target.failed"])
        with pytest.raises(ValidationFailed) as err:
            webhooks.update(s, owner.id, ws.id, hook.id, url="https://127.0.0.1:9/other", events=["target.failed"])
    assert err.value.field == "url" and "private address" in err.value.message
