"""Row Level Security: the SQL that migrations run, kept in one place so every tenant table gets the
same rules.

The app logs in as a role of its own (app/core/dblogin.py: no superuser, owns nothing) and switches to
`APP_ROLE` (no BYPASSRLS, owns nothing) on every connection; each transaction then states who it acts for with
`set_config('request.jwt.claims', '{"sub": "<user id>", "role": "authenticated"}', true)`. Policies read
those claims the way Supabase's `auth.uid()` does, so the same schema runs on Supabase. Claims with
`"role": "service_role"` are the system (workers, dispatcher, sign-in before a user is known): the
policies let them through, as Supabase's service role is.

A new table with a `workspace_id` column gets its policies in its own migration:
`for stmt in rls.tenant_table_sql("my_table"): op.execute(stmt)`; a table of one person's rows
(`user_id`): `rls.user_table_sql("my_table")`; anything else: `rls.policies_sql(...)`. Every table has
forced RLS; tests/integration/test_rls.py fails for one that has not and is not on its allow-list.

Every statement here is built from constants in this module (table and role names), never from input;
hence the `noqa: S608` marks.
"""

from __future__ import annotations

APP_ROLE = "quillcast_app"

# Roles (memberships.role) allowed to write each kind of row; everyone in the workspace may read.
WRITERS_ALL = ("owner", "admin", "editor", "contributor")
WRITERS_EDITORS = ("owner", "admin", "editor")
WRITERS_ADMINS = ("owner", "admin")

# Wrapped in a sub-select so Postgres evaluates them once per statement, not once per row (Supabase's
# advice for `auth.uid()` in policies).
SERVICE = "(SELECT quillcast_is_service())"
UID = "(SELECT quillcast_uid())"


def _roles(roles: tuple[str, ...] | None) -> str:
    if roles is None:
        return "NULL"
    return "ARRAY[" + ", ".join(f"'{r}'" for r in roles) + "]::text[]"


def in_workspaces(roles: tuple[str, ...] | None = None, column: str = "workspace_id") -> str:
    """SQL: the row's workspace is one where the caller has a membership (with one of `roles`)."""
    return f"{column} IN (SELECT quillcast_workspace_ids({_roles(roles)}))"


# --- helper functions (created once per database) ---
FUNCTIONS_SQL = [
    # '' (a claim set earlier in the session and reset at commit) and NULL both mean "no claims".
    """
    CREATE OR REPLACE FUNCTION quillcast_claims() RETURNS jsonb
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION quillcast_uid() RETURNS uuid
    LANGUAGE sql STABLE AS $$
      SELECT nullif(quillcast_claims() ->> 'sub', '')::uuid
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION quillcast_is_service() RETURNS boolean
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(quillcast_claims() ->> 'role' = 'service_role', false)
    $$
    """,
    # Reading memberships from a memberships policy would recurse. This private function runs as the
    # owner and switches to the service claims for its own query, so the policies it meets let it
    # through at once, then puts the caller's claims back. (A `SET` clause on the function would be
    # simpler, but only a superuser may put a custom setting there; Supabase's and RDS's owners are not
    # superusers.) On an error the (sub)transaction's rollback restores the claims. Only the wrappers
    # below may call it.
    """
    CREATE OR REPLACE FUNCTION quillcast_private_workspace_ids(uid uuid, roles text[]) RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    DECLARE
      caller_claims text := coalesce(current_setting('request.jwt.claims', true), '');
    BEGIN
      PERFORM set_config('request.jwt.claims', '{"role": "service_role"}', true);
      RETURN QUERY
        SELECT m.workspace_id FROM memberships m
        WHERE m.user_id = uid AND (roles IS NULL OR m.role = ANY (roles));
      PERFORM set_config('request.jwt.claims', caller_claims, true);
    END
    $$
    """,
    "REVOKE ALL ON FUNCTION quillcast_private_workspace_ids(uuid, text[]) FROM PUBLIC",
    # The caller's own workspaces: the uid comes from the caller's claims, never from an argument,
    # so nobody can list another person's workspaces.
    """
    CREATE OR REPLACE FUNCTION quillcast_workspace_ids(roles text[] DEFAULT NULL) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
      SELECT quillcast_private_workspace_ids(quillcast_uid(), roles)
    $$
    """,
    # Creating a workspace: its creator may add themself as owner while it has no member yet.
    """
    CREATE OR REPLACE FUNCTION quillcast_workspace_has_members(ws uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
    DECLARE
      caller_claims text := coalesce(current_setting('request.jwt.claims', true), '');
      found boolean;
    BEGIN
      PERFORM set_config('request.jwt.claims', '{"role": "service_role"}', true);
      found := EXISTS (SELECT 1 FROM memberships WHERE workspace_id = ws);
      PERFORM set_config('request.jwt.claims', caller_claims, true);
      RETURN found;
    END
    $$
    """,
]

DROP_FUNCTIONS_SQL = [
    "DROP FUNCTION IF EXISTS quillcast_workspace_has_members(uuid)",
    "DROP FUNCTION IF EXISTS quillcast_workspace_ids(text[])",
    "DROP FUNCTION IF EXISTS quillcast_private_workspace_ids(uuid, text[])",
    "DROP FUNCTION IF EXISTS quillcast_is_service()",
    "DROP FUNCTION IF EXISTS quillcast_uid()",
    "DROP FUNCTION IF EXISTS quillcast_claims()",
]

# The role is cluster-wide (several databases may share it), so it is created if missing and never
# dropped by a downgrade. The migrating user is made a member so it may `SET ROLE` to it (and grant it
# to the app's login, app/core/dblogin.py).
ROLE_SQL = [
    f"""
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} NOLOGIN NOINHERIT NOBYPASSRLS;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;  -- another database's migration created it at the same moment
    END
    $$
    """,  # noqa: S608
    # PostgreSQL 16 gives a CREATEROLE user that creates a role only the ADMIN option on it, not the
    # right to SET ROLE to it: ask for that right itself there.
    f"""
    DO $$
    BEGIN
      IF NOT pg_has_role(current_user, '{APP_ROLE}',
                         CASE WHEN current_setting('server_version_num')::int >= 160000
                              THEN 'SET' ELSE 'MEMBER' END) THEN
        EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
      END IF;
    END
    $$
    """,
    f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}",
    f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}",
    # Tables of later migrations (made by the same migrating user) get the same grants.
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}",
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}",
    # The app may read the schema version (readiness check); only the migrator changes it.
    f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE alembic_version FROM {APP_ROLE}",
]

UNGRANT_SQL = [
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
    f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}",
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE}",  # noqa: S608
    f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}",
    f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}",
    f"REVOKE ALL ON SCHEMA public FROM {APP_ROLE}",
]


def policies_sql(table: str, *, read: str, insert: str, update: str, delete: str) -> list[str]:
    """ENABLE + FORCE RLS on `table` with one policy per command; the service role passes every one."""
    def ok(expr: str) -> str:
        return f"({SERVICE} OR ({expr}))"

    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_select ON {table} FOR SELECT USING {ok(read)}",
        f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK {ok(insert)}",
        f"CREATE POLICY {table}_update ON {table} FOR UPDATE USING {ok(update)} WITH CHECK {ok(update)}",
        f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING {ok(delete)}",
    ]


def drop_policies_sql(table: str) -> list[str]:
    return [
        *(f"DROP POLICY IF EXISTS {table}_{cmd} ON {table}"
          for cmd in ("select", "insert", "update", "delete")),
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


def tenant_table_sql(table: str, writers: tuple[str, ...] = WRITERS_ALL) -> list[str]:
    """A table whose rows belong to a workspace (`workspace_id`): members read, `writers` write."""
    write = in_workspaces(writers)
    return policies_sql(table, read=in_workspaces(), insert=write, update=write, delete=write)


def user_table_sql(table: str, column: str = "user_id") -> list[str]:
    """A table whose rows belong to one person (no workspace): only they, or the service, touch them."""
    mine = f"{column} = {UID}"
    return policies_sql(table, read=mine, insert=mine, update=mine, delete=mine)


def account_secrets_sql(table: str) -> list[str]:
    """One person's account secrets (single-use link tokens, recovery codes; hashes only): they may read
    their own rows, only the service writes them. A row a user could write would be a credential they
    minted themself: a link that verifies any address, a second factor an intruder keeps."""
    return policies_sql(table, read=f"user_id = {UID}", insert="false", update="false", delete="false")


# The caller is an active instance administrator (`quillcast create-admin`); read from their own users
# row, which the users policy lets them see. Evaluated once per statement.
INSTANCE_ADMIN = f"(SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = {UID} AND u.is_admin AND u.is_active))"  # noqa: S608


def outbox_sql() -> list[str]:
    """The e-mail outbox holds sign-in links of everyone: instance administrators may read it (the Outbox
    page's rule); only the service (the e-mail service, the mail worker) writes it."""
    return policies_sql("email_outbox", read=INSTANCE_ADMIN, insert="false", update="false", delete="false")


# table -> its policies. Tables that belong to a workspace first, then the ones that need their own rules.
TENANT_TABLES: dict[str, tuple[str, ...]] = {
    "channels": WRITERS_ADMINS,
    "posts": WRITERS_ALL,
    "post_targets": WRITERS_ALL,
    "media_assets": WRITERS_ALL,
    "publish_attempts": WRITERS_EDITORS,
    "invitations": WRITERS_ADMINS,
}


def special_tables_sql() -> dict[str, list[str]]:
    uid = UID
    own_keys = f"user_id = {uid} AND {in_workspaces()}"
    manage_members = f"({in_workspaces(('owner',))} OR (role <> 'owner' AND {in_workspaces(WRITERS_ADMINS)}))"
    return {
        "workspaces": policies_sql(
            "workspaces",
            read=in_workspaces(column="id"),
            # Anyone signed in may create a workspace; the service then makes them its owner.
            insert=f"{uid} IS NOT NULL",
            update=in_workspaces(WRITERS_ADMINS, column="id"),
            delete=in_workspaces(("owner",), column="id"),
        ),
        # Owners manage every membership; admins only non-owner ones, and cannot make owners.
        "memberships": policies_sql(
            "memberships",
            read=in_workspaces(),
            insert=(f"{manage_members} OR (user_id = {uid} AND role = 'owner' "
                    "AND NOT quillcast_workspace_has_members(workspace_id))"),
            update=manage_members,
            delete=f"{manage_members} OR user_id = {uid}",  # anyone may leave
        ),
        "users": policies_sql(
            "users",
            # Yourself, and the people you share a workspace with (names in member lists).
            read=(f"id = {uid} OR id IN (SELECT m.user_id FROM memberships m "  # noqa: S608
                  f"WHERE {in_workspaces(column='m.workspace_id')})"),
            insert="false",  # sign-up runs as the service
            update=f"id = {uid}",
            delete=f"id = {uid}",
        ),
        "api_keys": policies_sql(
            "api_keys", read=own_keys, insert=own_keys, update=own_keys, delete=own_keys
        ),
        "refresh_tokens": user_table_sql("refresh_tokens"),
        "audit_log": policies_sql(
            "audit_log",
            # Workspace admins read their workspace's log; everyone reads what they did themself.
            read=f"actor_id = {uid} OR {in_workspaces(WRITERS_ADMINS)}",
            insert=f"actor_id = {uid} AND (workspace_id IS NULL OR {in_workspaces()})",
            update="false",  # the log is append-only for users
            delete="false",
        ),
    }
