"""First run: the setup link makes the first instance administrator, signed in, with no mail; then it is dead.

Service and /api/auth/signup over real PostgreSQL and Redis; the CLI as a real process.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, func, select

from app.services.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from app.services.identity import accounts, authentication, sessions, setup
from models import AuditLog, User
from tests.accounts_support import PASSWORD, ip, latest_mail, new_email, signed_up_user
from tests.factories import make_user
from tests.setup_support import no_admin  # noqa: F401 - fixture
from tests.support import without_smtp

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("no_admin")


@pytest.fixture()
def client(app_env):
    from app.api.main import create_api

    with TestClient(create_api(), client=(ip(), 50000)) as c:
        yield c


def _user(session, address: str) -> User | None:
    session.expire_all()
    return session.exec(select(User).where(func.lower(User.email) == address.lower())).first()


def _admins(session) -> int:
    session.expire_all()
    return len(session.exec(select(User).where(col(User.is_admin))).all())


def _token_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


def _first_admin(session, token: str, address: str, **kw):
    return setup.create_first_admin(session, token, email_address=address, password=PASSWORD,
                                    display_name="Grace", timezone="Europe/Lisbon", ip=ip(), **kw)


# --- the service ---

def test_the_setup_link_makes_a_verified_administrator_signed_in(session):
    link = setup.setup_link(session)
    assert link is not None and link.startswith("http://127.0.0.1:") and "/setup?token=" in link
    address = new_email()
    first = _first_admin(session, _token_of(link), address, user_agent="Firefox on the first day")
    user = _user(session, address)
    assert user is not None and user.id == first.user_id
    assert user.is_admin and user.email_verified_at is not None and user.is_active
    assert (user.display_name, user.timezone) == ("Grace", "Europe/Lisbon")
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    live = sessions.resolve(first.session_token)  # a real server-side session, as sign-in makes
    assert live is not None and live.user_id == user.id
    # The account signs in like any other, with the password it chose; no mail was needed.
    assert authentication.sign_in(session, email_address=address, password=PASSWORD, ip=ip()).session_token
    actions = set(session.exec(select(AuditLog.action).where(AuditLog.actor_id == user.id)).all())
    assert {"admin.setup", "auth.sign_in"} <= actions


def test_a_second_use_is_refused_and_the_link_is_dead(session):
    token = setup.setup_token()
    _first_admin(session, token, new_email())
    assert setup.setup_link(session) is None and not setup.setup_needed(session)
    second = new_email()
    with pytest.raises(Conflict) as refused:
        _first_admin(session, token, second)
    assert refused.value.field == "token" and "already set up" in refused.value.message
    assert _user(session, second) is None and _admins(session) == 1


@pytest.mark.parametrize("kind", ["empty", "guess", "near miss", "huge"])
def test_a_wrong_token_is_refused_and_creates_nothing(session, kind):
    real = setup.setup_token()
    token = {"empty": "", "guess": "not-the-token", "huge": real * 100,
             "near miss": real[:-1] + ("A" if real[-1] != "A" else "B")}[kind]
    address = new_email()
    with pytest.raises(PermissionDenied) as refused:
        _first_admin(session, token, address)
    assert refused.value.field == "token" and "quillcast setup-link" in refused.value.message
    assert _user(session, address) is None and _admins(session) == 0
    assert setup.setup_needed(session)


def test_the_token_is_dead_once_any_administrator_exists(session):
    make_user(session, is_admin=True)  # e.g. made with `quillcast create-admin`
    assert setup.setup_link(session) is None
    with pytest.raises(Conflict):
        setup.check_token(session, setup.setup_token())
    with pytest.raises(Conflict):
        _first_admin(session, setup.setup_token(), new_email())


def test_bad_input_names_the_field_and_keeps_the_link_alive(session):
    with pytest.raises(ValidationFailed) as bad:
        setup.create_first_admin(session, setup.setup_token(), email_address="someone@example.test",
                                 password="short", ip=ip())
    assert bad.value.field == "password"
    with pytest.raises(ValidationFailed) as bad:
        _first_admin(session, setup.setup_token(), "not an address")
    assert bad.value.field == "email"
    assert setup.setup_needed(session) and _admins(session) == 0


def test_an_account_stuck_before_setup_becomes_the_administrator(session):
    without = new_email()
    accounts.sign_up(session, email_address=without, password="an older password here", ip=ip())
    assert _user(session, without).email_verified_at is None  # its mail waits for an administrator
    _first_admin(session, setup.setup_token(), without)
    user = _user(session, without)
    assert user.is_admin and user.email_verified_at is not None
    assert authentication.sign_in(session, email_address=without, password=PASSWORD, ip=ip()).session_token


def test_a_confirmed_account_needs_its_own_password(session):
    user = signed_up_user(session)  # e.g. mail worked: confirmed before anyone was administrator
    with pytest.raises(ValidationFailed) as refused:
        setup.create_first_admin(session, setup.setup_token(), email_address=user.email,
                                 password="somebody else's password", ip=ip())
    assert refused.value.field == "password"
    assert not _user(session, user.email).is_admin
    _first_admin(session, setup.setup_token(), user.email)  # PASSWORD is the account's own
    assert _user(session, user.email).is_admin


def test_two_uses_at_once_make_one_administrator(session):
    from app.core.db import session_scope

    results: list[str] = []

    def use(address: str) -> None:
        with session_scope() as s:
            try:
                _first_admin(s, setup.setup_token(), address)
                results.append("created")
            except DomainError as exc:
                results.append(type(exc).__name__)

    threads = [threading.Thread(target=use, args=(new_email(),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["Conflict", "created"] and _admins(session) == 1


def test_wrong_tokens_are_rate_limited_per_address(session):
    address = ip()
    with pytest.raises(DomainError) as stopped:  # noqa: PT012 - the limit is reached inside the loop
        for _ in range(40):
            try:
                setup.check_token(session, "guess", ip=address)
            except PermissionDenied:
                continue
    assert stopped.value.status_code == 429


# --- the API ---

def test_api_signup_with_the_setup_token_answers_like_sign_in(client, session):
    address = new_email()
    r = client.post("/api/auth/signup", json={"email": address, "password": PASSWORD, "display_name": "Grace",
                                              "timezone": "Asia/Tokyo", "setup_token": setup.setup_token()})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["session_token"] and body["access_token"] and body["token_type"] == "bearer"
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["is_admin"] is True and me.json()["email_verified"] is True
    assert me.json()["email"] == address and me.json()["timezone"] == "Asia/Tokyo"

    again = client.post("/api/auth/signup", json={"email": new_email(), "password": PASSWORD,
                                                  "setup_token": setup.setup_token()})
    assert again.status_code == 409
    assert again.json()["problems"][0]["field"] == "setup_token"
    assert "already set up" in again.json()["message"]


def test_api_wrong_setup_token_is_403_naming_it_and_creates_nothing(client, session):
    address = new_email()
    r = client.post("/api/auth/signup", json={"email": address, "password": PASSWORD, "setup_token": "nope"})
    assert r.status_code == 403
    assert r.json()["problems"][0]["field"] == "setup_token"
    assert _user(session, address) is None and setup.setup_needed(session)


def test_api_signup_says_when_the_mail_waits_for_an_administrator(client, session, monkeypatch):
    without_smtp(monkeypatch)
    address = new_email()
    r = client.post("/api/auth/signup", json={"email": address, "password": PASSWORD})
    assert r.status_code == 202
    assert "Admin → Outbox" in r.json()["message"] and "administrator" in r.json()["message"]
    assert latest_mail(session, address, "verification").status == "held"
    assert not _user(session, address).is_admin  # signing up first makes nobody an administrator


def test_openapi_documents_setup_token_and_the_201(client):
    spec = client.get("/api/openapi.json").json()
    op = spec["paths"]["/api/auth/signup"]["post"]
    assert {"201", "202", "403", "409"} <= set(op["responses"])
    created = op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert created.endswith("/SignInResponse")
    schema_name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    field = spec["components"]["schemas"][schema_name]["properties"]["setup_token"]
    assert "quillcast run" in field["description"]


# --- the CLI ---

def _cli(args, env):
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_setup_link_prints_the_link_until_an_administrator_exists(app_env, session):
    res = _cli(["setup-link"], app_env)
    assert res.returncode == 0, res.stderr
    link = res.stdout.strip()
    assert link == setup.setup_link(session) and _token_of(link) == setup.setup_token()
    _first_admin(session, _token_of(link), new_email())
    session.commit()  # this test is the door that commits (the CLI reads through its own connection)
    res = _cli(["setup-link"], app_env)
    assert res.returncode == 1 and "already set up" in res.stderr and "Traceback" not in res.stderr
    assert res.stdout.strip() == ""
