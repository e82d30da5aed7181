"""`quillcast create-admin`: the operator makes instance administrators; signing up first makes none."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from pwdlib import PasswordHash
from sqlmodel import func, select

from app.services.errors import NotAuthenticated, PermissionDenied
from app.services.identity import admins
from models import User
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]


def _cli(args, app_env, stdin=""):
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=app_env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def _user(session, email):
    session.expire_all()
    return session.exec(select(User).where(func.lower(User.email) == email.lower())).first()


def test_create_admin_makes_a_new_account_with_a_password_from_stdin(app_env, session):
    email = f"root-{secrets.token_hex(3)}@example.test"
    res = _cli(["create-admin", "--email", email, "--password-stdin"], app_env, "correct horse battery\n")
    assert res.returncode == 0, res.stderr
    assert f"created administrator {email}" in res.stderr
    assert "correct horse" not in res.stderr + res.stdout
    user = _user(session, email)
    assert user.is_admin and user.email_verified_at is not None
    assert user.password_hash.startswith("$argon2id$")
    assert PasswordHash.recommended().verify("correct horse battery", user.password_hash)


def test_create_admin_promotes_an_existing_account_and_leaves_its_password(app_env, session):
    first = make_user(session, password_hash="$argon2id$unchanged")  # signed up first: not an admin
    assert not first.is_admin
    res = _cli(["create-admin", "--email", first.email.upper(), "--password-stdin"], app_env,
               "another one!!\n")
    assert res.returncode == 0, res.stderr
    assert "now an administrator (password unchanged)" in res.stderr
    user = _user(session, first.email)
    assert user.is_admin and user.password_hash == "$argon2id$unchanged"
    again = _cli(["create-admin", "--email", first.email], app_env)
    assert again.returncode == 0 and "already an administrator" in again.stderr


@pytest.mark.parametrize("email, stdin, message", [
    ("not-an-email", "", "email:"),
    ("short@example.test", "tiny\n", "password: use 10 to"),
])
def test_create_admin_bad_input_is_one_clear_line(app_env, email, stdin, message):
    res = _cli(["create-admin", "--email", email, *(["--password-stdin"] if stdin else [])], app_env, stdin)
    assert res.returncode == 1
    assert message in res.stderr and "Traceback" not in res.stderr


def test_create_admin_without_a_database_says_what_to_set(app_env):
    env = {k: v for k, v in app_env.items() if k != "DATABASE_URL"}
    env["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/nothing"
    res = _cli(["create-admin", "--email", "a@example.test"], env)
    assert res.returncode == 1 and "DATABASE_URL" in res.stderr and "Traceback" not in res.stderr


def test_instance_admin_guard(session):
    plain, admin = make_user(session), make_user(session, is_admin=True)
    assert admins.require_instance_admin(session, admin.id).id == admin.id
    with pytest.raises(PermissionDenied):
        admins.require_instance_admin(session, plain.id)
    with pytest.raises(NotAuthenticated):
        admins.require_instance_admin(session, None)
