"""Engine and sessions. One engine per process, created lazily from settings.

Tenancy lives in the database (see app/core/rls.py): the engine logs in as the app's own login, never
the owner (app/core/dblogin.py), every connection switches to the app role, which Row Level Security
applies to, and every transaction sets the claims it acts under. A session's claims
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
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

from app.core import dblogin
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
    with dbapi_connection.cursor() as cur:
        cur.execute("SELECT session_user, rolsuper OR rolbypassrls FROM pg_roles "
                    "WHERE rolname = session_user")
        login, privileged = cur.fetchone()
    dbapi_connection.rollback()
    if privileged:
        # A superuser could RESET ROLE and step around every policy: such a login is refused, not used.
        raise dblogin.LoginError(
            f"the app logs in to the database as {login}, a superuser or a role that bypasses row-level "
            "security: unset DATABASE_APP_URL (migrate makes a login of its own) or point it at a role "
            f"that is only granted {APP_ROLE}")
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


def _connect_as_login(derived: str | None) -> Any:
    """Connect; when the derived login is refused, say the one command that makes it."""

    def connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except psycopg.OperationalError as exc:
            said = str(exc)
            if derived and f'"{derived}"' in said and ("does not exist" in said or "authentication" in said):
                raise dblogin.LoginError(
                    f"the database refused the app's login {derived} (not made yet, or SECRET_KEY changed "
                    "since): run `quillcast migrate`") from exc
            raise

    return connect


@lru_cache
def get_engine() -> Engine:
    """The app's engine: the app's own login (dblogin.app_url), never DATABASE_URL's owner."""
    settings = get_settings()
    engine = create_engine(
        dblogin.app_url(settings),
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        # Timestamps are timestamptz; make every connection speak UTC so naive reads never happen.
        connect_args={"options": "-c timezone=UTC", "connect_timeout": 5},
    )
    derived = None if settings.database_app_url else dblogin.derived_login(
        settings.sqlalchemy_database_url, settings.secret_key)[0]
    event.listen(engine, "do_connect", _connect_as_login(derived))
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
    """Reach DATABASE_URL's server (as its owner: the app's own login exists once migrations ran)."""
    engine = create_engine(get_settings().sqlalchemy_database_url, poolclass=NullPool,
                           connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()
