"""GET /api/metrics: what an operator's Prometheus sees, from the real database, Redis and worker."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.api.main import create_api
from app.core.config import get_settings
from app.services.operations import prometheus
from tests.factories import make_channel, make_target, make_workspace

# A moment of this run's own, far ahead: no other test's published target falls in the hour before it
# (a fixed date did collide with another test's rows).
NOW = datetime(2200 + secrets.randbelow(700), 1, 1, 12, 0, tzinfo=UTC)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _scrape(client: TestClient, **headers: str) -> dict:
    res = client.get("/api/metrics", headers=headers)
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/plain")
    return _samples(res.text)


def test_overdue_targets_and_lateness_are_counted(session):
    ws = make_workspace(session)
    channel = make_channel(session, ws)
    before = _samples(prometheus.exposition(session, NOW).decode())

    # Two targets published 2 s and 30 s late within the hour; one due 10 minutes ago and never claimed.
    for late in (2, 30):
        t = make_target(session, channel, scheduled_at=NOW - timedelta(minutes=20), status="published")
        t.published_at = t.scheduled_at + timedelta(seconds=late)
        session.add(t)
    session.commit()
    make_target(session, channel, scheduled_at=NOW - timedelta(minutes=10), status="scheduled")
    after = _samples(prometheus.exposition(session, NOW).decode())

    assert _value(after, "quillcast_targets_overdue") == _value(before, "quillcast_targets_overdue") + 1
    assert _value(after, "quillcast_targets_oldest_overdue_seconds") >= 600
    assert _value(after, "quillcast_published_last_hour") == 2
    assert _value(after, "quillcast_publish_lateness_seconds", quantile="0.5") == pytest.approx(16)
    assert 2 < _value(after, "quillcast_publish_lateness_seconds", quantile="0.95") <= 30
    assert (_value(after, "quillcast_targets", status="published")
            == _value(before, "quillcast_targets", status="published") + 2)
    assert _value(after, "quillcast_channels", status="active") >= 1
    # Nothing names a workspace, a channel or a post.
    assert str(ws.id) not in prometheus.exposition(session, NOW).decode()


def test_api_requests_and_tasks_are_timed_across_processes(app_env, celery_worker):
    from app.core import jobs

    client = TestClient(create_api())
    before = _scrape(client)
    for _ in range(3):
        client.get("/api/health")
    jobs.send("quillcast.maintenance.heartbeat", queue=jobs.MAINTENANCE_QUEUE)

    health = {"method": "GET", "route": "/api/health", "status": "2xx"}
    task = {"task": "quillcast.maintenance.heartbeat", "outcome": "ok"}
    deadline = time.monotonic() + 20
    while True:
        after = _scrape(client)
        # The task ran in the Celery worker's own process; its time reached the web's scrape via Redis.
        if (_value(after, "quillcast_task_seconds_count", **task)
                > _value(before, "quillcast_task_seconds_count", **task)) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert (_value(after, "quillcast_http_request_seconds_count", **health)
            >= _value(before, "quillcast_http_request_seconds_count", **health) + 3)
    assert _value(after, "quillcast_http_request_seconds_bucket", le="+Inf", **health) == _value(
        after, "quillcast_http_request_seconds_count", **health)
    assert (_value(after, "quillcast_task_seconds_count", **task)
            > _value(before, "quillcast_task_seconds_count", **task)), "the worker's task time never arrived"


def test_queue_depth_shows_work_no_worker_takes(app_env, celery_worker):
    from app.core import jobs

    client = TestClient(create_api())
    celery_worker.stop()
    try:
        jobs.send("quillcast.maintenance.heartbeat", queue=jobs.MAINTENANCE_QUEUE)
        assert _value(_scrape(client), "quillcast_queue_depth", queue="maintenance") >= 1
    finally:
        celery_worker.start()


def test_token_is_required_when_set_and_metrics_are_off_in_production_without_one(app_env, monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-scrape-token")
    get_settings.cache_clear()
    try:
        client = TestClient(create_api())
        refused = client.get("/api/metrics")
        assert refused.status_code == 401 and "METRICS_TOKEN" in refused.json()["message"]
        assert client.get("/api/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        _scrape(client, Authorization="Bearer s3cret-scrape-token")

        monkeypatch.delenv("METRICS_TOKEN")
        monkeypatch.setenv("ENVIRONMENT", "production")
        monkeypatch.setenv("SECRET_KEY", "x" * 40)
        get_settings.cache_clear()
        off = TestClient(create_api()).get("/api/metrics")
        assert off.status_code == 404 and "set METRICS_TOKEN" in off.json()["message"]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
