"""The publish path in one process: real PostgreSQL and Redis, and a real HTTP sink that answers like a
network (tests/sink.py). The engine reaches the sink through its connector seam, not a mock."""

from datetime import UTC, datetime, timedelta

import pytest

from app.core import breaker
from app.services.delivery import outcomes, publishing, reconciler
from app.services.planning import statuses
from models import Channel, Post
from tests import sink as sink_module
from tests.engine_support import attempts, queued_target, reload, sink_channel
from tests.factories import make_channel, make_target, make_user, make_workspace
from tests.sink import Sink


@pytest.fixture(scope="module")
def sink():
    s = Sink().start()
    publishing.set_connector_resolver(sink_module.connector_for)
    yield s
    publishing.set_connector_resolver(None)
    s.stop()


@pytest.fixture(autouse=True)
def _fresh(sink, app_env):
    sink.state.reset()
    for network in ("bluesky", "discord", "matrix"):
        breaker.reset(network)


def test_queued_target_is_published_once_and_the_attempt_recorded(session, sink):
    user, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch, author=user, body="Hello ✨ world")

    assert publishing.publish_target(t.id) == "published"

    t = reload(session, t)
    assert t.status == "published"
    assert t.remote_id == f"sink-{t.idempotency_key}" and t.remote_url.endswith(t.idempotency_key)
    assert t.published_at is not None and t.lease_expires_at is None
    assert sink.state.created.keys() == {t.idempotency_key}
    assert sink.state.texts[t.idempotency_key] == "Hello ✨ world"
    [a] = attempts(session, t)
    assert (a.number, a.outcome, a.finished_at is not None) == (1, "published", True)
    assert session.get(Post, t.post_id).status == "published"


def test_variant_text_overrides_the_post_body(session, sink):
    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch, body="base text")
    t.body = "variant for this channel"
    session.add(t)
    session.commit()
    publishing.publish_target(t.id)
    assert sink.state.texts[t.idempotency_key] == "variant for this channel"


@pytest.mark.parametrize("status", ["scheduled", "draft", "publishing", "published", "cancelled"])
def test_anything_not_queued_is_refused_without_calling_the_network(session, sink, status):
    _, _, ch, _ = sink_channel(session, sink)
    t = make_target(session, ch, status=status)
    assert publishing.publish_target(t.id) == status
    assert sink.state.requests == 0
    assert attempts(session, t) == []


def test_a_second_delivery_of_the_same_task_publishes_nothing_more(session, sink):
    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch)
    assert publishing.publish_target(t.id) == "published"
    assert publishing.publish_target(t.id) == "published"
    assert sink.state.duplicates() == 0 and sink.state.requests == 1


def test_429_retries_later_honouring_retry_after(session, sink):
    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch)
    sink.state.script(t.idempotency_key, (429, {"error": "Rate limit exceeded"}, {"Retry-After": "600"}))
    before = datetime.now(UTC)

    assert publishing.publish_target(t.id) == "retrying"

    t = reload(session, t)
    assert t.next_attempt_at >= before + timedelta(seconds=600)
    assert "Rate limit exceeded" in t.last_error
    [a] = attempts(session, t)
    assert (a.outcome, a.http_status, a.error) == ("transient_error", 429, "Rate limit exceeded")


def test_5xx_backs_off_exponentially_with_jitter(session, sink):
    delays = [outcomes.backoff_seconds(n) for n in (1, 2, 3, 4)]
    base = publishing.get_settings().publish_backoff_base_seconds
    for n, d in enumerate(delays, start=1):
        assert base * 2 ** (n - 1) / 2 <= d <= base * 2 ** (n - 1)
    assert outcomes.backoff_seconds(1, retry_after=900) >= 900


def test_retry_after_a_transient_error_then_success_records_both_attempts(session, sink):
    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch)
    sink.state.script(t.idempotency_key, (503, {"error": "Upstream overloaded"}, {}))
    assert publishing.publish_target(t.id) == "retrying"
    _requeue(session, t)  # what the dispatcher does when next_attempt_at comes
    assert publishing.publish_target(t.id) == "published"
    assert [(a.number, a.outcome) for a in attempts(session, t)] == [(1, "transient_error"), (2, "published")]
    assert sink.state.duplicates() == 0


def test_gives_up_after_max_attempts_with_the_networks_message(session, sink, monkeypatch):
    monkeypatch.setenv("PUBLISH_MAX_ATTEMPTS", "2")
    publishing.get_settings.cache_clear()
    try:
        user, _, ch, _ = sink_channel(session, sink)
        t = queued_target(session, ch, author=user)
        sink.state.script(t.idempotency_key, (503, {"error": "down"}, {}), (503, {"error": "still down"}, {}))
        publishing.publish_target(t.id)
        _requeue(session, t)
        assert publishing.publish_target(t.id) == "failed"
        t = reload(session, t)
        assert "2 attempts" in t.last_error and "still down" in t.last_error
        assert session.get(Post, t.post_id).status == "failed"
    finally:
        monkeypatch.delenv("PUBLISH_MAX_ATTEMPTS")
        publishing.get_settings.cache_clear()


def test_permanent_error_fails_at_once_with_the_networks_own_message(session, sink):
    user, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch, author=user)
    sink.state.script(t.idempotency_key, (422, {"error": "Post text must not contain <script>"}, {}))

    assert publishing.publish_target(t.id) == "failed"

    t = reload(session, t)
    assert t.last_error == "bluesky refused the post: Post text must not contain <script>"
    [a] = attempts(session, t)
    assert (a.outcome, a.http_status) == ("permanent_error", 422)
    assert session.get(Post, t.post_id).status == "failed"
    # The author is told, in the network's words, with a link to the post.
    from sqlmodel import select

    from models import EmailOutbox

    [mail] = session.exec(select(EmailOutbox).where(EmailOutbox.to_address == user.email)).all()
    assert "Post text must not contain <script>" in mail.text_body
    assert f"/posts/{t.post_id}" in mail.text_body


def test_revoked_token_fails_the_target_and_marks_the_channel_needs_reauth(session, sink):
    _, _, ch, token = sink_channel(session, sink)
    sink.state.revoked_tokens.add(token)
    t = queued_target(session, ch)

    assert publishing.publish_target(t.id) == "failed"

    session.expire_all()
    assert session.get(Channel, ch.id).status == "needs_reauth"
    assert "Reconnect the channel" in reload(session, t).last_error
    # The next target of that channel fails with a clear reason, without calling the network.
    t2 = queued_target(session, ch)
    requests = sink.state.requests
    assert publishing.publish_target(t2.id) == "failed"
    assert sink.state.requests == requests
    assert "needs reconnecting" in reload(session, t2).last_error


def test_post_with_one_published_and_one_failed_target_is_partially_published(session, sink):
    user, ws, ch, _ = sink_channel(session, sink)
    ch2 = Channel(
        workspace_id=ws.id, network="matrix", name="room", account="#r", settings={"endpoint": sink.url}
    )
    session.add(ch2)
    session.commit()
    t1 = queued_target(session, ch, author=user)
    from models import PostTarget

    t2 = PostTarget(
        workspace_id=ws.id,
        post_id=t1.post_id,
        channel_id=ch2.id,
        status="queued",
        idempotency_key="k-" + t1.idempotency_key[:30],
        scheduled_at=t1.scheduled_at,
    )
    session.add(t2)
    session.commit()
    sink.state.script(t2.idempotency_key, (400, {"error": "Room is read-only"}, {}))
    publishing.publish_target(t1.id)
    session.expire_all()
    assert session.get(Post, t1.post_id).status == "publishing"  # t2 is still queued
    publishing.publish_target(t2.id)
    session.expire_all()
    assert reload(session, t2).last_error == "matrix refused the post: Room is read-only"
    assert session.get(Post, t1.post_id).status == "partially_published"


def test_open_breaker_makes_targets_wait_without_failing_or_spending_attempts(session, sink, monkeypatch):
    monkeypatch.setenv("BREAKER_FAILURE_THRESHOLD", "3")
    publishing.get_settings.cache_clear()
    try:
        _, _, ch, _ = sink_channel(session, sink, network="discord")
        sink.state.error_rate = 1.0
        for _ in range(3):
            publishing.publish_target(queued_target(session, ch).id)
        assert breaker.open_for("discord") is not None
        requests = sink.state.requests

        waiting = queued_target(session, ch)
        assert publishing.publish_target(waiting.id) == "retrying"

        waiting = reload(session, waiting)
        assert sink.state.requests == requests  # the network was not called
        assert waiting.attempts == 0 and attempts(session, waiting) == []
        assert waiting.next_attempt_at > datetime.now(UTC)
        assert "not answering" in waiting.last_error
        # Once the network is back and the breaker closes, the same target publishes.
        sink.state.error_rate = 0.0
        breaker.reset("discord")
        _requeue(session, waiting)
        assert publishing.publish_target(waiting.id) == "published"
    finally:
        monkeypatch.delenv("BREAKER_FAILURE_THRESHOLD")
        publishing.get_settings.cache_clear()


def _requeue(session, t):
    t = reload(session, t)
    t.status = "queued"
    session.add(t)
    session.commit()


def _expire_lease(session, t, status="publishing"):
    t = reload(session, t)
    t.status = status
    t.lease_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.add(t)
    session.commit()
    return t


def test_reconciler_marks_published_when_the_network_has_the_post(session, sink):
    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch)
    sink.state.created[t.idempotency_key].append(0.0)  # it landed, then the worker died
    _expire_lease(session, t)

    report = reconciler.reconcile()

    assert report.published >= 1
    t = reload(session, t)
    assert t.status == "published" and t.remote_id == f"sink-{t.idempotency_key}"
    assert sink.state.requests == 0  # no second publish


def test_reconciler_requeues_when_the_network_surely_does_not_have_it(session, sink):
    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch)
    _expire_lease(session, t)
    report = reconciler.reconcile()
    assert report.requeued >= 1
    assert reload(session, t).status == "queued"


def test_reconciler_marks_unknown_when_the_network_cannot_tell(session, sink):
    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch)
    _expire_lease(session, t)
    sink.state.lookup_unknown = True
    report = reconciler.reconcile()
    assert report.unknown >= 1
    t = reload(session, t)
    assert t.status == "unknown" and "publish anyway" in t.last_error


def test_reconciler_leaves_live_leases_alone(session, sink):
    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch)
    t.status, t.lease_expires_at = "publishing", datetime.now(UTC) + timedelta(minutes=1)
    session.add(t)
    session.commit()
    reconciler.reconcile()
    assert reload(session, t).status == "publishing"


def test_derive_post_status():
    d = statuses.derive_post_status
    assert d(["published", "published"]) == "published"
    assert d(["published", "failed"]) == "partially_published"
    assert d(["failed", "cancelled"]) == "failed"
    assert d(["published", "retrying"]) == "publishing"
    assert d(["cancelled"]) == "cancelled"
    assert d(["scheduled", "scheduled"]) == "scheduled"


def test_targets_of_one_post_finishing_at_once_leave_the_post_published(session, sink):
    """Two workers finish the two targets of a post at the same moment: the post must not stay
    `publishing` because each derived its status from the other's stale row."""
    from concurrent.futures import ThreadPoolExecutor

    from models import PostTarget

    user, ws, ch, _ = sink_channel(session, sink)
    ch2 = Channel(
        workspace_id=ws.id, network="matrix", name="room", account="#r", settings={"endpoint": sink.url}
    )
    session.add(ch2)
    session.commit()
    sink.state.latency = 0.05
    pairs = []
    for _ in range(8):
        t1 = queued_target(session, ch, author=user)
        t2 = PostTarget(
            workspace_id=ws.id,
            post_id=t1.post_id,
            channel_id=ch2.id,
            status="queued",
            idempotency_key="m-" + t1.idempotency_key[:30],
            scheduled_at=t1.scheduled_at,
        )
        session.add(t2)
        session.commit()
        pairs.append((t1.id, t2.id, t1.post_id))
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(publishing.publish_target, [i for a, b, _ in pairs for i in (a, b)]))
    session.expire_all()
    assert [session.get(Post, p).status for _, _, p in pairs] == ["published"] * 8


def test_expired_token_that_refreshes_keeps_the_channel_and_retries(session, sink):
    import json

    from app.core import crypto

    _, _, ch, token = sink_channel(session, sink, refreshable=True)
    sink.state.revoked_tokens.add(token)
    t = queued_target(session, ch)

    assert publishing.publish_target(t.id) == "retrying"

    session.expire_all()
    channel = session.get(Channel, ch.id)
    new_token = json.loads(crypto.decrypt(channel.credentials))["token"]
    assert channel.status == "active" and new_token != token
    _requeue(session, t)
    assert publishing.publish_target(t.id) == "published"  # with the refreshed token
    assert list(sink.state.created) == [t.idempotency_key]


def test_reconciler_re_enqueues_queued_targets_the_broker_lost(session, sink):
    from sqlalchemy import text

    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch)
    session.execute(
        text("UPDATE post_targets SET updated_at = now() - interval '1 hour' WHERE id = :id"), {"id": t.id}
    )
    session.commit()
    report = reconciler.reconcile()
    assert report.stuck_requeued >= 1
    t = reload(session, t)
    assert t.status == "queued" and t.updated_at > datetime.now(UTC) - timedelta(minutes=1)
    assert reconciler.reconcile().stuck_requeued == 0  # touched: not sent again on the next round


def test_tokens_rotated_while_publishing_are_saved_for_the_next_publish(session):
    """Bluesky rotates its refresh token on every use: the engine keeps what the connector refreshed."""
    import json

    from app.connectors.base import LookupResult, Presence, PublishResult
    from app.connectors.registry import NETWORK_LIMITS
    from app.core import crypto
    from models import Channel

    class RotatingConnector:
        network = "bluesky"

        def __init__(self, credentials):
            self.credentials = dict(credentials)

        def limits(self):
            return NETWORK_LIMITS["bluesky"]

        def validate(self, request):
            return []

        def publish(self, request):
            self.credentials["refresh_jwt"] = "rotated-" + self.credentials["refresh_jwt"]
            return PublishResult("at://did:plc:x/app.bsky.feed.post/1", None)

        def lookup(self, key):
            return LookupResult(Presence.ABSENT)

        def refresh_credentials(self):
            return dict(self.credentials) if self.credentials["refresh_jwt"].startswith("rotated-") else None

        def fetch_metrics(self, remote_id, remote_url=None):
            return None

    user = make_user(session)
    ws = make_workspace(session, owner=user)
    ch = make_channel(session, ws, "bluesky",
                      credentials=crypto.encrypt(json.dumps({"refresh_jwt": "first", "app_password": "x"})))
    t = queued_target(session, ch, author=user)
    publishing.set_connector_resolver(lambda channel, credentials: RotatingConnector(credentials))
    try:
        assert publishing.publish_target(t.id) == "published"
    finally:
        publishing.set_connector_resolver(None)
    session.expire_all()
    stored = json.loads(crypto.decrypt(session.get(Channel, ch.id).credentials))
    assert stored["refresh_jwt"] == "rotated-first" and stored["app_password"] == "x"
