"""Row Level Security when the tables' owner is NOT a superuser (Supabase, RDS): the migrations still
apply, the owner itself is bound by FORCE RLS, and the policy helpers do not recurse."""

import json
import secrets
import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from app.core import dblogin, migrations
from app.core.config import get_settings
from tests import support


@pytest.fixture()
def managed_db(servers):
    admin = make_url(servers.pg_server_url).set(drivername="postgresql", database="postgres")
    owner = f"qc_owner_{secrets.token_hex(3)}"
    name = support.unique_name("quillcast_managed")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute(f"CREATE ROLE {owner} LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS")
        c.execute(f'CREATE DATABASE "{name}" OWNER {owner}')
        # On a cluster where the app role exists already (other databases use it), the operator grants
        # it to the new owner: PostgreSQL 16 lets only a role's admins grant it, CREATEROLE is not enough,
        # and the owner grants it on to the app's login.
        if c.execute("SELECT 1 FROM pg_roles WHERE rolname = 'quillcast_app'").fetchone():
            c.execute(f"GRANT quillcast_app TO {owner} WITH ADMIN OPTION")
    url = admin.set(drivername="postgresql+psycopg", database=name, username=owner, password=None)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            c.execute(f'DROP ROLE IF EXISTS "{dblogin.login_role(name)}"')  # the owner granted it the app role
            c.execute(f"REVOKE quillcast_app FROM {owner} CASCADE")
            c.execute(f"DROP ROLE {owner}")


def _claims(conn, claims):
    conn.execute(text("SELECT set_config('request.jwt.claims', :c, true)"), {"c": json.dumps(claims)})


def test_policies_hold_with_a_non_superuser_owner(managed_db):
    migrations.upgrade(managed_db)
    engine = create_engine(managed_db)
    # The app's own login, made by the owner as the app makes it (the same host and database).
    role, password = dblogin.derived_login(managed_db, get_settings().secret_key)
    app = create_engine(make_url(managed_db).set(username=role, password=password))
    a, b, ws_a, ws_b = (uuid.uuid4() for _ in range(4))
    try:
        with engine.connect() as conn:
            privileged = conn.execute(text(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")).scalar()
            assert privileged is False
        with app.connect() as conn:
            login = conn.execute(text("SELECT rolsuper, rolbypassrls, rolcreaterole, rolinherit FROM pg_roles "
                                      "WHERE rolname = session_user")).one()
            assert login == (False, False, False, False)
            conn.execute(text("SET ROLE quillcast_app"))
            _claims(conn, {"role": "service_role"})
            for user in (a, b):
                conn.execute(text(
                    "INSERT INTO users (id, email, display_name, timezone, is_admin, is_active, created_at, "
                    "updated_at) VALUES (:i, :e, 'x', 'UTC', false, true, now(), now())"),
                    {"i": user, "e": f"{user}@example.test"})
            for ws, user in ((ws_a, a), (ws_b, b)):
                conn.execute(text(
                    "INSERT INTO workspaces (id, name, slug, timezone, require_2fa, created_at) "
                    "VALUES (:w, 'n', :s, 'UTC', false, now())"), {"w": ws, "s": str(ws)})
                conn.execute(text(
                    "INSERT INTO memberships (id, workspace_id, user_id, role, created_at) "
                    "VALUES (gen_random_uuid(), :w, :u, 'owner', now())"), {"w": ws, "u": user})
            conn.commit()

            conn.execute(text("SET ROLE quillcast_app"))
            _claims(conn, {"sub": str(a), "role": "authenticated"})
            assert conn.execute(text("SELECT id FROM workspaces")).scalars().all() == [ws_a]
            assert conn.execute(text("SELECT workspace_id FROM memberships")).scalars().all() == [ws_a]
            assert conn.execute(text("SELECT id FROM users")).scalars().all() == [a]
            # The helper switched to service claims only for its own query: the caller's are back.
            assert conn.execute(text("SELECT quillcast_uid()")).scalar() == a
            with pytest.raises(ProgrammingError, match="row-level security"):
                conn.execute(text("INSERT INTO memberships (id, workspace_id, user_id, role, created_at) "
                                  "VALUES (gen_random_uuid(), :w, :u, 'owner', now())"), {"w": ws_b, "u": a})
            conn.rollback()
        with engine.connect() as conn:
            # FORCE: the owner itself, without claims, sees nothing either.
            assert conn.execute(text("SELECT count(*) FROM workspaces")).scalar() == 0
            conn.rollback()
    finally:
        engine.dispose()
        app.dispose()
    migrations.downgrade(managed_db, "base")
    migrations.upgrade(managed_db)
