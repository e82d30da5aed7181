"""The app's own database login: web, worker and beat connect as a role that is no superuser, owns nothing
and may do nothing but become the app role (`rls.APP_ROLE`, which Row Level Security binds).

DATABASE_URL stays the URL of the tables' owner: migrations, backup and restore use it. `quillcast migrate`
makes (or repairs) one login role per database, `quillcast_login_<database>`: LOGIN, NOINHERIT (on its own
it may read no table), NOSUPERUSER, NOCREATEDB, NOCREATEROLE, NOREPLICATION, NOBYPASSRLS, a member of the
app role only. Its password is an HMAC of SECRET_KEY, so every process derives the same one without a new
setting, and it changes with the key (each start migrates). One role per database, so two instances on one
server, each with its own key, never overwrite each other's password. Only a SCRAM verifier, computed
here, goes to the server: the password itself never appears in a statement or a server log.

Where roles are made by hand (Supabase, RDS without CREATEROLE), DATABASE_APP_URL names the login instead
(a role granted the app role, or the app role itself with LOGIN) and migrate leaves roles alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from app.core.config import Settings, sqlalchemy_url
from app.core.rls import APP_ROLE

PREFIX = "quillcast_login_"
_SCRAM_ITERATIONS = 4096  # PostgreSQL's own default (scram_iterations)


class LoginError(RuntimeError):
    """A one-line, user-facing reason the app's database login cannot be made or used."""


def database_of(url: str) -> str:
    u = make_url(sqlalchemy_url(url))
    # libpq's default database is the user's name.
    return u.database or u.username or "postgres"


def login_role(database: str) -> str:
    """`quillcast_login_<database>`; a database name that is not a plain identifier gets a hash suffix."""
    plain = re.sub(r"[^a-z0-9_]", "_", database.lower())
    if plain == database and len(PREFIX) + len(plain) <= 63:
        return PREFIX + plain
    digest = hashlib.sha256(database.encode()).hexdigest()[:10]
    return f"{PREFIX}{plain[:63 - len(PREFIX) - 11]}_{digest}"


def login_password(secret_key: str, role: str) -> str:
    mac = hmac.new(secret_key.encode(), f"quillcast database login\0{role}".encode(), hashlib.sha256)
    return mac.hexdigest()


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """What `ALTER ROLE ... PASSWORD` stores for SCRAM-SHA-256 (RFC 5802/7677), as psql's \\password sends."""
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = base64.b64encode
    return (f"SCRAM-SHA-256${_SCRAM_ITERATIONS}:{b64(salt).decode()}"
            f"${b64(hashlib.sha256(client_key).digest()).decode()}:{b64(server_key).decode()}")


def derived_login(owner_url: str, secret_key: str) -> tuple[str, str]:
    """(role, password) of the login for the database at `owner_url`."""
    role = login_role(database_of(owner_url))
    return role, login_password(secret_key, role)


def app_url(settings: Settings) -> str:
    """The URL the app's engine connects with: DATABASE_APP_URL, else DATABASE_URL's server and database
    as the derived login."""
    if settings.database_app_url:
        return sqlalchemy_url(settings.database_app_url)
    owner = settings.sqlalchemy_database_url
    role, password = derived_login(owner, settings.secret_key)
    url = make_url(owner).set(username=role, password=password, database=database_of(owner))
    return url.render_as_string(hide_password=False)


def _conninfo(url: str) -> str:
    return make_url(sqlalchemy_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_login(owner_url: str, secret_key: str) -> str:
    """Make the login role of this database, or bring an existing one back to exactly what it should be;
    returns its name. Runs as the owner (after the migrations, which made the app role)."""
    role, password = derived_login(owner_url, secret_key)
    name = sql.Identifier(role)
    verifier = sql.Literal(scram_verifier(password))
    try:
        with psycopg.connect(_conninfo(owner_url), autocommit=True) as conn:
            # Only a superuser may take SUPERUSER, BYPASSRLS, CREATEDB ... away again: a login found with
            # any of them (given by hand) is refused rather than used.
            found = conn.execute("SELECT rolsuper OR rolbypassrls OR rolreplication OR rolcreatedb "
                                 "OR rolcreaterole FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if found and found[0]:
                raise LoginError(f"the database role {role} has more rights than the app's login may: "
                                 f"drop it (`DROP ROLE {role}`) and run `quillcast migrate`, which makes it "
                                 "again")
            if found is None:
                try:
                    conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE "
                                         "NOREPLICATION NOBYPASSRLS PASSWORD {}").format(name, verifier))
                except psycopg.errors.DuplicateObject:
                    found = (False,)  # another migrate made it a moment ago: set the password below
            if found is not None:
                conn.execute(sql.SQL("ALTER ROLE {} WITH LOGIN NOINHERIT PASSWORD {}").format(name, verifier))
            member = conn.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (role, APP_ROLE)).fetchone()
            if not (member and member[0]):
                conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(APP_ROLE), name))
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise LoginError(
            f"cannot make the app's database login {role} ({reason}): give the migrating user (DATABASE_URL) "
            f"CREATEROLE and the right to grant {APP_ROLE}, or make a login role by hand, "
            f"`GRANT {APP_ROLE} TO` it and set DATABASE_APP_URL"
        ) from exc
    return role

