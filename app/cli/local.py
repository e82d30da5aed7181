"""The database and Redis a one-off command uses, and `check`, which reports whether they answer.

With DATABASE_URL / REDIS_URL unset, one-off commands use the embedded services of `make run`,
starting the embedded PostgreSQL for themselves when it is down (and stopping it again afterwards).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from app.cli.base import fail, load_settings


@contextmanager
def database_for_maintenance(create: bool = False) -> Iterator[str]:
    """DATABASE_URL, or the embedded PostgreSQL under DATA_DIR (reused while `make run` is up, else
    started for the command and stopped again afterwards). `create`: a fresh DATA_DIR gets one."""
    from app.core import embedded

    settings = load_settings()
    if settings.database_url:
        yield settings.database_url
        return
    pgdata = settings.data_dir / "postgres"
    if not create and not (pgdata / "PG_VERSION").exists():
        fail(f"no database here: DATABASE_URL is unset and {pgdata} holds none (start Quillcast once with "
             "`make run`, or set DATABASE_URL)")
    was_running = embedded.postgres_running(pgdata)
    try:
        pg = embedded.start_postgres(settings.data_dir)
    except embedded.EmbeddedError as exc:
        fail(str(exc))
    try:
        yield pg.url
    finally:
        if not was_running:
            pg.stop()


def reload_settings() -> None:
    """Read the settings again and drop the clients made from the old ones (the URLs changed)."""
    from app.core import db, redis
    from app.core.config import get_settings

    get_settings.cache_clear()
    db.reset_engine()
    redis.reset_redis()


@contextmanager
def local_services(create_database: bool = False) -> Iterator[None]:
    """For a one-off command: with DATABASE_URL unset, the embedded PostgreSQL of `make run` (see
    `database_for_maintenance`); with REDIS_URL unset, the embedded Redis when it is up. Both are put
    in this process's environment, so every client below uses them."""
    from app.core import embedded

    settings = load_settings()
    if not settings.redis_url and embedded.port_open(settings.embedded_redis_port):
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{settings.embedded_redis_port}/0"
    with database_for_maintenance(create=create_database) as url:
        os.environ["DATABASE_URL"] = url
        reload_settings()
        yield


def check() -> None:
    """Print the readiness of each part (the same as GET /api/ready)."""
    from app.services.operations import system

    ok = True
    with local_services():
        for c in system.readiness():
            ok &= c.ok
            typer.echo(f"{'ok  ' if c.ok else 'DOWN'} {c.name:<9} {c.detail}")
    raise typer.Exit(0 if ok else 1)
