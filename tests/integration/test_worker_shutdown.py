"""A release stops workers with SIGTERM (ECS, Docker: to the main process): Celery's warm shutdown takes no
new task, lets the publishes in flight finish, and hands the prefetched ones back to the broker for the
next worker. No target is lost, none is published twice, and none waits for the reconciler.

Uses broker db numbers 1-3 like test_publish_worker (modules run one after another).
"""

import os
import signal
import time

import pytest
import redis as redis_lib
from sqlmodel import select

from app.core import jobs
from app.services.delivery import publishing
from models import PostTarget, PublishAttempt
from tests import support
from tests.engine_support import clear_targets, queued_target, sink_channel, wait_for
from tests.sink import Sink

ENV = {
    "CONNECTOR_RESOLVER": "tests.sink:connector_for",
    # Long enough that nothing here is settled by lease expiry: a warm shutdown must not need it.
    "PUBLISH_LEASE_SECONDS": "600",
    "QUEUED_STUCK_SECONDS": "600",
    "PYTHONPATH": str(support.ROOT),
}


@pytest.fixture(scope="module")
def env(app_env, servers):
    for n in (1, 2, 3):
        redis_lib.Redis.from_url(f"{servers.redis_base_url}/{n}").flushdb()
    saved = {k: os.environ.get(k) for k in (*ENV, "REDIS_URL")}
    os.environ.update(ENV, REDIS_URL=f"{servers.redis_base_url}/1")
    from tests.conftest import _reset_clients

    _reset_clients()
    yield dict(os.environ)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    _reset_clients()


@pytest.fixture(scope="module")
def sink():
    s = Sink().start()
    yield s
    s.stop()


def test_sigterm_mid_publish_finishes_in_flight_and_hands_back_the_rest(session, env, sink):
    clear_targets(session)
    sink.state.reset()
    sink.state.latency = 1.5  # each publish is in flight for 1.5 s
    user, _, ch, _ = sink_channel(session, sink)
    targets = [queued_target(session, ch, author=user) for _ in range(6)]
    keys = {t.idempotency_key for t in targets}
    first = support.CeleryWorker(env, concurrency=2).start()
    try:
        for t in targets:
            jobs.send(publishing.PUBLISH_TASK, str(t.id), queue=jobs.PUBLISH_QUEUE)

        def publishing_now() -> list[PostTarget]:
            session.expire_all()
            return list(session.exec(select(PostTarget).where(PostTarget.status == "publishing")).all())

        assert wait_for(lambda: len(publishing_now()) >= 1, timeout=30, every=0.05)
        in_flight = {t.id for t in publishing_now()}
        assert first.process is not None
        stopped_at = time.monotonic()
        first.process.send_signal(signal.SIGTERM)  # the main process only, as `docker stop` does
        first.process.wait(30)
        stop_seconds = time.monotonic() - stopped_at
    finally:
        first.stop()

    session.expire_all()
    after = {t.id: t.status for t in session.exec(select(PostTarget).where(PostTarget.channel_id == ch.id))}
    # The publishes in flight finished before the worker left ...
    assert all(after[tid] == "published" for tid in in_flight), after
    assert stop_seconds < 10
    # ... and the rest are untouched, still queued (handed back to the broker, not started).
    assert set(after.values()) <= {"published", "queued"}
    assert list(after.values()).count("queued") >= 1

    second = support.CeleryWorker(env, concurrency=2).start()
    try:
        def all_published() -> bool:
            session.expire_all()
            rows = session.exec(select(PostTarget.status).where(PostTarget.channel_id == ch.id)).all()
            return all(s == "published" for s in rows)

        assert wait_for(all_published, timeout=60, every=0.2)
    finally:
        second.stop()
    assert set(sink.state.created) == keys  # none lost
    assert sink.state.duplicates() == 0  # none twice
    outcomes = {a.outcome for a in session.exec(
        select(PublishAttempt).where(PublishAttempt.target_id.in_([t.id for t in targets])))}  # type: ignore[attr-defined]
    assert outcomes == {"published"}  # no interrupted attempt: the reconciler had nothing to do
