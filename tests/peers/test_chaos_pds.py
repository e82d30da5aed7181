"""The chaos test against the REAL Bluesky PDS: a burst of posts, the Celery worker SIGKILLed in the
middle, a new worker started, the reconciler run as beat would — every post is on the PDS exactly once.

Publishing goes through the real engine (dispatcher -> Celery -> publish_target -> the Bluesky connector
from the registry); the PDS refuses a repeated rkey and the reconciler asks it (getRecord) whether an
interrupted attempt landed.
"""

import os
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from sqlmodel import select

from app.core import jobs
from app.services.channels import channels
from app.services.delivery import dispatcher, reconciler
from models import PostTarget
from tests import support
from tests.engine_support import clear_targets, wait_for
from tests.factories import make_target, make_user, make_workspace

N = 40
ENV = {"PUBLISH_LEASE_SECONDS": "5", "QUEUED_STUCK_SECONDS": "5", "PUBLISH_BACKOFF_BASE_SECONDS": "1"}


@pytest.fixture()
def chaos_env(app_env, servers):
    """Broker dbs of this test's own, so no other test's worker takes (or misses) its tasks."""
    from tests.conftest import _reset_clients

    for db in (1, 2, 3):
        redis_lib.Redis.from_url(f"{servers.redis_base_url}/{db}").flushdb()
    saved = {k: os.environ.get(k) for k in (*ENV, "REDIS_URL")}
    os.environ.update(ENV, REDIS_URL=f"{servers.redis_base_url}/1")
    _reset_clients()
    yield dict(os.environ)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    _reset_clients()


def test_sigkill_mid_burst_every_post_is_on_the_pds_exactly_once(session, bluesky_pds, chaos_env):
    clear_targets(session)  # due targets other tests left behind would be claimed in the same burst
    owner = make_user(session)
    ws = make_workspace(session, owner)
    account = bluesky_pds.create_account()
    channel = channels.connect_channel(
        session, user_id=owner.id, workspace_id=ws.id, network="bluesky",
        credentials={"service": bluesky_pds.url, "identifier": account.handle,
                     "app_password": account.app_password},
    )
    session.commit()
    past = datetime.now(UTC) - timedelta(seconds=1)
    texts = {f"Chaos post {i} 🌪️ #quillcast" for i in range(N)}
    for text in texts:
        make_target(session, channel, author=owner, scheduled_at=past, body=text)

    worker = support.CeleryWorker(chaos_env, concurrency=4).start()
    try:
        assert dispatcher.dispatch_due() == N
        assert wait_for(lambda: len(bluesky_pds.list_records(account.did)) >= N // 4, timeout=90, every=0.05)
    finally:
        worker.kill()
    in_flight = session.exec(select(PostTarget.id).where(PostTarget.status == "publishing")).all()

    replacement = support.CeleryWorker(chaos_env, concurrency=4).start()
    try:
        def settled() -> bool:
            jobs.send(reconciler.RECONCILE_TASK, queue=jobs.MAINTENANCE_QUEUE)
            session.expire_all()
            rows = session.exec(select(PostTarget.status).where(PostTarget.channel_id == channel.id)).all()
            return all(s == "published" for s in rows)

        assert wait_for(settled, timeout=180, every=1.0)
    finally:
        replacement.stop()

    on_pds = [r["value"]["text"] for r in bluesky_pds.list_records(account.did)]
    assert sorted(on_pds) == sorted(texts)  # every post, each exactly once
    assert len(on_pds) == N
    print(f"killed with {len(in_flight)} target(s) mid-publish")  # noqa: T201 - shown with -s
