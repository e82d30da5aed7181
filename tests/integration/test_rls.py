"""Row Level Security, proven with raw SQL on the app's own connections (role quillcast_app):
the database itself keeps workspaces apart, whatever the code above it does."""

import json
import secrets
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlmodel import select

from app.core import db
from models import Channel, Membership, User, Workspace
from tests.factories import make_channel, make_target, make_user, make_workspace


@pytest.fixture()
def two_tenants(session):
    """Ada owns workspace A, Bob owns workspace B; each has a channel and a scheduled post."""
    ada, bob = make_user(session, display_name="Ada"), make_user(session, display_name="Bob")
    ws_a, ws_b = make_workspace(session, ada, name="A"), make_workspace(session, bob, name="B")
    ch_a, ch_b = make_channel(session, ws_a), make_channel(session, ws_b)
    make_target(session, ch_a), make_target(session, ch_b)
    return {"ada": ada, "bob": bob, "a": ws_a, "b": ws_b, "ch_a": ch_a, "ch_b": ch_b}


def _conn(claims):
    """A raw connection from the app's pool, acting under `claims` (None: no claims set at all)."""
    conn = db.get_engine().connect()
    if claims is not None:
        conn.execute(text("SELECT set_config('request.jwt.claims', :c, true)"), {"c": json.dumps(claims)})
    return conn


def _ids(conn, sql, **params):
    return {r[0] for r in conn.execute(text(sql), params)}


def test_app_connections_run_as_a_role_without_bypassrls_that_owns_nothing(app_env):
    with _conn(None) as conn:
        who = conn.execute(text(
            "SELECT current_user, r.rolsuper, r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user"
        )).one()
        owned = conn.execute(text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )).scalar()
    assert who == ("quillcast_app", False, False)
    assert owned == 0


# Tables without Row Level Security, each with the reason it needs none. Everything else in the schema
# must have it enabled and forced: a new table fails this guard until its migration gives it policies.
NO_RLS_NEEDED = {
    # The schema version: the app role may only read it (readiness check); it holds nobody's data.
    "alembic_version",
}


def test_every_table_has_forced_rls_unless_allow_listed(app_env):
    with _conn(None) as conn:
        rows = conn.execute(text(
            """
            SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
            """
        )).all()
    tables = {name: (forced, policies) for name, forced, policies in rows}
    # Spot checks that the query sees the tables at all (tenant, personal and system ones).
    assert {"channels", "posts", "users", "refresh_tokens", "email_outbox", "one_time_tokens",
            "recovery_codes", "alembic_version"} <= set(tables)
    assert {t for t, (forced, _) in tables.items() if not forced and t not in NO_RLS_NEEDED} == set()
    # Forced RLS without any policy would hide the table from everyone, the service included.
    assert {t for t, (_, policies) in tables.items() if t not in NO_RLS_NEEDED and policies == 0} == set()
    with _conn(None) as conn:  # the allow-listed table is read-only for the app
        allowed = conn.execute(text(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = current_user AND table_name = 'alembic_version'")).scalars().all()
    assert set(allowed) <= {"SELECT"}


def test_without_claims_a_query_sees_nothing(two_tenants):
    with _conn(None) as conn:
        for table in ("workspaces", "memberships", "users", "channels", "posts", "post_targets"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
        # ... and writes nothing either.
        result = conn.execute(text("UPDATE channels SET name = 'hijacked'"))
        assert result.rowcount == 0


def test_a_user_reads_only_their_own_workspaces(two_tenants):
    t = two_tenants
    with _conn(db.user_claims(t["ada"].id)) as conn:
        assert _ids(conn, "SELECT id FROM workspaces") == {t["a"].id}
        assert _ids(conn, "SELECT workspace_id FROM channels") == {t["a"].id}
        assert _ids(conn, "SELECT workspace_id FROM posts") == {t["a"].id}
        assert _ids(conn, "SELECT workspace_id FROM post_targets") == {t["a"].id}
        assert _ids(conn, "SELECT id FROM channels WHERE id = :id", id=t["ch_b"].id) == set()
        # People: yourself, never a stranger.
        assert _ids(conn, "SELECT id FROM users WHERE id IN (:a, :b)", a=t["ada"].id, b=t["bob"].id) == {
            t["ada"].id}


def test_a_user_cannot_update_or_delete_another_workspaces_rows(two_tenants, session):
    t = two_tenants
    with _conn(db.user_claims(t["ada"].id)) as conn:
        assert conn.execute(text("UPDATE channels SET name = 'hijacked' WHERE id = :id"),
                            {"id": t["ch_b"].id}).rowcount == 0
        deleted = conn.execute(text("DELETE FROM posts WHERE workspace_id = :ws"), {"ws": t["b"].id})
        assert deleted.rowcount == 0
        assert conn.execute(text("UPDATE workspaces SET name = 'mine now' WHERE id = :ws"),
                            {"ws": t["b"].id}).rowcount == 0
        conn.commit()
    session.expire_all()
    assert session.get(Channel, t["ch_b"].id).name != "hijacked"
    assert session.get(Workspace, t["b"].id).name == "B"


@pytest.mark.parametrize("sql", [
    "INSERT INTO channels (id, workspace_id, network, name, account, credentials, status, settings, "
    "created_at, updated_at) "
    "VALUES (gen_random_uuid(), :ws, 'bluesky', 'x', 'x', '', 'active', '{}', now(), now())",
    "INSERT INTO posts (id, workspace_id, status, body, created_at, updated_at) "
    "VALUES (gen_random_uuid(), :ws, 'draft', 'spam', now(), now())",
    # Joining B by writing one's own membership row.
    "INSERT INTO memberships (id, workspace_id, user_id, role, created_at) "
    "VALUES (gen_random_uuid(), :ws, :me, 'owner', now())",
    # Moving one's own channel into B.
    "UPDATE channels SET workspace_id = :ws WHERE workspace_id = :mine",
])
def test_a_user_cannot_write_rows_into_another_workspace(two_tenants, sql):
    t = two_tenants
    with _conn(db.user_claims(t["ada"].id)) as conn:
        with pytest.raises(ProgrammingError, match="row-level security"):
            conn.execute(text(sql), {"ws": t["b"].id, "me": t["ada"].id, "mine": t["a"].id})


def test_a_viewer_reads_but_cannot_write_posts(two_tenants, session):
    t = two_tenants
    viewer = make_user(session)
    session.add(Membership(workspace_id=t["a"].id, user_id=viewer.id, role="viewer"))
    session.commit()
    with _conn(db.user_claims(viewer.id)) as conn:
        assert _ids(conn, "SELECT workspace_id FROM posts") == {t["a"].id}
        # Co-members' names are visible (member lists), strangers' are not.
        assert _ids(conn, "SELECT id FROM users WHERE id IN (:a, :b)", a=t["ada"].id, b=t["bob"].id) == {
            t["ada"].id}
        assert conn.execute(text("UPDATE posts SET body = 'edited' WHERE workspace_id = :ws"),
                            {"ws": t["a"].id}).rowcount == 0
        with pytest.raises(ProgrammingError, match="row-level security"):
            conn.execute(text(
                "INSERT INTO posts (id, workspace_id, status, body, created_at, updated_at) "
                "VALUES (gen_random_uuid(), :ws, 'draft', 'x', now(), now())"), {"ws": t["a"].id})


def test_the_service_role_sees_every_workspace(two_tenants):
    t = two_tenants
    with _conn(db.SERVICE_CLAIMS) as conn:
        assert {t["a"].id, t["b"].id} <= _ids(conn, "SELECT id FROM workspaces")
        assert {t["a"].id, t["b"].id} <= _ids(conn, "SELECT workspace_id FROM post_targets")


def test_nobody_can_list_another_users_workspaces_through_the_helper_functions(two_tenants):
    t = two_tenants
    with _conn(db.user_claims(t["ada"].id)) as conn:
        assert _ids(conn, "SELECT quillcast_workspace_ids()") == {t["a"].id}
        with pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text("SELECT quillcast_private_workspace_ids(:bob, NULL)"), {"bob": t["bob"].id})


def test_session_claims_survive_commits(two_tenants):
    """A session keeps acting as its user in every transaction, not only the first."""
    t = two_tenants
    with db.session_scope(db.user_claims(t["ada"].id)) as s:
        assert {w.id for w in s.exec(select(Workspace)).all()} == {t["a"].id}
        s.commit()
        assert {w.id for w in s.exec(select(Workspace)).all()} == {t["a"].id}
        with db.as_service(s):
            assert t["b"].id in {w.id for w in s.exec(select(Workspace)).all()}
        assert {w.id for w in s.exec(select(Workspace)).all()} == {t["a"].id}


def test_a_user_creates_a_workspace_and_becomes_its_owner_under_rls(app_env):
    with db.session_scope() as s:
        carol = User(email=f"carol-{secrets.token_hex(3)}@example.test")
        s.add(carol)
    ws_id = uuid.uuid4()
    with db.session_scope(db.user_claims(carol.id)) as s:
        s.add(Workspace(id=ws_id, name="Carol's", slug=f"carol-{secrets.token_hex(3)}"))
        s.flush()
        s.add(Membership(workspace_id=ws_id, user_id=carol.id, role="owner"))
    with db.session_scope(db.user_claims(carol.id)) as s:
        assert [w.id for w in s.exec(select(Workspace)).all()] == [ws_id]
        # Once it has an owner, nobody else bootstraps themself into it.
    with db.session_scope() as s:
        dave = User(email=f"dave-{secrets.token_hex(3)}@example.test")
        s.add(dave)
    with pytest.raises(ProgrammingError, match="row-level security"):
        with db.session_scope(db.user_claims(dave.id)) as s:
            s.add(Membership(workspace_id=ws_id, user_id=dave.id, role="owner"))


def test_an_api_request_nobody_signed_in_to_sees_nothing(two_tenants):
    """The API's session starts anonymous: a route that forgets to authenticate reads no tenant's rows."""
    from fastapi.testclient import TestClient
    from sqlalchemy import func

    from app.api.deps import SessionDep
    from app.api.main import create_api

    api = create_api()

    @api.get("/api/forgot-to-authenticate")
    def leaky(session: SessionDep) -> dict:
        return {"workspaces": session.exec(select(func.count()).select_from(Workspace)).one(),
                "users": session.exec(select(func.count()).select_from(User)).one()}

    with TestClient(api) as client:
        assert client.get("/api/forgot-to-authenticate").json() == {"workspaces": 0, "users": 0}


def test_an_admin_cannot_make_or_unmake_owners_even_with_raw_sql(two_tenants, session):
    t = two_tenants
    admin = make_user(session)
    session.add(Membership(workspace_id=t["a"].id, user_id=admin.id, role="admin"))
    session.commit()
    with _conn(db.user_claims(admin.id)) as conn:
        demoted = conn.execute(text("UPDATE memberships SET role = 'viewer' WHERE workspace_id = :ws "
                                    "AND role = 'owner'"), {"ws": t["a"].id})
        assert demoted.rowcount == 0
        assert conn.execute(text("DELETE FROM memberships WHERE workspace_id = :ws AND role = 'owner'"),
                            {"ws": t["a"].id}).rowcount == 0
        with pytest.raises(ProgrammingError, match="row-level security"):
            conn.execute(text("UPDATE memberships SET role = 'owner' WHERE user_id = :me"), {"me": admin.id})
    with _conn(db.user_claims(t["ada"].id)) as conn:  # the owner may
        promoted = conn.execute(text("UPDATE memberships SET role = 'owner' WHERE user_id = :u"),
                                {"u": admin.id})
        assert promoted.rowcount == 1
        conn.rollback()
