"""Engine and sessions. One engine per process, created lazily from settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine, text
from sqlmodel import Session, create_engine

from app.core.config import get_settings


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return create_engine(
        settings.sqlalchemy_database_url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        # Timestamps are timestamptz; make every connection speak UTC so naive reads never happen.
        connect_args={"options": "-c timezone=UTC", "connect_timeout": 5},
    )


def reset_engine() -> None:
    """Forget the engine (tests and the runner switch databases)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_db() -> Iterator[Session]:
    """FastAPI dependency form of `session_scope`."""
    with session_scope() as session:
        yield session


def ping() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
