"""Engine and sessions. One engine per process, created lazily from settings.

Tenancy lives in the database (see app/core/rls.py): every connection switches to the app role, which
Row Level Security applies to, and every transaction sets the claims it acts under. A session's claims
are kept in `session.info["claims"]` and set again at the start of each of its transactions (a commit
ends the `set_config(..., true)` of the previous one).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, create_engine

from app.core.config import get_settings
from app.core.rls import APP_ROLE

Claims = dict[str, Any]
# The system: workers, the dispatcher, sign-in before anyone is known. Policies let it see everything.
SERVICE_CLAIMS: Claims = {"role": "service_role"}
# A request nobody has signed in to yet: sees nothing.
ANON_CLAIMS: Claims = {"role": "anon"}
_ROLE_MISSING = "quillcast_app_role_missing"
# `true`: local to the transaction, so a pooled connection never carries one request's claims to the next.
_SET_CLAIMS = text("SELECT set_config('request.jwt.claims', :c, true)")


def user_claims(user_id: uuid.UUID | str) -> Claims:
    """Claims of a signed-in user, shaped like Supabase's (`auth.uid()` reads `sub`)."""
    return {"sub": str(user_id), "role": "authenticated"}


def _switch_role(dbapi_connection: Any, connection_record: Any) -> None:
    """Every pooled connection acts as the app role: RLS applies to it, it owns nothing."""
    try:
        with dbapi_connection.cursor() as cur:
            cur.execute(f"SET ROLE {APP_ROLE}")
        dbapi_connection.commit()
    except psycopg.errors.InvalidParameterValue:
        # Not migrated yet (fresh database): plain pings may run, sessions refuse below.
        dbapi_connection.rollback()
        connection_record.info[_ROLE_MISSING] = True


def _apply_claims(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    if connection.info.get(_ROLE_MISSING):
        raise RuntimeError(f"the database role {APP_ROLE} is missing: run `quillcast migrate` first")
    claims = session.info.get("claims")
    if claims is not None:
        connection.execute(_SET_CLAIMS, {"c": json.dumps(claims)})


event.listen(Session, "after_begin", _apply_claims)


def set_claims(session: Session, claims: Claims | None) -> None:
    """Act under `claims` from now on in this session (this transaction and the following ones)."""
    session.info["claims"] = claims
    if session.in_transaction():
        session.connection().execute(_SET_CLAIMS, {"c": json.dumps(claims or {})})


@contextmanager
def as_service(session: Session) -> Iterator[Session]:
    """A system step inside a user's request (look up an API key or an invitation token before the
    caller may see the row); the previous claims are back afterwards."""
    previous = session.info.get("claims")
    set_claims(session, SERVICE_CLAIMS)
    try:
        yield session
    finally:
        set_claims(session, previous)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    engine = create_engine(
        settings.sqlalchemy_database_url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        # Timestamps are timestamptz; make every connection speak UTC so naive reads never happen.
        connect_args={"options": "-c timezone=UTC", "connect_timeout": 5},
    )
    event.listen(engine, "connect", _switch_role)
    return engine


def reset_engine() -> None:
    """Forget the engine (tests and the runner switch databases)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


def new_session(claims: Claims | None = None) -> Session:
    """A session acting under `claims` (None: the system, SERVICE_CLAIMS)."""
    session = Session(get_engine(), expire_on_commit=False)
    session.info["claims"] = SERVICE_CLAIMS if claims is None else claims
    return session


@contextmanager
def session_scope(claims: Claims | None = None) -> Iterator[Session]:
    """A unit of work: commits on success, rolls back on error.

    `claims=None` is the system (workers, dispatcher); user-facing code passes `user_claims(user.id)`.
    """
    with new_session(claims) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_db() -> Iterator[Session]:
    """FastAPI dependency form of `session_scope`. It starts anonymous (sees nothing); the CurrentUser
    dependency switches it to the caller's claims. Pre-sign-in routes use `get_service_db`."""
    with session_scope(ANON_CLAIMS) as session:
        yield session


def get_service_db() -> Iterator[Session]:
    """For routes that act before anyone is known (sign-in, token refresh, OIDC callback)."""
    with session_scope(SERVICE_CLAIMS) as session:
        yield session


def ping() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))
