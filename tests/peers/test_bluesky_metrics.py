"""Engagement against the real PDS: it has no AppView, so getPosts through its proxy is refused. The
connector must read that as "no counts" (None), and the metrics sync must carry on, not fail."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.connectors.base import PublishRequest
from app.connectors.bluesky import BlueskyConnector
from app.core import breaker, crypto, db
from app.services.insight import engagement
from models import MetricSnapshot
from tests.factories import make_channel, make_target, make_user, make_workspace

pytestmark = pytest.mark.peers


def test_getposts_through_a_pds_without_appview_is_none(bluesky_pds):
    account = bluesky_pds.create_account()
    c = BlueskyConnector({"service": bluesky_pds.url, "identifier": account.handle,
                          "app_password": account.app_password})
    result = c.publish(PublishRequest(idempotency_key=secrets.token_hex(16), text="Counting likes"))
    assert c.fetch_metrics(result.remote_id, result.url) is None


def test_the_sync_skips_quietly_when_the_pds_cannot_count(bluesky_pds, session):
    account = bluesky_pds.create_account()
    connector = BlueskyConnector({"service": bluesky_pds.url, "identifier": account.handle,
                                  "app_password": account.app_password})
    result = connector.publish(PublishRequest(idempotency_key=secrets.token_hex(16), text="Hello"))
    ws = make_workspace(session, owner=make_user(session))
    channel = make_channel(session, ws, "bluesky", account=account.handle,
                           credentials=crypto.encrypt(json.dumps(connector.credentials)))
    now = datetime.now(UTC)
    target = make_target(session, channel, scheduled_at=now - timedelta(minutes=5), status="published")
    target.published_at, target.remote_id = now - timedelta(minutes=5), result.remote_id
    session.add(target)
    session.commit()
    breaker.reset("bluesky")

    with db.session_scope() as s:
        report = engagement.sync(s, 500, now=now)

    assert report.unreported >= 1 and "bluesky" not in report.networks_failed
    assert session.exec(select(MetricSnapshot).where(MetricSnapshot.target_id == target.id)).all() == []
    assert breaker.open_for("bluesky") is None
