"""The app logs in to PostgreSQL as a role of its own, never as the owner or a superuser: a statement of
the app (or one injected into it) cannot step around Row Level Security with RESET ROLE."""

import base64
import os
import shutil
import subprocess
import sys
import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, ProgrammingError

from app.core import db, dblogin, migrations
from app.core.config import get_settings
from tests import support


def _login_of(url: str) -> str:
    return dblogin.login_role(make_url(url).database)


def test_the_app_logs_in_as_a_login_that_is_no_superuser_and_owns_nothing(app_env):
    with db.get_engine().connect() as conn:
        # What the app acts as after switching (RLS binds it) ...
        acting = conn.execute(text(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
        # ... and what it logged in as.
        login, attrs = conn.execute(text(
            "SELECT session_user, ARRAY[rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolreplication, "
            "rolinherit, rolcanlogin] FROM pg_roles WHERE rolname = session_user")).one()
        member_of = conn.execute(text(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            "WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = session_user)")).scalars().all()
        owned = conn.execute(text(
            """
            SELECT (SELECT count(*) FROM pg_class WHERE relowner = u.oid)
                 + (SELECT count(*) FROM pg_proc WHERE proowner = u.oid)
                 + (SELECT count(*) FROM pg_namespace WHERE nspowner = u.oid)
                 + (SELECT count(*) FROM pg_type WHERE typowner = u.oid)
                 + (SELECT count(*) FROM pg_database WHERE datdba = u.oid)
            FROM pg_roles u WHERE u.rolname = session_user
            """)).scalar()
    assert acting == (False, False)
    assert login == _login_of(app_env["DATABASE_URL"]) != make_url(app_env["DATABASE_URL"]).username
    # No superuser, BYPASSRLS, CREATEDB, CREATEROLE, REPLICATION; NOINHERIT; may log in.
    assert attrs == [False, False, False, False, False, False, True]
    assert member_of == ["quillcast_app"]
    assert owned == 0


def test_reset_role_gains_nothing(app_env):
    conn = db.get_engine().connect()
    try:
        conn.execute(text("RESET ROLE"))
        assert conn.execute(text(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")).scalar() is False
        # NOINHERIT: as itself the login may not even read a table.
        with pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("SELECT count(*) FROM users"))
        conn.rollback()
        conn.execute(text("RESET ROLE"))
        for escape in ("SET ROLE postgres", "SET SESSION AUTHORIZATION postgres",
                       f"ALTER ROLE {_login_of(app_env['DATABASE_URL'])} BYPASSRLS"):
            # PostgreSQL 16 says "permission denied"; 15 says "must be superuser to change bypassrls".
            with pytest.raises(ProgrammingError, match="permission denied|must be superuser"):
                conn.execute(text(escape))
            conn.rollback()
    finally:
        conn.invalidate()  # never hand a connection whose role was reset back to the pool
        conn.close()


def test_a_superuser_login_is_refused(app_env, monkeypatch):
    """DATABASE_APP_URL pointing at a superuser (the owner of the embedded server) is not used."""
    monkeypatch.setenv("DATABASE_APP_URL", app_env["DATABASE_URL"])
    get_settings.cache_clear()
    db.reset_engine()
    try:
        with pytest.raises(dblogin.LoginError, match="superuser"), db.session_scope() as s:
            s.execute(text("SELECT 1"))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        db.reset_engine()


def test_an_unmade_login_is_named_with_the_command_that_makes_it(app_env, servers, monkeypatch):
    name = support.unique_name("quillcast_nologin")
    url = support.create_database(servers.pg_server_url, name)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    db.reset_engine()
    try:
        with pytest.raises(dblogin.LoginError, match="quillcast migrate"), db.session_scope() as s:
            s.execute(text("SELECT 1"))
        db.ping()  # the runner's first check reaches the server as the owner, before migrating
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        db.reset_engine()
        support.drop_database(servers.pg_server_url, name)


def _stored_verifier(owner_url: str, role: str) -> str:
    engine = create_engine(owner_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"),
                                    {"r": role}).scalar())
    finally:
        engine.dispose()


def _accepts(verifier: str, password: str) -> bool:
    """Whether a SCRAM-SHA-256 verifier was made from `password` (what the server checks at login)."""
    salt = base64.b64decode(verifier.split("$")[1].split(":")[1])
    return dblogin.scram_verifier(password, salt) == verifier


def test_our_scram_verifier_is_the_one_postgresql_makes(database_url):
    role = f"qc_scram_{os.getpid()}"
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL password_encryption = 'scram-sha-256'"))
            conn.execute(text(f"CREATE ROLE {role} PASSWORD 'correct horse'"))
        stored = _stored_verifier(database_url, role)
        assert stored.startswith("SCRAM-SHA-256$4096:")
        assert _accepts(stored, "correct horse") and not _accepts(stored, "correct horsE")
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        engine.dispose()


def test_migrate_makes_and_repairs_the_login_and_follows_the_secret_key(servers, monkeypatch):
    name = support.unique_name("quillcast_login")
    url = support.create_database(servers.pg_server_url, name)
    role = dblogin.login_role(name)
    try:
        migrations.upgrade(url)
        key = get_settings().secret_key
        assert _accepts(_stored_verifier(url, role), dblogin.login_password(key, role))
        # Only a verifier went to the server, and it differs per database.
        assert not _accepts(_stored_verifier(url, role), dblogin.login_password(key, role + "x"))

        # A new key (a fresh data directory, a rotation): the next start's migrate sets the new password.
        monkeypatch.setenv("SECRET_KEY", "another-key-" + "x" * 40)
        get_settings.cache_clear()
        migrations.upgrade(url)
        stored = _stored_verifier(url, role)
        assert _accepts(stored, dblogin.login_password("another-key-" + "x" * 40, role))
        assert not _accepts(stored, dblogin.login_password(key, role))

        # Given more rights by hand, the login is refused rather than used.
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as c:
            c.execute(f"ALTER ROLE {role} CREATEDB")
        with pytest.raises(dblogin.LoginError, match=f"DROP ROLE {role}"):
            migrations.upgrade(url)
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_APP_URL"} | {"DATABASE_URL": url}
        res = subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=support.ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 1 and f"DROP ROLE {role}" in res.stderr and "Traceback" not in res.stderr
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        support.drop_database(servers.pg_server_url, name)


def test_the_app_url_keeps_the_server_and_database_and_changes_only_the_login(monkeypatch):
    owner = "postgresql://owner:s3cret@db.internal:6543/quill-cast?sslmode=require"
    monkeypatch.setenv("DATABASE_URL", owner)
    monkeypatch.delenv("DATABASE_APP_URL", raising=False)
    get_settings.cache_clear()
    try:
        app = make_url(dblogin.app_url(get_settings()))
        assert (app.host, app.port, app.database, app.query) == ("db.internal", 6543, "quill-cast",
                                                                  {"sslmode": "require"})
        assert app.username == dblogin.login_role("quill-cast") != "owner"
        assert app.username.startswith("quillcast_login_quill_cast_") and len(app.username) <= 63
        assert app.password == dblogin.login_password(get_settings().secret_key, app.username) != "s3cret"
        monkeypatch.setenv("DATABASE_APP_URL", "postgres://by_hand:pw@db.internal:6543/quill-cast")
        get_settings.cache_clear()
        assert dblogin.app_url(get_settings()) == "postgresql+psycopg://by_hand:pw@db.internal:6543/quill-cast"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_a_query_through_the_app_still_sees_what_its_claims_allow(session):
    """The login changes who connects, not what the policies let each caller see."""
    from tests.factories import make_user

    user = make_user(session)
    with db.session_scope(db.user_claims(user.id)) as s:
        assert s.execute(text("SELECT id FROM users")).scalars().all() == [user.id]
    with db.session_scope(db.ANON_CLAIMS) as s:
        assert s.execute(text("SELECT count(*) FROM users")).scalar() == 0
    with pytest.raises(DBAPIError):
        with db.session_scope() as s:  # the app role may read the schema version, never change it
            s.execute(text("DELETE FROM alembic_version"))


@pytest.fixture()
def password_server(monkeypatch):
    """A PostgreSQL of this test's own that asks every role but the owner for a SCRAM password, as a real
    server does (the test server trusts local connections, which would accept any password)."""
    from app.core import embedded

    run_dir = support.ROOT / "data" / "test" / f"pg-scram-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    pg = embedded.start_postgres(run_dir, database="postgres", archive=False)
    pgdata = run_dir / "postgres"
    hba = pgdata / "pg_hba.conf"
    hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n")
    with psycopg.connect(f"host={pgdata} dbname=postgres user=postgres", autocommit=True) as c:
        c.execute("SELECT pg_reload_conf()")
    try:
        yield pg.url
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        db.reset_engine()
        pg.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


def test_the_app_logs_in_with_the_derived_password_where_the_server_demands_one(password_server, monkeypatch):
    url = support.create_database(password_server, "quillcast")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", "first-key-" + "k" * 40)
    get_settings.cache_clear()
    migrations.upgrade()
    db.reset_engine()
    with db.session_scope() as s:
        assert s.execute(text("SELECT session_user")).scalar() == "quillcast_login_quillcast"
    # A key changed without migrating: the server refuses the old password, and the error says what to run.
    monkeypatch.setenv("SECRET_KEY", "second-key-" + "k" * 40)
    get_settings.cache_clear()
    db.reset_engine()
    with pytest.raises(dblogin.LoginError, match="run `quillcast migrate`"), db.session_scope() as s:
        s.execute(text("SELECT 1"))
    migrations.upgrade()  # what every start does
    db.reset_engine()
    with db.session_scope() as s:
        assert s.execute(text("SELECT current_user")).scalar() == "quillcast_app"
