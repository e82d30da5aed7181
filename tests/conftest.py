"""Session fixtures: a database of this run's own (migrated with Alembic), isolated Redis dbs,
and on request a real Celery worker. Nothing is mocked."""

from __future__ import annotations

import logging
import os
import random
import secrets
from collections.abc import Iterator

import pytest
from sqlmodel import Session

from tests import support

# `smtp` and `mail_worker`: a real SMTP server and a worker that mails to it, for modules that read mail.
pytest_plugins = ["tests.mail_support"]

os.environ["ENVIRONMENT"] = "test"
# This run's own key, in the environment every process it starts inherits: unset, the settings would
# generate a key file in the developer's ./data (tests of the key file use a DATA_DIR of their own).
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
# aiosmtpd (the tests' SMTP server) logs every DATA line at DEBUG: test noise, and it holds mail bodies.
logging.getLogger("mail.log").setLevel(logging.INFO)
os.environ.setdefault("LOG_JSON", "false")


def _reset_clients() -> None:
    from app.core import db, jobs, redis
    from app.core.config import get_settings

    get_settings.cache_clear()
    db.reset_engine()
    redis.reset_redis()
    jobs.reset_producer()


@pytest.fixture(scope="session")
def servers() -> Iterator[support.Servers]:
    s = support.start_servers()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def database_url(servers: support.Servers) -> Iterator[str]:
    from app.core import migrations

    name = support.unique_name("quillcast_test")
    url = support.create_database(servers.pg_server_url, name)
    migrations.upgrade(url)
    yield url
    from app.core import db

    db.reset_engine()
    support.drop_database(servers.pg_server_url, name)


@pytest.fixture(scope="session")
def redis_url(servers: support.Servers) -> str:
    import redis

    # Three consecutive dbs (broker, Reflex state, cache); a random base keeps parallel runs apart.
    base = random.choice([4, 7, 10, 13])  # noqa: S311
    url = f"{servers.redis_base_url}/{base}"
    for offset in range(3):
        redis.Redis.from_url(f"{servers.redis_base_url}/{base + offset}").flushdb()
    return url


@pytest.fixture(scope="session")
def app_env(database_url: str, redis_url: str) -> dict[str, str]:
    """The environment every process of this run (test, worker, web) reads its settings from."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = redis_url
    _reset_clients()
    return dict(os.environ)


@pytest.fixture()
def session(app_env: dict[str, str]) -> Iterator[Session]:
    from app.core.db import new_session

    # The system's claims (Row Level Security lets them see every workspace), as tests set up rows.
    with new_session() as s:
        yield s


@pytest.fixture(scope="session")
def celery_worker(app_env: dict[str, str]) -> Iterator[support.CeleryWorker]:
    worker = support.CeleryWorker(app_env).start()
    yield worker
    worker.stop()
