"""GET /api/ready tells, part by part, whether scheduled posts can go out."""

import time

from fastapi.testclient import TestClient

from app.api.main import create_api
from app.services.operations import system


def test_health_is_always_ok(app_env):
    assert TestClient(create_api()).get("/api/health").json() == {"status": "ok"}


def test_ready_names_the_missing_worker(app_env, celery_worker):
    celery_worker.stop()
    try:
        res = TestClient(create_api()).get("/api/ready")
        assert res.status_code == 503
        checks = {c["name"]: c for c in res.json()["checks"]}
        assert not checks["worker"]["ok"] and "quillcast worker" in checks["worker"]["detail"]
        assert checks["database"]["ok"] and checks["redis"]["ok"] and checks["broker"]["ok"]
    finally:
        celery_worker.start()


def test_ready_is_200_with_every_part_up(app_env, celery_worker):
    res = TestClient(create_api()).get("/api/ready")
    assert res.status_code == 200, res.json()
    assert {c["name"] for c in res.json()["checks"] if c["ok"]} == {"database", "redis", "broker", "worker", "media"}


def test_a_real_worker_runs_a_real_task(app_env, celery_worker):
    from app.core import jobs
    from app.core.redis import get_redis

    get_redis().delete(system.HEARTBEAT_KEY)
    jobs.send("quillcast.maintenance.heartbeat", queue=jobs.MAINTENANCE_QUEUE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and system.last_heartbeat() is None:
        time.sleep(0.1)
    assert system.last_heartbeat() is not None


def test_ready_reports_a_database_behind_the_code(app_env, servers):
    """A database migrated to an older (or no) revision is named, with the command that fixes it."""
    from app.core import db
    from tests import support

    name = support.unique_name("quillcast_empty")
    url = support.create_database(servers.pg_server_url, name)
    import os

    old = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = url
    from app.core.config import get_settings

    get_settings.cache_clear()
    db.reset_engine()
    try:
        check = next(c for c in system.readiness() if c.name == "database")
        assert not check.ok and "quillcast migrate" in check.detail
    finally:
        os.environ["DATABASE_URL"] = old
        get_settings.cache_clear()
        db.reset_engine()
        support.drop_database(servers.pg_server_url, name)
