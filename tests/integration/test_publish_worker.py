"""The publish path through a REAL Celery worker process, and the chaos test: SIGKILL the worker in the
middle of a burst, start a new one, let the reconciler run — every target is on the sink exactly once.

The sink (tests/sink.py) is a real HTTP server in this process; workers reach it through
CONNECTOR_RESOLVER=tests.sink:connector_for. These tests use their own broker db numbers (1-3) so a
worker started by another test module never takes their tasks.
"""

import os
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from sqlmodel import select

from app.core import jobs
from app.services.delivery import dispatcher, publishing, reconciler
from models import Post, PostTarget, PublishAttempt
from tests import support
from tests.engine_support import clear_targets, queued_target, reload, sink_channel, wait_for
from tests.factories import make_target
from tests.sink import Sink

ENGINE_ENV = {
    "CONNECTOR_RESOLVER": "tests.sink:connector_for",
    "PUBLISH_LEASE_SECONDS": "3",
    "QUEUED_STUCK_SECONDS": "3",
    "PUBLISH_BACKOFF_BASE_SECONDS": "1",
    "PYTHONPATH": str(support.ROOT),  # the worker imports tests.sink (not an installed package)
}


def _reset_clients():
    from tests.conftest import _reset_clients as reset

    reset()


@pytest.fixture(scope="module")
def engine_env(app_env, servers):
    base = f"{servers.redis_base_url}/1"
    for db in (1, 2, 3):
        redis_lib.Redis.from_url(f"{servers.redis_base_url}/{db}").flushdb()
    saved = {k: os.environ.get(k) for k in (*ENGINE_ENV, "REDIS_URL")}
    os.environ.update(ENGINE_ENV, REDIS_URL=base)
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


@pytest.fixture(scope="module")
def worker(engine_env):
    w = support.CeleryWorker(engine_env, concurrency=4).start()
    yield w
    w.stop()


def test_task_names_are_pinned():
    from tasks.celery_app import app

    app.loader.import_default_modules()
    assert {
        "quillcast.publish.target",
        "quillcast.publish.dispatch",
        "quillcast.maintenance.reconcile",
    } <= set(app.tasks)
    assert app.conf.beat_schedule["reconcile-publishing"]["task"] == "quillcast.maintenance.reconcile"


def test_due_target_goes_through_dispatcher_and_worker_to_the_network(session, sink, worker):
    clear_targets(session)
    sink.state.reset()
    user, _, ch, _ = sink_channel(session, sink)
    t = make_target(session, ch, author=user, scheduled_at=datetime.now(UTC) - timedelta(seconds=1))

    assert dispatcher.dispatch_due() == 1

    published = wait_for(lambda: reload(session, t).status == "published", timeout=20)
    assert published, reload(session, t).last_error
    assert list(sink.state.created) == [t.idempotency_key]
    assert session.get(Post, t.post_id).status == "published"


def test_worker_retries_a_rate_limited_target_after_retry_after(session, sink, worker):
    clear_targets(session)
    sink.state.reset()
    _, _, ch, _ = sink_channel(session, sink)
    t = queued_target(session, ch)
    sink.state.script(t.idempotency_key, (429, {"error": "slow down"}, {"Retry-After": "1"}))
    jobs.send(publishing.PUBLISH_TASK, str(t.id), queue=jobs.PUBLISH_QUEUE)

    assert wait_for(lambda: reload(session, t).status == "retrying", timeout=20)
    # The beat's job, done by hand here: tick the dispatcher until the retry is due and published.
    assert wait_for(
        lambda: dispatcher.dispatch_due() >= 0 and reload(session, t).status == "published",
        timeout=30,
        every=0.5,
    )
    outcomes = [
        a.outcome
        for a in session.exec(
            select(PublishAttempt).where(PublishAttempt.target_id == t.id).order_by(PublishAttempt.number)
        )
    ]
    assert outcomes == ["transient_error", "published"]
    assert len(sink.state.created[t.idempotency_key]) == 1


def test_chaos_sigkill_mid_burst_publishes_every_target_exactly_once(session, sink, engine_env, worker):
    """200 due targets, a slow network (80 ms), the worker SIGKILLed after ~1/3 went out, a new worker,
    and the reconciler (the beat's job, sent by hand each second): 0 duplicates, 0 lost."""
    clear_targets(session)
    sink.state.reset()
    sink.state.latency = 0.08
    user, _, ch, _ = sink_channel(session, sink)
    past = datetime.now(UTC) - timedelta(seconds=1)
    targets = [make_target(session, ch, author=user, scheduled_at=past) for _ in range(200)]
    keys = {t.idempotency_key for t in targets}

    assert dispatcher.dispatch_due() == 200
    assert wait_for(lambda: len(sink.state.created) >= 60, timeout=60, every=0.01)
    worker.kill()
    in_flight = session.exec(select(PostTarget).where(PostTarget.status == "publishing")).all()
    replacement = support.CeleryWorker(engine_env, concurrency=4).start()
    try:

        def settled() -> bool:
            jobs.send(reconciler.RECONCILE_TASK, queue=jobs.MAINTENANCE_QUEUE)
            session.expire_all()
            rows = session.exec(select(PostTarget.status).where(PostTarget.channel_id == ch.id)).all()
            return all(s == "published" for s in rows)

        assert wait_for(settled, timeout=90, every=1.0)
    finally:
        replacement.stop()
        worker.start()  # the module's worker, for the tests after this one

    assert set(sink.state.created) == keys  # 0 lost
    assert sink.state.duplicates() == 0  # 0 duplicates
    assert len(in_flight) >= 1  # the kill really hit targets mid-publish
    reconciled = session.exec(
        select(PublishAttempt).where(PublishAttempt.outcome.in_(("already_published", "interrupted")))
    ).all()  # type: ignore[attr-defined]
    assert {a.target_id for a in reconciled} >= {t.id for t in in_flight}


def test_publish_now_from_the_service_reaches_the_network_through_the_worker(session, sink, worker):
    from app.services.planning import posts

    clear_targets(session)
    sink.state.reset()
    user, ws, ch, _ = sink_channel(session, sink)
    post = posts.create_post(session, user.id, ws.id, body="Now! 🚀", targets=[posts.TargetInput(ch.id)])
    session.commit()
    posts.publish_now(session, user.id, post.id)
    session.commit()  # the message is sent only now, after the commit

    def published() -> bool:
        session.expire_all()
        return session.get(Post, post.id).status == "published"

    assert wait_for(published, timeout=20)
    assert list(sink.state.texts.values()) == ["Now! 🚀"]
